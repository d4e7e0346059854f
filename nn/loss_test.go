package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

func TestMSE(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	p, q := randn(rng, 3, 4), randn(rng, 3, 4)
	gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return nn.MSE(xs[0], xs[1]) }, p, q)
	var want float64
	pv, qv := p.Float64s(), q.Float64s()
	for i := range pv {
		want += (pv[i] - qv[i]) * (pv[i] - qv[i]) / 12
	}
	require.InDelta(t, want, nn.MSE(autograd.Const(p), autograd.Const(q)).Value().Item(), 1e-12)
}

// randLabels returns n labels in [0, classes) drawn from rng.
func randLabels(rng *tensor.RNG, n, classes int) *tensor.Tensor {
	return rng.Uniform(cpu, device.Float64, 0, float64(classes), n).Cast(device.Int32)
}

func TestCrossEntropy(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	for _, s := range []float64{0, 0.1} {
		logits, labels := randn(rng, 5, 4), randLabels(rng, 5, 4)
		gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return nn.CrossEntropy(xs[0], xs[1].Value(), s) }, logits, labels)
		// The value against -Σ t log softmax, averaged over rows.
		x, y := logits.Float64s(), labels.Int32s()
		var want float64
		for r := 0; r < 5; r++ {
			row := x[r*4 : r*4+4]
			var z float64
			for _, v := range row {
				z += math.Exp(v)
			}
			for c, v := range row {
				tc := s / 4
				if int32(c) == y[r] {
					tc += 1 - s
				}
				want -= tc * (v - math.Log(z)) / 5
			}
		}
		l := autograd.Param(logits)
		loss := nn.CrossEntropy(l, labels, s)
		require.InDelta(t, want, loss.Value().Item(), 1e-12)
		// Its gradient is (softmax - t)/rows.
		loss.Backward()
		p := logits.Softmax(1).Float64s()
		g := l.Grad().Float64s()
		for i := range p {
			tc := s / 4
			if int32(i%4) == y[i/4] {
				tc += 1 - s
			}
			require.InDelta(t, (p[i]-tc)/5, g[i], 1e-12)
		}
	}
}

func TestBCEWithLogits(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	x, y := randn(rng, 4, 3).MulScalar(3), rng.Uniform(cpu, device.Float64, 0, 1, 4, 3)
	gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return nn.BCEWithLogits(xs[0], xs[1]) }, x, y)
	var want float64
	xv, yv := x.Float64s(), y.Float64s()
	for i := range xv {
		p := 1 / (1 + math.Exp(-xv[i]))
		want -= (yv[i]*math.Log(p) + (1-yv[i])*math.Log(1-p)) / 12
	}
	require.InDelta(t, want, nn.BCEWithLogits(autograd.Const(x), autograd.Const(y)).Value().Item(), 1e-9)
	// Large logits stay finite where the naive formula gives log(0).
	big := tensor.New([]float64{-200, 200, 150})
	yb := tensor.New([]float64{1, 0, 1})
	l := autograd.Param(big)
	loss := nn.BCEWithLogits(l, autograd.Const(yb))
	require.InDelta(t, 400.0/3, loss.Value().Item(), 1e-9)
	loss.Backward()
	requireClose(t, []float64{-1.0 / 3, 1.0 / 3, 0}, l.Grad().Float64s(), 1e-12, "gradient sigmoid(x) - y")
}
