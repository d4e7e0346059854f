package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// scalerModel is two float32 parameters and a batch: a tiny linear
// regression whose loss has a gradient in both.
type scalerModel struct {
	ps   []nn.NamedParam
	x, y *tensor.Tensor
}

func newScalerModel(seed uint64) *scalerModel {
	r := tensor.NewRNG(seed)
	w := autograd.Param(r.Normal(cpu, device.Float32, 0, 1, 5, 3))
	b := autograd.Param(r.Normal(cpu, device.Float32, 0, 1, 3))
	return &scalerModel{ps: []nn.NamedParam{{Name: "w", Var: w}, {Name: "b", Var: b}},
		x: r.Normal(cpu, device.Float32, 0, 1, 8, 5), y: r.Normal(cpu, device.Float32, 0, 1, 8, 3)}
}

func (m *scalerModel) loss() *autograd.Var {
	out := autograd.Const(m.x).MatMul(m.ps[0].Var).Add(m.ps[1].Var)
	return nn.MSE(out, autograd.Const(m.y))
}

// values returns every parameter's and state tensor's numbers, in order.
func values(opt nn.Optimizer) [][]float32 {
	var out [][]float32
	for _, p := range opt.Params() {
		out = append(out, p.Var.Value().Float32s())
	}
	for _, t := range opt.State().Tensors {
		if t.Tensor.DType() == device.Float32 {
			out = append(out, t.Tensor.Float32s())
		}
	}
	return out
}

// scaledStep runs one step of m through s and opt; plant, when not nil,
// replaces a gradient before the step (after Backward).
func scaledStep(m *scalerModel, s *nn.GradScaler, opt nn.Optimizer, plant func()) {
	opt.ZeroGrad()
	s.Scale(m.loss()).Backward()
	if plant != nil {
		plant()
	}
	s.Step(opt)
	s.Update()
}

// TestGradScalerCleanStepsMatchUnscaled checks that scaled steps with
// finite gradients are the plain optimizer's steps, bit for bit (the
// scale is a power of two, so scaling and unscaling are exact), for SGD
// with momentum and for Adam.
func TestGradScalerCleanStepsMatchUnscaled(t *testing.T) {
	seed := testSeed(t)
	for _, mk := range []func([]nn.NamedParam) nn.Optimizer{
		func(ps []nn.NamedParam) nn.Optimizer { return nn.NewSGD(ps, device.SGDParams{LR: 0.1, Momentum: 0.9}) },
		func(ps []nn.NamedParam) nn.Optimizer { return nn.NewAdam(ps, nn.AdamDefaults(0.01)) },
	} {
		ref, amp := newScalerModel(seed), newScalerModel(seed)
		refOpt, ampOpt := mk(ref.ps), mk(amp.ps)
		s := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1024})
		for range 4 {
			refOpt.ZeroGrad()
			ref.loss().Backward()
			refOpt.Step()
			scaledStep(amp, s, ampOpt, nil)
		}
		require.Equal(t, values(refOpt), values(ampOpt))
		require.Equal(t, 0.0, s.FoundInf().Item())
		require.Equal(t, 1024.0, s.ScaleTensor().Item())
	}
}

// TestGradScalerSkipsAndBacksOff plants an Inf, then a NaN, in one
// gradient: the step must leave every parameter and the optimizer state
// exactly as they were, raise the flag, halve the scale and count the
// skip; a clean step then moves the parameters again. A skip at the very
// first step leaves the state the step created at zero, so the next step
// is a fresh optimizer's first step.
func TestGradScalerSkipsAndBacksOff(t *testing.T) {
	seed := testSeed(t)
	m := newScalerModel(seed)
	opt := nn.NewSGD(m.ps, device.SGDParams{LR: 0.1, Momentum: 0.9})
	s := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 256, GrowthInterval: 100})
	plantAt := func(v float32) func() {
		return func() {
			g := m.ps[1].Var.Grad().Float32s()
			g[int(seed%3)] = v
			m.ps[1].Var.SetGrad(tensor.New(g, 3))
		}
	}
	start := values(opt)
	scaledStep(m, s, opt, plantAt(float32(math.Inf(1))))
	require.Equal(t, start, values(opt)[:2], "parameters moved in a skipped step")
	for _, st := range opt.State().Tensors {
		require.Equal(t, make([]float32, st.Tensor.Numel()), st.Tensor.Float32s(), "state %s after a skipped first step", st.Name)
	}
	require.Equal(t, 1.0, s.FoundInf().Item())
	require.Equal(t, 128.0, s.ScaleTensor().Item())
	require.Equal(t, 1.0, s.Skipped().Item())

	// The next clean step is a fresh SGD's first step.
	fresh := newScalerModel(seed)
	freshOpt := nn.NewSGD(fresh.ps, device.SGDParams{LR: 0.1, Momentum: 0.9})
	freshOpt.ZeroGrad()
	fresh.loss().Backward()
	freshOpt.Step()
	scaledStep(m, s, opt, nil)
	require.Equal(t, values(freshOpt), values(opt))
	require.Equal(t, 0.0, s.FoundInf().Item())

	// A NaN skips a step that has state from before.
	before := values(opt)
	scaledStep(m, s, opt, plantAt(float32(math.NaN())))
	require.Equal(t, before, values(opt))
	require.Equal(t, 64.0, s.ScaleTensor().Item())
	require.Equal(t, 2.0, s.Skipped().Item())
}

