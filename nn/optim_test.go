package nn_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// steps are the gradients fed to the hand-computed optimizer tests.
var steps = [][]float64{{0.5, -1}, {0.1, 0.2}, {-0.3, 0.4}}

// setGrads gives each parameter the gradient g through a backward pass of
// Σ p·g.
func setGrads(ps []nn.NamedParam, gs ...[]float64) {
	for i, p := range ps {
		g := tensor.New(gs[i]).Reshape(p.Var.Shape()...)
		p.Var.Mul(autograd.Const(g)).Sum(false).Backward()
	}
}

// run1 steps opt over the single parameter p with steps[:n] and returns
// p's value after each step.
func run1(opt nn.Optimizer, n int) [][]float64 {
	var out [][]float64
	for _, g := range steps[:n] {
		opt.ZeroGrad()
		setGrads(opt.Params(), g)
		opt.Step()
		out = append(out, opt.Params()[0].Var.Value().Float64s())
	}
	return out
}

func param(v ...float64) []nn.NamedParam {
	return []nn.NamedParam{{Name: "p", Var: autograd.Param(tensor.New(v))}}
}

func requireSteps(t *testing.T, want, got [][]float64, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		requireClose(t, want[i], got[i], tol, "step "+string(rune('1'+i)))
	}
}

func TestSGD(t *testing.T) {
	// momentum 0.9, lr 0.1: buf = 0.9 buf + g; p -= 0.1 buf.
	got := run1(nn.NewSGD(param(1, -2), device.SGDParams{LR: 0.1, Momentum: 0.9}), 3)
	requireSteps(t, [][]float64{{0.95, -1.9}, {0.895, -1.83}, {0.8755, -1.807}}, got, 1e-12)
	// Nesterov: p -= 0.1 (g + 0.9 buf).
	got = run1(nn.NewSGD(param(1, -2), device.SGDParams{LR: 0.1, Momentum: 0.9, Nesterov: true}), 2)
	requireSteps(t, [][]float64{{0.905, -1.81}, {0.8455, -1.767}}, got, 1e-12)
	// Weight decay adds 0.1 p to the gradient; plain SGD has no state.
	opt := nn.NewSGD(param(1, -2), device.SGDParams{LR: 0.1, WeightDecay: 0.1})
	requireSteps(t, [][]float64{{0.94, -1.88}}, run1(opt, 1), 1e-12)
	require.Empty(t, opt.State().Tensors)
	require.Panics(t, func() { nn.NewSGD(param(1), device.SGDParams{LR: 0.1, Nesterov: true}) })
}

func TestAdam(t *testing.T) {
	// Bias correction makes the first step lr·g/|g|; later ones follow
	// m̂/(√v̂+ε) (values worked out in float64 by hand-written loops).
	got := run1(nn.NewAdam(param(1, -2), nn.AdamDefaults(0.1)), 3)
	requireSteps(t, [][]float64{{0.9000000019999999, -1.900000001}, {0.8196959063846516, -1.8488973939904945},
		{0.7986246117635079, -1.835473434208156}}, got, 1e-12)
	// AdamW decays the weights first, apart from the gradient: p·(1-0.01)
	// then the step of size 0.1. Adam's L2 decay goes through the moments
	// instead, so its first step is still exactly 0.1 in size.
	h := nn.AdamDefaults(0.1)
	h.WeightDecay = 0.1
	requireSteps(t, [][]float64{{0.89, -1.88}}, run1(nn.NewAdamW(param(1, -2), h), 1), 1e-7)
	requireSteps(t, [][]float64{{0.9, -1.9}}, run1(nn.NewAdam(param(1, -2), h), 1), 1e-7)
	w := nn.AdamWDefaults(1e-3)
	require.True(t, w.Decoupled)
	require.Equal(t, 0.01, w.WeightDecay)
}

