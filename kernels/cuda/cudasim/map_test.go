package cudasim

import (
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// randF32 returns n floats in [-scale, scale), never all zero.
func randF32(r interface{ Float32() float32 }, n int, scale float32) []float32 {
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = (r.Float32()*2 - 1) * scale
	}
	return xs
}

// closeULP reports whether two float32s are within ulps units in the last
// place (NaNs match NaNs).
func closeULP(got, want float32, ulps int64) bool {
	if got != got || want != want {
		return got != got && want != want
	}
	d := int64(ordered32(got)) - int64(ordered32(want))
	return d <= ulps && d >= -ulps
}

// ordered32 maps float32 bits to integers in the same order as the floats.
func ordered32(f float32) int32 {
	b := int32(math.Float32bits(f))
	if b < 0 {
		b = math.MinInt32 - b
	}
	return b
}

func TestSaxpyGridStride(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "map.ptx"), "saxpy_f32")
	for _, n := range []int{1, 31, 1000, 4099} {
		x, y := randF32(r, n, 10), randF32(r, n, 10)
		a := r.Float32()*4 - 2
		px, py := upload(t, s, x), upload(t, s, y)
		// Two blocks of 64 threads: every thread loops over several elements.
		if err := s.Launch(f, driver.Dim3{X: 2}, driver.Dim3{X: 64}, 0, py, px, a, int32(n)); err != nil {
			t.Fatal(err)
		}
		got := download[float32](t, s, py, n)
		for i := range got {
			// nvcc contracts a*x + y into one fma.rn.f32.
			want := float32(math.FMA(float64(a), float64(x[i]), float64(y[i])))
			if !closeULP(got[i], want, 1) {
				t.Fatalf("n=%d: y[%d] = %v, want %v", n, i, got[i], want)
			}
		}
	}
}

func TestAxpbyF64(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "map.ptx"), "axpby_f64")
	n := 3000
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = r.NormFloat64(), r.NormFloat64()
	}
	a, b := r.NormFloat64(), r.NormFloat64()
	px, py := upload(t, s, x), upload(t, s, y)
	if err := s.Launch(f, driver.Dim3{X: 5}, driver.Dim3{X: 96}, 0, py, px, a, b, int64(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float64](t, s, py, n)
	for i := range got {
		// nvcc contracts a*x + b*y into fma(a, x, b*y).
		want := a*x[i] + b*y[i]
		if d := got[i] - want; d > 1e-12 || d < -1e-12 {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestReluVec4(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "map.ptx"), "relu_vec4_f32")
	n4 := 250
	x := randF32(r, 4*n4, 3)
	px := upload(t, s, x)
	py := upload(t, s, make([]float32, 4*n4))
	if err := s.Launch(f, driver.Dim3{X: 2}, driver.Dim3{X: 128}, 0, py, px, int32(n4)); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, s, py, 4*n4)
	for i := range got {
		if want := max(x[i], 0); got[i] != want {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestWhere2D(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "map.ptx"), "where_i32")
	rows, cols := 37, 53
	cond, a, b := make([]int32, rows*cols), make([]int32, rows*cols), make([]int32, rows*cols)
	for i := range cond {
		cond[i], a[i], b[i] = r.Int32N(2), r.Int32(), -r.Int32()
	}
	out := upload(t, s, make([]int32, rows*cols))
	grid := driver.Dim3{X: (cols + 15) / 16, Y: (rows + 7) / 8}
	if err := s.Launch(f, grid, driver.Dim3{X: 16, Y: 8}, 0, out, upload(t, s, cond), upload(t, s, a), upload(t, s, b),
		int32(rows), int32(cols)); err != nil {
		t.Fatal(err)
	}
	got := download[int32](t, s, out, rows*cols)
	for i := range got {
		want := b[i]
		if cond[i] != 0 {
			want = a[i]
		}
		if got[i] != want {
			t.Fatalf("out[%d] = %d, want %d", i, got[i], want)
		}
	}
}
