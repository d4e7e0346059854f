package cudasim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ptxLine returns the line number of the first instruction of kernel in
// testdata/file that starts with prefix, so tests survive regenerated PTX.
func ptxLine(t *testing.T, file, kernel, prefix string) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for i, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, ".visible .entry ") {
			in = strings.HasPrefix(line, ".visible .entry "+kernel+"(")
		}
		if in && strings.HasPrefix(line, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no %q in kernel %s", prefix, kernel)
	return 0
}

// expectFault checks that err is a *Fault of the given kind whose message
// names the kernel and the PTX position, and returns it.
func expectFault(t *testing.T, err error, kind Kind, kernel, pos string) *Fault {
	t.Helper()
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("got error %v, want a %s fault", err, kind)
	}
	t.Logf("reported: %v", f)
	if f.Kind != kind {
		t.Fatalf("fault kind %s, want %s: %v", f.Kind, kind, f)
	}
	msg := f.Error()
	if !strings.Contains(msg, "kernel "+kernel) || !strings.Contains(msg, pos) {
		t.Fatalf("message %q does not name kernel %s at %s", msg, kernel, pos)
	}
	return f
}

func TestFaultOutOfBoundsWrite(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "oob_write")
	n := 100
	out := upload(t, s, make([]float32, n))
	err := s.Launch(f, driver.Dim3{X: 4}, driver.Dim3{X: 32}, 0, out, int32(n))
	line := ptxLine(t, "faults.ptx", "oob_write", "st.global")
	flt := expectFault(t, err, OutOfBounds, "oob_write", fmt.Sprintf("faults.ptx:%d", line))
	if flt.Thread != (driver.Dim3{X: 4}) || flt.Block != (driver.Dim3{X: 3}) || flt.Addr != uint64(out)+4*uint64(n) {
		t.Errorf("fault at thread %v block %v address %#x, want thread (4,0,0) block (3,0,0) address %#x",
			flt.Thread, flt.Block, flt.Addr, uint64(out)+4*uint64(n))
	}
	if !strings.Contains(flt.Detail, "past the end") {
		t.Errorf("detail %q does not say the access ran past the allocation", flt.Detail)
	}
}

func TestFaultBarrierDivergence(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "barrier_divergent")
	out := upload(t, s, make([]float32, 128))
	err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 64}, 0, out)
	line := ptxLine(t, "faults.ptx", "barrier_divergent", "bar.sync")
	expectFault(t, err, BarrierDivergence, "barrier_divergent", fmt.Sprintf("faults.ptx:%d", line))
}

func TestFaultSharedRace(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "shared_race")
	out := upload(t, s, make([]float32, 256))
	err := s.Launch(f, driver.Dim3{X: 2}, driver.Dim3{X: 256}, 0, out)
	// The second warp's update of its own slot races with the first warp's
	// read of that slot.
	flt := expectFault(t, err, Race, "shared_race", "faults.ptx:")
	if flt.Thread != (driver.Dim3{X: 32}) || !strings.Contains(flt.Detail, "thread (0,0,0)") {
		t.Errorf("race reported for thread %v (%s), want thread (32,0,0) against thread (0,0,0)", flt.Thread, flt.Detail)
	}
	// With race detection off the same kernel runs (with racy results).
	quiet := New(WithRaceCheck(false))
	g := kernel(t, loadTestdata(t, quiet, "faults.ptx"), "shared_race")
	if err := quiet.Launch(g, driver.Dim3{X: 1}, driver.Dim3{X: 256}, 0, upload(t, quiet, make([]float32, 256))); err != nil {
		t.Errorf("with race checking off: %v", err)
	}
}

func TestFaultMisaligned(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "misaligned")
	in := upload(t, s, make([]uint8, 256))
	out := upload(t, s, make([]int32, 32))
	err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, out, in)
	line := ptxLine(t, "faults.ptx", "misaligned", "ld.global")
	flt := expectFault(t, err, Misaligned, "misaligned", fmt.Sprintf("faults.ptx:%d", line))
	if flt.Addr != uint64(in)+1 {
		t.Errorf("address %#x, want %#x", flt.Addr, uint64(in)+1)
	}
}

func TestFaultUninitialisedShared(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "uninit_shared")
	out := upload(t, s, make([]float32, 64))
	err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 64}, 0, out)
	line := ptxLine(t, "faults.ptx", "uninit_shared", "ld.shared")
	flt := expectFault(t, err, UninitRead, "uninit_shared", fmt.Sprintf("faults.ptx:%d", line))
	if flt.Thread != (driver.Dim3{}) || flt.Addr != 63*4 {
		t.Errorf("thread %v offset %d, want thread (0,0,0) reading offset %d", flt.Thread, flt.Addr, 63*4)
	}
}

func TestFaultDeviceAssert(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "faults.ptx"), "assert_positive")
	x := make([]int32, 32)
	for i := range x {
		x[i] = int32(i + 1)
	}
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, upload(t, s, x)); err != nil {
		t.Fatalf("assert with every x positive: %v", err)
	}
	x[7] = -3
	err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, upload(t, s, x))
	flt := expectFault(t, err, Trap, "assert_positive", "faults.ptx:")
	if flt.Thread != (driver.Dim3{X: 7}) || !strings.Contains(flt.Detail, "x[threadIdx.x] > 0") {
		t.Errorf("assert reported for thread %v with %q", flt.Thread, flt.Detail)
	}
}