func TestAdamCountsStepsPerParameter(t *testing.T) {
	ps := append(param(1), nn.NamedParam{Name: "q", Var: autograd.Param(tensor.New([]float64{3}))})
	opt := nn.NewAdam(ps, nn.AdamDefaults(0.1))
	// Only p has a gradient in the first step: q is skipped, untouched.
	setGrads(ps[:1], []float64{2})
	opt.Step()
	require.Equal(t, []float64{3}, ps[1].Var.Value().Float64s())
	// q's first step is bias-corrected from its own step 1: size lr.
	opt.ZeroGrad()
	setGrads(ps, []float64{2}, []float64{-4})
	opt.Step()
	require.InDelta(t, 3.1, ps[1].Var.Value().Item(), 1e-7)
	require.Equal(t, 2, opt.State().Steps)
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	makers := map[string]func([]nn.NamedParam) nn.Optimizer{
		"sgd":   func(ps []nn.NamedParam) nn.Optimizer { return nn.NewSGD(ps, device.SGDParams{LR: 0.1, Momentum: 0.9}) },
		"adamw": func(ps []nn.NamedParam) nn.Optimizer { return nn.NewAdamW(ps, nn.AdamWDefaults(0.01)) },
	}
	for _, name := range []string{"sgd", "adamw"} {
		w0 := randn(rng, 3, 2)
		g1, g2 := randn(rng, 3, 2).Float64s(), randn(rng, 3, 2).Float64s()
		a := []nn.NamedParam{{Name: "w", Var: autograd.Param(w0.Clone())}}
		oa := makers[name](a)
		setGrads(a, g1)
		oa.Step()
		// A second optimizer over a copy takes over a's state, then both
		// take the same step and must agree to the bit.
		b := []nn.NamedParam{{Name: "w", Var: autograd.Param(a[0].Var.Value().Clone())}}
		ob := makers[name](b)
		require.NoError(t, ob.LoadState(oa.State()), name)
		for _, o := range []nn.Optimizer{oa, ob} {
			o.ZeroGrad()
			setGrads(o.Params(), g2)
			o.Step()
		}
		require.Equal(t, a[0].Var.Value().Float64s(), b[0].Var.Value().Float64s(), name)
		require.Equal(t, oa.State().Steps, ob.State().Steps)
	}
}

func TestOptimizerLoadStateChecks(t *testing.T) {
	ps := param(1, 2)
	opt := nn.NewAdam(ps, nn.AdamDefaults(0.1))
	good := func() []nn.NamedTensor {
		return []nn.NamedTensor{
			{Name: "p.exp_avg", Tensor: tensor.New([]float64{0.1, 0.2})},
			{Name: "p.exp_avg_sq", Tensor: tensor.New([]float64{0.1, 0.2})},
			{Name: "p.step", Tensor: tensor.New([]int32{3}).Reshape()},
		}
	}
	require.NoError(t, opt.LoadState(nn.OptimState{Steps: 3, Tensors: good()}))
	cases := []struct {
		kind error
		edit func([]nn.NamedTensor) []nn.NamedTensor
	}{
		{nn.ErrUnexpected, func(ts []nn.NamedTensor) []nn.NamedTensor {
			return append(ts, nn.NamedTensor{Name: "q.exp_avg", Tensor: ts[0].Tensor})
		}},
		{nn.ErrShape, func(ts []nn.NamedTensor) []nn.NamedTensor { ts[0].Tensor = tensor.New([]float64{1, 2, 3}); return ts }},
		{nn.ErrDType, func(ts []nn.NamedTensor) []nn.NamedTensor { ts[1].Tensor = tensor.New([]float32{1, 2}); return ts }},
		{nn.ErrMissing, func(ts []nn.NamedTensor) []nn.NamedTensor { return ts[1:] }},
	}
	for _, c := range cases {
		before := opt.State()
		err := opt.LoadState(nn.OptimState{Steps: 9, Tensors: c.edit(good())})
		require.Error(t, err)
		require.True(t, errors.Is(err, c.kind), "want %v in %v", c.kind, err)
		require.Equal(t, before.Steps, opt.State().Steps, "a failed load changes nothing")
	}
}

func TestSchedules(t *testing.T) {
	require.Equal(t, 0.5, nn.Constant(0.5).LR(1000))
	s := nn.StepDecay{Base: 1, Every: 10, Gamma: 0.5}
	require.Equal(t, []float64{1, 1, 0.5, 0.25}, []float64{s.LR(0), s.LR(9), s.LR(10), s.LR(25)})
	c := nn.WarmupCosine{Base: 1, Min: 0.1, Warmup: 4, Total: 14}
	require.InDelta(t, 0.25, c.LR(0), 1e-15)
	require.InDelta(t, 0.75, c.LR(2), 1e-15)
	require.InDelta(t, 1, c.LR(4), 1e-15)
	require.InDelta(t, 0.55, c.LR(9), 1e-15)
	require.InDelta(t, 0.1, c.LR(14), 1e-15)
	require.InDelta(t, 0.1, c.LR(100), 1e-15)
	for i := 5; i < 14; i++ {
		require.Less(t, c.LR(i), c.LR(i-1), "cosine decreases after warm-up")
	}
}

