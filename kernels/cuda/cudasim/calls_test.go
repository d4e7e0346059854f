package cudasim

import (
	"encoding/binary"
	"math"
	"sort"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// desc encodes the calls.cu Desc struct: int ndim; int shape[6];
// long long stride[6] (80 bytes, the strides 8-aligned at offset 32).
func desc(shape []int, stride []int64) []byte {
	b := make([]byte, 80)
	binary.LittleEndian.PutUint32(b, uint32(len(shape)))
	for i, s := range shape {
		binary.LittleEndian.PutUint32(b[4+4*i:], uint32(s))
		binary.LittleEndian.PutUint64(b[32+8*i:], uint64(stride[i]))
	}
	return b
}

func TestGatherStridedByValueStruct(t *testing.T) {
	r := seeded(t)
	s := New()
	m := loadTestdata(t, s, "calls.ptx")
	gather, counter := kernel(t, m, "gather_strided"), kernel(t, m, "read_counter")
	// A transposed, sliced view of a 5x7x9 tensor: shape (9,4,5), strides
	// (1, 9*2, 63) over a source of 315 floats.
	shape, stride := []int{9, 4, 5}, []int64{1, 18, 63}
	src := randF32(r, 315, 10)
	n := 9 * 4 * 5
	dst := upload(t, s, make([]float32, n))
	for launch := 0; launch < 2; launch++ {
		if err := s.Launch(gather, driver.Dim3{X: 2}, driver.Dim3{X: 64}, 0, dst, upload(t, s, src), desc(shape, stride), int32(n)); err != nil {
			t.Fatal(err)
		}
	}
	got := download[float32](t, s, dst, n)
	scale := []float32{1, 2, 0.5, -1}
	for i := range got {
		rem, off := i, int64(0)
		for k := len(shape) - 1; k >= 0; k-- {
			off += int64(rem%shape[k]) * stride[k]
			rem /= shape[k]
		}
		if want := src[off] * scale[i&3]; got[i] != want {
			t.Fatalf("dst[%d] = %v, want %v", i, got[i], want)
		}
	}
	out := upload(t, s, []int32{-1})
	if err := s.Launch(counter, driver.Dim3{X: 1}, driver.Dim3{X: 1}, 0, out); err != nil {
		t.Fatal(err)
	}
	if c := download[int32](t, s, out, 1)[0]; c != 2 {
		t.Errorf("__device__ counter = %d after two launches, want 2", c)
	}
}

func TestDeviceFunctionCalls(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "calls.ptx"), "calls")
	n, deg := 300, 4
	x, coef := randF32(r, n, 2), randF32(r, deg+1, 1)
	out := upload(t, s, make([]float32, 4*n))
	if err := s.Launch(f, driver.Dim3{X: 3}, driver.Dim3{X: 128}, 0, out, upload(t, s, x), upload(t, s, coef), int32(deg), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, s, out, 4*n)
	for i, v := range x {
		var p float32
		for k := deg; k >= 0; k-- {
			p = float32(math.FMA(float64(p), float64(v), float64(coef[k])))
		}
		want := []float32{p, v, -v, v * v}
		sort.Slice(want, func(a, b int) bool { return want[a] < want[b] })
		for k := range want {
			if !closeULP(got[4*i+k], want[k], 1) {
				t.Fatalf("x=%v: sorted values %v, want %v", v, got[4*i:4*i+4], want)
			}
		}
	}
}