// TestGradScalerGrows checks that the scale doubles after GrowthInterval
// clean steps in a row, and that a skip restarts the count.
func TestGradScalerGrows(t *testing.T) {
	seed := testSeed(t)
	m := newScalerModel(seed)
	opt := nn.NewAdam(m.ps, nn.AdamDefaults(1e-3))
	s := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 8, GrowthInterval: 3})
	inf := func() { m.ps[0].Var.SetGrad(m.ps[0].Var.Grad().MulScalar(math.Inf(-1))) }
	var scales []float64
	for step := range 9 {
		var plant func()
		if step == 4 {
			plant = inf
		}
		scaledStep(m, s, opt, plant)
		scales = append(scales, s.ScaleTensor().Item())
	}
	// Clean steps 0-2 grow 8 to 16; step 4 is skipped (16 to 8) after one
	// clean step, so the count restarts and steps 5-7 grow it again.
	require.Equal(t, []float64{8, 8, 16, 16, 8, 8, 8, 16, 16}, scales)
	require.Equal(t, 1.0, s.Skipped().Item())
}

// TestGradScalerUnscaleBeforeClip checks that Unscale hands clipping the
// true gradients and that Step does not divide them a second time.
func TestGradScalerUnscaleBeforeClip(t *testing.T) {
	seed := testSeed(t)
	ref, amp := newScalerModel(seed), newScalerModel(seed)
	refOpt := nn.NewSGD(ref.ps, device.SGDParams{LR: 0.05})
	ampOpt := nn.NewSGD(amp.ps, device.SGDParams{LR: 0.05})
	s := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 4096})
	ref.loss().Backward()
	want := nn.ClipGradNorm(refOpt.Params(), 0.5).Item()
	refOpt.Step()
	s.Scale(amp.loss()).Backward()
	s.Unscale(ampOpt)
	got := nn.ClipGradNorm(ampOpt.Params(), 0.5).Item()
	s.Step(ampOpt)
	s.Update()
	require.Equal(t, want, got)
	require.Equal(t, values(refOpt), values(ampOpt))
	require.Panics(t, func() { s.Update() }, "Update without a checked step")
}

// TestGradScalerStepFreesItsCopies checks that Step's copies of the
// parameters and optimizer state, and the selections it assigns from, go
// back to the allocator within the step: with the collector off, a warm
// step (Unscale done before it) leaves the CPU's live bytes as they were,
// but for the step-count scalars of the two opt.State() exports it reads
// (fresh tensors the optimizer makes on each call).
func TestGradScalerStepFreesItsCopies(t *testing.T) {
	be := device.MustOpen(cpu)
	devicetest.CollectorOff(t, be)
	m := newScalerModel(testSeed(t))
	opt := nn.NewAdam(m.ps, nn.AdamDefaults(0.01))
	s := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1024})
	for i := range 3 {
		opt.ZeroGrad()
		s.Scale(m.loss()).Backward()
		s.Unscale(opt)
		live := be.Memory().Live
		opt.State()
		opt.State()
		exports := be.Memory().Live - live
		live = be.Memory().Live
		s.Step(opt)
		if i > 0 {
			require.Equal(t, live+exports, be.Memory().Live, "step %d", i)
		}
		s.Update()
	}
}
