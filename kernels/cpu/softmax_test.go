package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// refLogSoftmax returns log-softmax of row x, plainly in float64.
func refLogSoftmax(x []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - mx - math.Log(s)
	}
	return out
}

var softmaxShapes = [][2]int{{1, 1}, {3, 7}, {5, 1000}, {300, 130}, {0, 4}}

func TestSoftmax(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range floatTypes {
		for _, sh := range softmaxShapes {
			for _, log := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%v/log=%v", dt, sh, log), func(t *testing.T) {
					rows, cols := sh[0], sh[1]
					x := randVals(r, dt, rows*cols)
					for i := range x {
						x[i] *= 10
					}
					src, dst := upload(t, dt, x), alloc(t, dt, rows*cols)
					require.NoError(t, shared.Softmax(dst, src, rows, cols, log))
					want := make([]float64, 0, rows*cols)
					for row := range rows {
						for _, v := range refLogSoftmax(x[row*cols : (row+1)*cols]) {
							if !log {
								v = math.Exp(v)
							}
							want = append(want, roundTo(dt, v))
						}
					}
					y := download(t, dst)
					requireClose(t, want, y, 4*tol(dt))

					// backward, from this y
					g := randVals(r, dt, rows*cols)
					dy, dx := upload(t, dt, g), alloc(t, dt, rows*cols)
					require.NoError(t, shared.SoftmaxBackward(dx, dst, dy, rows, cols, log))
					for row := range rows {
						yr, gr := y[row*cols:(row+1)*cols], g[row*cols:(row+1)*cols]
						s := 0.0
						for c := range cols {
							if log {
								s += gr[c]
							} else {
								s += gr[c] * yr[c]
							}
						}
						for c := range cols {
							if log {
								want[row*cols+c] = roundTo(dt, gr[c]-math.Exp(yr[c])*s)
							} else {
								want[row*cols+c] = roundTo(dt, yr[c]*(gr[c]-s))
							}
						}
					}
					requireClose(t, want, download(t, dx), 8*tol(dt))
				})
			}
		}
	}
}

func TestSoftmaxStable(t *testing.T) {
	src := upload(t, device.Float32, []float64{1000, 1000, -1000, 1e30})
	dst := alloc(t, device.Float32, 4)
	require.NoError(t, shared.Softmax(dst, src, 2, 2, false))
	require.Equal(t, []float64{0.5, 0.5, 0, 1}, download(t, dst))
	require.NoError(t, shared.Softmax(dst, src, 2, 2, true))
	require.Equal(t, []float64{float64(float32(-math.Ln2)), float64(float32(-math.Ln2)), float64(float32(-1e30)), 0}, download(t, dst))
	i := upload(t, device.Int32, []float64{1, 2})
	require.ErrorContains(t, shared.Softmax(i, i, 1, 2, false), "int32")
	require.ErrorContains(t, shared.Softmax(dst, src, 3, 2, false), "needs 6 elements")
}

// refCrossEntropy returns the loss of one row and its gradient.
func refCrossEntropy(x []float64, label int, s float64) (float64, []float64) {
	ls := refLogSoftmax(x)
	loss, grad := 0.0, make([]float64, len(x))
	for c, l := range ls {
		tc := s / float64(len(x))
		if c == label {
			tc += 1 - s
		}
		loss -= tc * l
		grad[c] = math.Exp(l) - tc
	}
	return loss, grad
}

func TestCrossEntropy(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range floatTypes {
		for _, sh := range softmaxShapes {
			for _, s := range []float64{0, 0.1} {
				t.Run(fmt.Sprintf("%v/%v/smoothing=%v", dt, sh, s), func(t *testing.T) {
					rows, cols := sh[0], sh[1]
					x := randVals(r, dt, rows*cols)
					labels := make([]float64, rows)
					for i := range labels {
						labels[i] = float64(r.IntN(cols))
					}
					dl := randVals(r, dt, rows)
					logits, lb, dloss := upload(t, dt, x), upload(t, device.Int32, labels), upload(t, dt, dl)
					loss, dx := alloc(t, dt, rows), alloc(t, dt, rows*cols)
					require.NoError(t, shared.CrossEntropy(loss, logits, lb, rows, cols, s))
					require.NoError(t, shared.CrossEntropyBackward(dx, logits, lb, dloss, rows, cols, s))
					wantLoss, wantGrad := make([]float64, rows), make([]float64, rows*cols)
					for row := range rows {
						l, g := refCrossEntropy(x[row*cols:(row+1)*cols], int(labels[row]), s)
						wantLoss[row] = roundTo(dt, l)
						for c := range cols {
							wantGrad[row*cols+c] = roundTo(dt, dl[row]*g[c])
						}
					}
					requireClose(t, wantLoss, download(t, loss), 8*tol(dt))
					requireClose(t, wantGrad, download(t, dx), 8*tol(dt))
				})
			}
		}
	}
}

// TestCrossEntropyGradCheck checks the backward kernel against central
// differences of the forward kernel, in float64.
func TestCrossEntropyGradCheck(t *testing.T) {
	r := newRand(t)
	const rows, cols, s, h = 2, 5, 0.2, 1e-6
	x := randVals(r, device.Float64, rows*cols)
	lb := upload(t, device.Int32, []float64{3, 0})
	loss := alloc(t, device.Float64, rows)
	total := func(x []float64) float64 {
		require.NoError(t, shared.CrossEntropy(loss, upload(t, device.Float64, x), lb, rows, cols, s))
		l := download(t, loss)
		return l[0] + l[1]
	}
	dx := alloc(t, device.Float64, rows*cols)
	ones := upload(t, device.Float64, []float64{1, 1})
	require.NoError(t, shared.CrossEntropyBackward(dx, upload(t, device.Float64, x), lb, ones, rows, cols, s))
	got := download(t, dx)
	for i := range x {
		xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		require.InDelta(t, (total(xp)-total(xm))/(2*h), got[i], 1e-8, "element %d", i)
	}
}

func TestCrossEntropyErrors(t *testing.T) {
	logits := upload(t, device.Float32, []float64{1, 2, 3, 4})
	loss := alloc(t, device.Float32, 2)
	require.ErrorContains(t, shared.CrossEntropy(loss, logits, upload(t, device.Int32, []float64{0, 2}), 2, 2, 0), "label 2 at position 1")
	require.ErrorContains(t, shared.CrossEntropy(loss, logits, upload(t, device.Int32, []float64{-1, 0}), 2, 2, 0), "label -1 at position 0")
	require.ErrorContains(t, shared.CrossEntropy(loss, logits, upload(t, device.Float32, []float64{0, 1}), 2, 2, 0), "want int32")
	require.ErrorContains(t, shared.CrossEntropy(alloc(t, device.Float64, 2), logits, upload(t, device.Int32, []float64{0, 1}), 2, 2, 0), "want float32")
}