func TestClipping(t *testing.T) {
	ps := append(param(3, 0), nn.NamedParam{Name: "q", Var: autograd.Param(tensor.New([]float64{1}))})
	setGrads(ps, []float64{3, 0}, []float64{-4})
	require.InDelta(t, 5, nn.GradNorm(ps).Item(), 1e-15)
	require.InDelta(t, 5, nn.ClipGradNorm(ps, 10).Item(), 1e-15)
	require.Equal(t, []float64{3, 0}, ps[0].Var.Grad().Float64s(), "under the bound nothing changes")
	require.InDelta(t, 5, nn.ClipGradNorm(ps, 1).Item(), 1e-15)
	requireClose(t, []float64{0.6, 0}, ps[0].Var.Grad().Float64s(), 1e-6, "scaled to norm 1")
	requireClose(t, []float64{-0.8}, ps[1].Var.Grad().Float64s(), 1e-6, "scaled to norm 1")
	nn.ClipGradValue(ps, 0.7)
	requireClose(t, []float64{0.6, 0}, ps[0].Var.Grad().Float64s(), 1e-6, "within the bound")
	requireClose(t, []float64{-0.7}, ps[1].Var.Grad().Float64s(), 1e-15, "clamped")
}

// Two parameters whose gradients come out of one backward pass as views of
// one buffer are each scaled once.
func TestClipSharedGradient(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	a := autograd.Param(randn(rng, 6))
	b := autograd.Param(randn(rng, 2, 3))
	a.Reshape(2, 3).Add(b).Mul(autograd.Const(randn(rng, 2, 3))).Sum(false).Backward()
	ps := []nn.NamedParam{{Name: "a", Var: a}, {Name: "b", Var: b}}
	ga, gb := a.Grad().Float64s(), b.Grad().Float64s()
	norm := nn.ClipGradNorm(ps, 0.5).Item()
	coef := 0.5 / (norm + 1e-6)
	for i := range ga {
		require.InDelta(t, ga[i]*coef, a.Grad().Float64s()[i], 1e-12)
		require.InDelta(t, gb[i]*coef, b.Grad().Float64s()[i], 1e-12)
	}
}

// In anomaly mode an update that leaves a parameter non-finite (here an
// infinite learning rate) stops at the optimizer step, naming the
// parameter and the optimizer, instead of at the next forward pass.
func TestOptimizerAnomaly(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	w, b := rng.Normal(cpu, device.Float64, 0, 1, 3, 2), rng.Normal(cpu, device.Float64, 0, 1, 2)
	gw, gb := rng.Normal(cpu, device.Float64, 0, 1, 6).Float64s(), rng.Normal(cpu, device.Float64, 0, 1, 2).Float64s()
	fresh := func() []nn.NamedParam {
		return []nn.NamedParam{{Name: "fc.weight", Var: autograd.Param(w.Clone())}, {Name: "fc.bias", Var: autograd.Param(b.Clone())}}
	}
	for _, mk := range []func(ps []nn.NamedParam, lr float64) nn.Optimizer{
		func(ps []nn.NamedParam, lr float64) nn.Optimizer { return nn.NewSGD(ps, device.SGDParams{LR: lr}) },
		func(ps []nn.NamedParam, lr float64) nn.Optimizer { return nn.NewAdam(ps, nn.AdamDefaults(lr)) },
	} {
		step := func(lr float64, anomaly bool) (nn.Optimizer, error) {
			opt := mk(fresh(), lr)
			setGrads(opt.Params(), gw, gb)
			autograd.SetAnomalyDetection(anomaly)
			defer autograd.SetAnomalyDetection(false)
			return opt, tensor.Try(opt.Step)
		}
		opt, err := step(math.Inf(1), false)
		name := fmt.Sprintf("%T", opt)[len("*nn."):]
		require.NoError(t, err, "%s: anomaly mode is off", name)
		require.True(t, math.IsInf(opt.Params()[0].Var.Value().Float64s()[0], 0) || math.IsNaN(opt.Params()[0].Var.Value().Float64s()[0]))

		_, err = step(math.Inf(1), true)
		var te *tensor.Error
		require.ErrorAs(t, err, &te, name)
		require.Equal(t, name+".Step", te.Op)
		require.ErrorContains(t, err, `parameter "fc.weight"`)
		require.ErrorContains(t, err, "anomaly detected")

		_, err = step(0.1, true)
		require.NoError(t, err, "%s: a finite step passes", name)
	}
}
