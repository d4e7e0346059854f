package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSoftmax32AgreesWithGeneric compares the float32 paths with the
// generic kernels (float64 math.Exp per element) on random rows: they may
// differ by the float32 exp's ulp and the rounding of x - max, no more.
func TestSoftmax32AgreesWithGeneric(t *testing.T) {
	r := newRand(t)
	const rows, cols = 37, 301
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 8)
	}
	labels := make([]int32, rows)
	dloss := make([]float32, rows)
	for i := range labels {
		labels[i], dloss[i] = int32(r.IntN(cols)), float32(r.NormFloat64())
	}
	near := func(t *testing.T, want, got []float32, tol float64) {
		t.Helper()
		for i := range want {
			d := math.Abs(float64(want[i]) - float64(got[i]))
			require.LessOrEqual(t, d, tol*max(1, math.Abs(float64(want[i]))), "element %d: %g vs %g", i, want[i], got[i])
		}
	}
	for _, log := range []bool{false, true} {
		want, got := make([]float32, rows*cols), make([]float32, rows*cols)
		softmax(want, x, rows, cols, log)
		softmax32(got, x, rows, cols, log)
		near(t, want, got, 4e-7)
	}
	for _, s := range []float64{0, 0.1} {
		want, got := make([]float32, rows), make([]float32, rows)
		crossEntropy(want, x, labels, rows, cols, s)
		crossEntropy32(got, x, labels, rows, cols, s)
		near(t, want, got, 4e-7)
		wantDx, gotDx := make([]float32, rows*cols), make([]float32, rows*cols)
		crossEntropyBackward(wantDx, x, labels, dloss, rows, cols, s)
		crossEntropyBackward32(gotDx, x, labels, dloss, rows, cols, s)
		near(t, wantDx, gotDx, 4e-7)
	}
}

// TestSoftmax32SpecialValues: a NaN poisons its row only, -Inf logits get
// probability 0 without NaN, and huge logits do not overflow.
func TestSoftmax32SpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	x := []float32{
		1, nan, 2,
		0, -inf, 3,
		1e30, -1e30, 0,
	}
	const rows, cols = 3, 3
	y := make([]float32, 9)
	softmax32(y, x, rows, cols, false)
	for c := range cols {
		require.True(t, math.IsNaN(float64(y[c])), "NaN row, column %d: %g", c, y[c])
	}
	e3 := math.Exp(3)
	require.InDelta(t, 1/(1+e3), y[3], 1e-7)
	require.Equal(t, float32(0), y[4])
	require.InDelta(t, e3/(1+e3), y[5], 1e-7)
	require.Equal(t, []float32{1, 0, 0}, y[6:])

	softmax32(y, x, rows, cols, true)
	require.True(t, math.IsInf(float64(y[4]), -1))
	require.Equal(t, []float32{0, -2e30, -1e30}, y[6:])

	loss := make([]float32, rows)
	labels := []int32{0, 0, 0}
	crossEntropy32(loss, x, labels, rows, cols, 0)
	require.True(t, math.IsNaN(float64(loss[0])))
	require.InDelta(t, math.Log(1+e3), loss[1], 1e-6)
	require.Equal(t, float32(0), loss[2])

	dx := make([]float32, 9)
	crossEntropyBackward32(dx, x, labels, []float32{1, 1, 1}, rows, cols, 0)
	require.Equal(t, float32(0), dx[4], "a -Inf logit's gradient")
	require.Equal(t, []float32{0, 0, 0}, dx[6:])
}

// TestShortRowsBits: rows shorter than a block (cross-entropy over 10
// classes) go through shortRows, which must give the bits of the row
// methods, NaN, ±Inf and label smoothing included.
func TestShortRowsBits(t *testing.T) {
	r := newRand(t)
	for cols := 1; cols < 16; cols++ {
		rows := 1 + r.IntN(150)
		x := make([]float32, rows*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 8)
			switch r.IntN(60) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Inf(-1))
			case 2:
				x[i] = float32(math.Inf(1))
			}
		}
		labels, dloss := make([]int32, rows), make([]float32, rows)
		for i := range labels {
			labels[i], dloss[i] = int32(r.IntN(cols)), float32(r.NormFloat64())
		}
		for _, s := range []float64{0, 0.1} {
			run := func(short int) ([]float32, []float32) {
				defer func(old int) { shortRowCols = old }(shortRowCols)
				shortRowCols = short
				loss, dx := make([]float32, rows), make([]float32, rows*cols)
				crossEntropy32(loss, x, labels, rows, cols, s)
				crossEntropyBackward32(dx, x, labels, dloss, rows, cols, s)
				return loss, dx
			}
			wantLoss, wantDx := run(0)
			gotLoss, gotDx := run(16)
			bits := func(v []float32) []uint32 {
				b := make([]uint32, len(v))
				for i, f := range v {
					b[i] = math.Float32bits(f)
				}
				return b
			}
			require.Equal(t, bits(wantLoss), bits(gotLoss), "loss, %d×%d, smoothing %g", rows, cols, s)
			require.Equal(t, bits(wantDx), bits(gotDx), "dx, %d×%d, smoothing %g", rows, cols, s)
		}
	}
}
