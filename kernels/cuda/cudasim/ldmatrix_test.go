package cudasim

import (
	"errors"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// runLdm runs testdata/sm80/ldmatrix.cu's ldm: variant v, lane l giving
// the address of element off[l] of a 512-element shared array holding in.
func runLdm(t *testing.T, s *Sim, f driver.Function, in []uint16, off []int32, v int) ([]uint32, error) {
	t.Helper()
	b := make([]uint8, 0, 2*len(in))
	for _, x := range in {
		b = append(b, uint8(x), uint8(x>>8))
	}
	out := upload(t, s, make([]uint32, 128))
	err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 32}, 0, upload(t, s, b), upload(t, s, off), out, int32(v))
	if err != nil {
		return nil, err
	}
	return download[uint32](t, s, out, 128), nil
}

// TestLdmatrixLayouts: every variant (.x1, .x2, .x4, each with and
// without .trans) gives lane l, in register i, the elements the PTX ISA
// lists: row l/4 of matrix i, columns 2(l%4) and 2(l%4)+1 (with .trans,
// column l/4, rows 2(l%4) and 2(l%4)+1), the first in the low half. Rows
// sit at random 16-byte-aligned places, in random order, and every
// element differs, so each lane's registers are checked exactly.
func TestLdmatrixLayouts(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/ldmatrix.ptx"), "ldm")
	in := make([]uint16, 512)
	for i := range in {
		in[i] = uint16(i*7 + 1)
	}
	perm := r.Perm(64) // 64 row slots of 8 elements
	off := make([]int32, 32)
	for l := range off {
		off[l] = int32(8 * perm[l])
	}
	for v := range 6 {
		n, trans := []int{1, 2, 4}[v%3], v >= 3
		got, err := runLdm(t, s, f, in, off, v)
		if err != nil {
			t.Fatalf("variant %d: %v", v, err)
		}
		elem := func(mat, row, col int) uint32 { return uint32(in[int(off[8*mat+row])+col]) }
		for l := range 32 {
			for i := range 4 {
				want := uint32(0)
				if i < n {
					g, c := l/4, 2*(l%4)
					if trans {
						want = elem(i, c, g) | elem(i, c+1, g)<<16
					} else {
						want = elem(i, g, c) | elem(i, g, c+1)<<16
					}
				}
				if got[4*l+i] != want {
					t.Fatalf("x%d trans=%v: lane %d register %d = %#08x, want %#08x", n, trans, l, i, got[4*l+i], want)
				}
			}
		}
	}
}

// TestLdmatrixFaults: a row address that is not 16-byte aligned, or past
// the block's shared memory, is a fault naming the lane that gave it.
func TestLdmatrixFaults(t *testing.T) {
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/ldmatrix.ptx"), "ldm")
	in := make([]uint16, 512)
	for _, tc := range []struct {
		lane int
		off  int32
		kind Kind
	}{{5, 4, Misaligned}, {30, 512, OutOfBounds}} {
		off := make([]int32, 32)
		for l := range off {
			off[l] = int32(8 * l)
		}
		off[tc.lane] = tc.off
		_, err := runLdm(t, s, f, in, off, 2)
		var fault *Fault
		if !errors.As(err, &fault) || fault.Kind != tc.kind || fault.Thread.X != tc.lane {
			t.Errorf("offset %d at lane %d: got %v, want a %v fault of thread %d", tc.off, tc.lane, err, tc.kind, tc.lane)
		}
	}
}
