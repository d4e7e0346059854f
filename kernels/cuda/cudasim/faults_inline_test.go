package cudasim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// inline wraps a kernel body taking one pointer parameter %rd1.
func inline(body string) string {
	return `.version 7.8
.target sm_70
.address_size 64
.const .align 4 .u32 c_table[2] = {7, 9};
.visible .entry k(.param .u64 p)
{
	.reg .pred %p<4>;
	.reg .b32 %r<8>;
	.reg .b64 %rd<8>;
	.reg .f32 %f<4>;
	ld.param.u64 %rd1, [p];
	mov.u32 %r1, %tid.x;
` + body + `
	ret;
}
`
}

func runInline(t *testing.T, s *Sim, body string, block int, arg driver.DevPtr) error {
	t.Helper()
	m, err := s.Load("inline.ptx", inline(body))
	if err != nil {
		t.Fatal(err)
	}
	return s.Launch(kernel(t, m, "k"), driver.Dim3{X: 1}, driver.Dim3{X: block}, 0, arg)
}

func TestFaultsFromInlinePTX(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		kind   Kind
		detail string
	}{
		{"uninitialised address register", `
	add.s64 %rd2, %rd1, %rd5;
	st.global.f32 [%rd2], %f1;`, UninitRead, "address register %rd2 holds an uninitialised value"},
		{"uninitialised stored value", `
	st.global.f32 [%rd1], %f2;`, UninitRead, "stored value register %f2 holds an uninitialised value"},
		{"uninitialised branch condition", `
	@%p3 bra $L_end;
$L_end:`, UninitRead, "guard predicate %p3 is uninitialised"},
		{"shfl from an exited lane", `
	setp.ge.u32 %p1, %r1, 16;
	@%p1 bra $L_end;
	shfl.sync.idx.b32 %r2, %r1, 20, 31, -1;
	st.global.u32 [%rd1], %r2;
$L_end:`, UninitRead, "stored value register %r2 holds an uninitialised value"},
		{"member mask without the executing lane", `
	shfl.sync.idx.b32 %r2, %r1, 0, 31, 1;`, Deadlock, "does not include the executing lane"},
		{"warp split between a barrier and a shuffle", `
	setp.lt.u32 %p1, %r1, 16;
	@%p1 bra $L_shfl;
	bar.sync 0;
	bra.uni $L_end;
$L_shfl:
	shfl.sync.idx.b32 %r2, %r1, 0, 31, -1;
$L_end:`, Deadlock, "no thread can progress"},
		{"trap", `
	setp.eq.u32 %p1, %r1, 5;
	@%p1 trap;`, Trap, "trap"},
		{"write to constant memory", `
	mov.u64 %rd2, c_table;
	st.global.u32 [%rd2], %r1;`, OutOfBounds, "read-only"},
		{"local frame overrun", `
	mov.u64 %rd2, 64;
	st.local.u32 [%rd2], %r1;`, OutOfBounds, "local frame"},
		{"shared memory overrun", `
	st.shared.u32 [4096], %r1;`, OutOfBounds, "shared memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			err := runInline(t, s, tc.body, 32, upload(t, s, make([]float32, 32)))
			f := expectFault(t, err, tc.kind, "k", "inline.ptx:")
			if !strings.Contains(f.Error(), tc.detail) {
				t.Errorf("message %q does not mention %q", f.Error(), tc.detail)
			}
		})
	}
}

func TestFaultUseAfterFree(t *testing.T) {
	s := New()
	p, err := s.Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Free(p); err != nil {
		t.Fatal(err)
	}
	f := expectFault(t, runInline(t, s, "st.global.u32 [%rd1], %r1;", 1, p), OutOfBounds, "k", "inline.ptx:")
	if !strings.Contains(f.Detail, "freed") {
		t.Errorf("detail %q does not say the memory was freed", f.Detail)
	}
}

func TestFaultStepLimit(t *testing.T) {
	s := New(WithStepLimit(100000))
	err := runInline(t, s, "$L_spin:\n\tbra.uni $L_spin;", 32, 0)
	expectFault(t, err, StepLimit, "k", "inline.ptx:")
}

func TestSyncwarpInDivergentCode(t *testing.T) {
	// Volta lets the two sides of a branch meet at different __syncwarp()s.
	s := New()
	err := runInline(t, s, `
	and.b32 %r2, %r1, 1;
	setp.eq.u32 %p1, %r2, 0;
	@%p1 bra $L_even;
	bar.warp.sync -1;
	bra.uni $L_end;
$L_even:
	bar.warp.sync -1;
$L_end:`, 32, 0)
	if err != nil {
		t.Fatal(err)
	}
}

func TestPrintf(t *testing.T) {
	var out bytes.Buffer
	s := New(WithPrintf(&out))
	f := kernel(t, loadTestdata(t, s, "calls.ptx"), "debug_print")
	name := upload(t, s, []uint8{'x', 0})
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 2}, 0, upload(t, s, []float32{1.5, -2.25}), name); err != nil {
		t.Fatal(err)
	}
	want := "x[0] = 1.500 (0, -5)\nx[1] = -2.250 (ff, -5)\n"
	if out.String() != want {
		t.Errorf("printf wrote %q, want %q", out.String(), want)
	}
}

func TestInlineAtomicsAndMatch(t *testing.T) {
	s := New()
	out := upload(t, s, make([]uint32, 8))
	// 64 threads: red adds every tid, generic atom.max, a cas that only
	// the first thread wins, and match.any/match.all on tid/8 per warp.
	err := runInline(t, s, `
	red.global.add.u32 [%rd1], %r1;
	cvta.global.u64 %rd2, %rd1;
	atom.max.u32 %r2, [%rd2+4], %r1;
	atom.global.cas.b32 %r3, [%rd1+8], 0, 77;
	shr.u32 %r4, %r1, 3;
	match.any.sync.b32 %r5, %r4, -1;
	match.all.sync.b32 %r6|%p1, %r4, -1;
	setp.eq.u32 %p2, %r1, 9;
	@%p2 st.global.u32 [%rd1+12], %r5;
	@%p2 st.global.u32 [%rd1+16], %r6;
	selp.u32 %r7, 1, 0, %p1;
	@%p2 st.global.u32 [%rd1+20], %r7;`, 64, out)
	if err != nil {
		t.Fatal(err)
	}
	got := download[uint32](t, s, out, 6)
	want := []uint32{63 * 64 / 2, 63, 77, 0xff00, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("out[%d] = %#x, want %#x", i, got[i], want[i])
		}
	}
}
