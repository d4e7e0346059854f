package cudasim

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

func TestProps(t *testing.T) {
	p := New().Props()
	want := driver.Props{Name: "cudasim", TotalMem: 16 << 30, Major: 7, Minor: 0, SMs: runtime.GOMAXPROCS(0),
		MaxThreadsPerBlock: 1024, MaxSharedPerBlock: 49152, MaxGridX: math.MaxInt32, WarpSize: 32}
	if p != want {
		t.Errorf("Props() = %+v, want %+v", p, want)
	}
	if got := New(WithWorkers(3)).Props().SMs; got != 3 {
		t.Errorf("SMs with 3 workers = %d", got)
	}
}

func TestMemoryAccounting(t *testing.T) {
	s := New(WithTotalMem(1 << 20))
	a, err := s.Alloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Alloc(3000)
	if err != nil {
		t.Fatal(err)
	}
	if a == 0 || b == 0 || a == b || uint64(a)%256 != 0 || uint64(b)%256 != 0 {
		t.Errorf("pointers %#x %#x: want distinct, non-zero, 256-byte aligned", a, b)
	}
	if got := s.LiveBytes(); got != 4000 {
		t.Errorf("LiveBytes = %d, want 4000", got)
	}
	if _, err := s.Alloc(1 << 20); !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("Alloc beyond TotalMem: %v, want ErrOutOfMemory", err)
	}
	if _, err := s.Alloc(0); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Alloc(0): %v, want ErrInvalidValue", err)
	}
	if err := s.Free(a); err != nil {
		t.Fatal(err)
	}
	if got := s.LiveBytes(); got != 3000 {
		t.Errorf("LiveBytes after Free = %d, want 3000", got)
	}
	for _, p := range []driver.DevPtr{a, b + 8, 12345} {
		if err := s.Free(p); !errors.Is(err, ErrInvalidPointer) {
			t.Errorf("Free(%#x): %v, want ErrInvalidPointer", p, err)
		}
	}
}

func TestCopiesAndMemset(t *testing.T) {
	s := New()
	p, _ := s.Alloc(16)
	q, _ := s.Alloc(16)
	src := []byte("0123456789abcdef")
	if err := s.CopyHtoD(p, src); err != nil {
		t.Fatal(err)
	}
	if err := s.CopyDtoD(q, p+4, 8); err != nil {
		t.Fatal(err)
	}
	if err := s.Memset(q+8, 'z', 8); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	if err := s.CopyDtoH(got, q); err != nil {
		t.Fatal(err)
	}
	if want := []byte("456789abzzzzzzzz"); !bytes.Equal(got, want) {
		t.Errorf("device holds %q, want %q", got, want)
	}
	for name, err := range map[string]error{
		"HtoD past end":   s.CopyHtoD(p+10, src),
		"DtoH past end":   s.CopyDtoH(got, p+1),
		"DtoD bad src":    s.CopyDtoD(q, 99, 4),
		"Memset past end": s.Memset(p, 0, 17),
		"negative size":   s.CopyDtoD(q, p, -1),
	} {
		if !errors.Is(err, ErrInvalidPointer) && !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v, want an invalid pointer/value error", name, err)
		}
	}
}

func TestLaunchConfigurationErrors(t *testing.T) {
	s := New()
	m := loadTestdata(t, s, "map.ptx")
	f := kernel(t, m, "saxpy_f32")
	p := upload(t, s, make([]float32, 4))
	ok := []any{p, p, float32(1), int32(4)}
	other := New()
	g := kernel(t, loadTestdata(t, other, "map.ptx"), "saxpy_f32")
	for _, tc := range []struct {
		name        string
		fn          driver.Function
		grid, block driver.Dim3
		shared      int
		args        []any
	}{
		{"zero-sized grid", f, driver.Dim3{}, driver.Dim3{X: 32}, 0, ok},
		{"negative grid", f, driver.Dim3{X: 1, Y: -1}, driver.Dim3{X: 32}, 0, ok},
		{"grid Y too large", f, driver.Dim3{X: 1, Y: 70000}, driver.Dim3{X: 32}, 0, ok},
		{"zero-sized block", f, driver.Dim3{X: 1}, driver.Dim3{}, 0, ok},
		{"block over 1024 threads", f, driver.Dim3{X: 1}, driver.Dim3{X: 32, Y: 33}, 0, ok},
		{"block X over 1024", f, driver.Dim3{X: 1}, driver.Dim3{X: 1025}, 0, ok},
		{"block Z over 64", f, driver.Dim3{X: 1}, driver.Dim3{X: 1, Z: 65}, 0, ok},
		{"too much shared memory", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 48<<10 + 1, ok},
		{"negative shared memory", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, -4, ok},
		{"too few arguments", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, ok[:3]},
		{"too many arguments", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, append(ok, int32(0))},
		{"int32 for a pointer", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, []any{int32(1), p, float32(1), int32(4)}},
		{"float64 for a float", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, []any{p, p, 1.0, int32(4)}},
		{"int32 for a float", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, []any{p, p, int32(1), int32(4)}},
		{"float32 for an int", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, []any{p, p, float32(1), float32(4)}},
		{"Go int", f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, []any{p, p, float32(1), 4}},
		{"function of another device", g, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, ok},
	} {
		err := s.Launch(tc.fn, tc.grid, tc.block, tc.shared, tc.args...)
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v, want ErrInvalidValue", tc.name, err)
		}
	}
	gather := kernel(t, loadTestdata(t, s, "calls.ptx"), "gather_strided")
	if err := s.Launch(gather, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, p, p, make([]byte, 79), int32(1)); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("short struct argument: %v, want ErrInvalidValue", err)
	}
	if _, err := m.Function("nope"); err == nil {
		t.Error("Function of an unknown kernel succeeded")
	}
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, ok...); err != nil {
		t.Errorf("valid launch after the errors: %v", err)
	}
	if err := s.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	s := New()
	for name, src := range map[string]string{
		"unknown instruction": inline("frobnicate.u32 %r2, %r1;"),
		"unknown modifier":    inline("add.wobbly.u32 %r2, %r1, 1;"),
		"undeclared register": inline("add.u32 %r2, %q1, 1;"),
		"undefined label":     inline("bra.uni $nowhere;"),
		"indirect call":       inline("call (%r2), %rd1, (%r1);"),
		"missing rounding":    inline("cvt.s32.f32 %r2, %f1;"),
		"syntax":              inline("add.u32 %r2 %r1, 1;"),
	} {
		if _, err := s.Load("bad.ptx", src); err == nil {
			t.Errorf("%s: Load succeeded", name)
		} else {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line == 0 {
				t.Errorf("%s: %v is not a ParseError with a line", name, err)
			}
		}
	}
}

func TestParallelBlocksReportLowestFault(t *testing.T) {
	// Every block of this grid faults; four workers race, yet the report
	// is always block 0's.
	s := New(WithWorkers(4))
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "oob_write")
	out := upload(t, s, make([]float32, 1))
	for i := 0; i < 5; i++ {
		err := s.Launch(f, driver.Dim3{X: 64}, driver.Dim3{X: 32}, 0, out, int32(1<<20))
		var flt *Fault
		if !errors.As(err, &flt) || flt.Block != (driver.Dim3{}) || flt.Thread != (driver.Dim3{X: 1}) {
			t.Fatalf("launch %d: %v, want block (0,0,0) thread (1,0,0)", i, err)
		}
	}
}
