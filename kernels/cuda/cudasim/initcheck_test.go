package cudasim

import (
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// accumulate adds every thread's index into out[0] with atomics, the way
// a kernel that expects a zeroed output does.
const accumulate = `
	ld.global.u32 %r2, [%rd1+4];
	red.global.add.u32 [%rd1], %r2;`

func allocRaw(t *testing.T, s *Sim, n int) driver.DevPtr {
	t.Helper()
	p, err := s.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Free(p) })
	return p
}

// TestInitCheckGlobal: a kernel that reads device memory nobody wrote
// fails with UninitRead naming the read, whatever Alloc's bytes hold;
// host writes, memsets, kernel stores and device copies of defined bytes
// define memory.
func TestInitCheckGlobal(t *testing.T) {
	rng := seeded(t)
	word := rng.Uint32()
	for _, tc := range []struct {
		name  string
		setup func(s *Sim, p driver.DevPtr) error
		body  string
		fault string // the instruction that faults, "" for none
	}{
		{"never written", nil, accumulate, "ld.global"},
		{"operand written, accumulator not", func(s *Sim, p driver.DevPtr) error {
			return s.CopyHtoD(p+4, toBytes([]uint32{word}))
		}, accumulate, "red.global"},
		{"memset", func(s *Sim, p driver.DevPtr) error { return s.Memset(p, byte(word), 8) }, accumulate, ""},
		{"copied from the host", func(s *Sim, p driver.DevPtr) error {
			return s.CopyHtoD(p, toBytes([]uint32{word, word >> 3}))
		}, accumulate, ""},
		{"stored by the kernel first", nil, `
	setp.eq.u32 %p1, %r1, 0;
	@%p1 st.global.v2.u32 [%rd1], {%r1, %r1};
	bar.sync 0;` + accumulate, ""},
		{"one byte short", func(s *Sim, p driver.DevPtr) error {
			return s.CopyHtoD(p, toBytes([]uint8{1, 2, 3, 4, 5, 6, 7}))
		}, accumulate, "ld.global"},
		{"device copy of defined bytes", func(s *Sim, p driver.DevPtr) error {
			src := upload(t, s, []uint32{word, word})
			return s.CopyDtoD(p, src, 8)
		}, accumulate, ""},
		{"memset, then undefined for reuse", func(s *Sim, p driver.DevPtr) error {
			if err := s.Memset(p, byte(word), 8); err != nil {
				return err
			}
			return s.Undefine(p, 8)
		}, accumulate, "ld.global"},
		{"undefined for reuse, then copied from the host", func(s *Sim, p driver.DevPtr) error {
			if err := s.Undefine(p, 8); err != nil {
				return err
			}
			return s.CopyHtoD(p, toBytes([]uint32{word, word >> 3}))
		}, accumulate, ""},
		{"device copy of undefined bytes", func(s *Sim, p driver.DevPtr) error {
			if err := s.Memset(p, 1, 8); err != nil {
				return err
			}
			src := allocRaw(t, s, 8)
			return s.CopyDtoD(p, src, 8)
		}, accumulate, "ld.global"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			p := allocRaw(t, s, 8)
			if tc.setup != nil {
				if err := tc.setup(s, p); err != nil {
					t.Fatal(err)
				}
			}
			err := runInline(t, s, tc.body, 64, p)
			if tc.fault == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			f := expectFault(t, err, UninitRead, "k", "inline.ptx:")
			if !strings.Contains(f.Inst, tc.fault) || !strings.Contains(f.Detail, "nothing has written") {
				t.Errorf("fault at %q (%s), want an uninitialised read at %s", f.Inst, f.Detail, tc.fault)
			}
		})
	}
}

func TestInitCheckOff(t *testing.T) {
	s := New(WithInitCheck(false))
	if err := runInline(t, s, accumulate, 64, allocRaw(t, s, 8)); err != nil {
		t.Fatal(err)
	}
}
