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

// bceGrad returns the gradient of BCEWithLogits at logits x against
// targets y, both of dtype dt.
func bceGrad(x, y []float64, dt device.DType) []float64 {
	l := autograd.Param(tensor.New(x).Cast(dt))
	nn.BCEWithLogits(l, autograd.Const(tensor.New(y).Cast(dt))).Backward()
	return l.Grad().Float64s()
}

// sigmoidMinus returns (sigmoid(x) - y)/len(x), the gradient of the mean
// binary cross-entropy with logits.
func sigmoidMinus(x, y []float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		g[i] = (1/(1+math.Exp(-x[i])) - y[i]) / float64(len(x))
	}
	return g
}

// The gradient is sigmoid(x) - y everywhere: at a logit of exactly 0
// (where relu(x) + log(1 + e^-|x|) has subgradients summing to 0, not
// 1/2) and at large logits of either sign, in both float dtypes.
func TestBCEWithLogitsGradient(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	y := rng.Uniform(cpu, device.Float64, 0, 1, 6).Float64s()
	for _, c := range []struct {
		dt  device.DType
		big float64 // a logit whose exponential overflows the dtype
		tol float64
	}{{device.Float64, 1000, 1e-15}, {device.Float32, 100, 1e-7}} {
		x := []float64{0, 0, c.big, -c.big, c.big / 2, -c.big / 2}
		requireClose(t, sigmoidMinus(x, y), bceGrad(x, y, c.dt), c.tol, c.dt.String()+" gradient at 0 and at large logits")
		loss := nn.BCEWithLogits(autograd.Const(tensor.New(x).Cast(c.dt)), autograd.Const(tensor.New(y).Cast(c.dt))).Value().Item()
		want := (2*math.Ln2 + c.big*(1-y[2]) + c.big*y[3] + c.big/2*(1-y[4]) + c.big/2*y[5]) / 6
		require.InDelta(t, want, loss, want*1e-6, c.dt.String()+" loss at large logits")
	}
	// Float64 gradient checks, first and second order, over random
	// logits of which some are exactly 0.
	xs := randn(rng, 5, 4).MulScalar(3).Float64s()
	for i := range xs {
		if i%3 == 0 {
			xs[i] = 0
		}
	}
	x, yt := tensor.New(xs, 5, 4), rng.Uniform(cpu, device.Float64, 0, 1, 5, 4)
	for _, second := range []bool{false, true} {
		rep, err := autograd.Check(func(v []*autograd.Var) *autograd.Var { return nn.BCEWithLogits(v[0], v[1]) },
			[]*tensor.Tensor{x, yt}, autograd.CheckOptions{Seed: seed, SecondOrder: second})
		require.NoError(t, err)
		require.True(t, rep.Pass, "second order %v: %v", second, rep)
	}
}

// Logistic regression started from zero weights: every logit is exactly
// 0, so the first gradient is Xᵀ(1/2 - y)/n for the weights and
// mean(1/2 - y) for the bias.
func TestBCEWithLogitsFromZeroWeights(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	const n, d = 8, 3
	x := randn(rng, n, d)
	y := rng.Uniform(cpu, device.Float64, 0, 1, n).GtScalar(0.5)
	w, b := autograd.Param(tensor.Zeros(cpu, device.Float64, d, 1)), autograd.Param(tensor.Zeros(cpu, device.Float64, 1))
	logits := autograd.Const(x).MatMul(w).Add(b).Squeeze(1)
	nn.BCEWithLogits(logits, autograd.Const(y)).Backward()
	xv, yv := x.Float64s(), y.Float64s()
	wantW, wantB := make([]float64, d), 0.0
	for i := range n {
		r := (0.5 - yv[i]) / n
		wantB += r
		for j := range d {
			wantW[j] += xv[i*d+j] * r
		}
	}
	requireClose(t, wantW, w.Grad().Float64s(), 1e-15, "weight gradient")
	require.InDelta(t, wantB, b.Grad().Item(), 1e-15, "bias gradient")
}
