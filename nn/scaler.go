package nn

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// GradScalerOptions configure a GradScaler. Zero fields take PyTorch's
// defaults (torch.cuda.amp.GradScaler): InitScale 65536, GrowthFactor 2,
// BackoffFactor 0.5, GrowthInterval 2000.
type GradScalerOptions struct {
	// InitScale is the loss scale of the first step.
	InitScale float64
	// GrowthFactor multiplies the scale after GrowthInterval steps in a
	// row whose gradients were all finite.
	GrowthFactor float64
	// BackoffFactor multiplies the scale after a step whose gradients
	// held an Inf or a NaN (a step that is then skipped).
	BackoffFactor float64
	// GrowthInterval is the number of clean steps in a row that grow the
	// scale.
	GrowthInterval int
}

// GradScaler is dynamic loss scaling for float16 training, as PyTorch's
// torch.cuda.amp.GradScaler: the loss is multiplied by a scale before
// Backward so that small gradients survive float16's narrow range, the
// gradients are divided by it again before the optimizer step, and a step
// whose gradients hold an Inf or a NaN (the scale was too large) is
// skipped and the scale halved; after GrowthInterval clean steps the scale
// doubles.
//
// Everything stays on the device, so a step never waits for it: the
// scale, the count of clean steps and the found-Inf flag are device
// scalars, the check is a sum per gradient (an Inf or NaN anywhere makes
// the sum non-finite), and the skip is a select: Step keeps a copy of
// every parameter and optimizer state tensor, runs the optimizer, and
// puts the old values back where the flag is set (tensor.Where), so no
// kernel or optimizer needs to know about scaling. (An optimizer's state
// is what its State method exports: all of it, for this package's
// optimizers, as checkpoints need.) The copies cost about
// one more pass over the optimizer's memory per step, small beside the
// forward and backward passes, and need no host round trip, which would
// stall a GPU's queue every step.
//
// A skipped step still counts as a step on the host: the optimizer's
// own step count (Adam's bias correction) and a Trainer's schedule
// advance, as they cannot see a device flag without waiting for it.
// PyTorch's non-fused path waits, and so does not count them; the
// difference is a bias correction a few steps ahead at the start of
// training, where the scale search skips its first steps.
//
// A step goes Scale (the loss), Backward, then Unscale (only when the
// gradients are used before the step, by clipping), Step, Update:
//
//	loss := nn.CrossEntropy(model.Forward(autograd.Autocast(x, device.Float16)), y, 0)
//	opt.ZeroGrad()
//	scaler.Scale(loss).Backward()
//	scaler.Unscale(opt)
//	nn.ClipGradNorm(opt.Params(), 1)
//	scaler.Step(opt)
//	scaler.Update()
type GradScaler struct {
	o   GradScalerOptions
	dev device.Device
	set bool // dev and the device scalars exist

	scale   *tensor.Tensor // float32 scalar: the loss scale
	tracker *tensor.Tensor // float32 scalar: clean steps since the scale last changed
	found   *tensor.Tensor // float32 scalar: 1 when the last unscaled gradients held an Inf or NaN, else 0
	skipped *tensor.Tensor // float64 scalar: steps skipped so far

	unscaled bool // Unscale ran since the last Update

	// The scale and clean-step count the device scalars start from:
	// InitScale and 0, or what LoadState set before they existed.
	startScale   float64
	startTracker int
}

// NewGradScaler returns a scaler with options o (zero fields take the
// defaults). Its device scalars are made on the device of the first loss
// it scales.
func NewGradScaler(o GradScalerOptions) *GradScaler {
	if o.InitScale == 0 {
		o.InitScale = 65536
	}
	if o.GrowthFactor == 0 {
		o.GrowthFactor = 2
	}
	if o.BackoffFactor == 0 {
		o.BackoffFactor = 0.5
	}
	if o.GrowthInterval == 0 {
		o.GrowthInterval = 2000
	}
	switch {
	case !(o.InitScale > 0) || math.IsInf(o.InitScale, 0):
		panic(fmt.Sprintf("nn: GradScaler InitScale %v: want a finite number > 0", o.InitScale))
	case !(o.GrowthFactor > 1) || math.IsInf(o.GrowthFactor, 0):
		panic(fmt.Sprintf("nn: GradScaler GrowthFactor %v: want a finite number > 1", o.GrowthFactor))
	case !(o.BackoffFactor > 0 && o.BackoffFactor < 1):
		panic(fmt.Sprintf("nn: GradScaler BackoffFactor %v: want a number in (0, 1)", o.BackoffFactor))
	case o.GrowthInterval < 0:
		panic(fmt.Sprintf("nn: GradScaler GrowthInterval %d: want a positive count", o.GrowthInterval))
	}
	return &GradScaler{o: o, startScale: o.InitScale}
}

// Options returns the scaler's options, defaults filled in.
func (s *GradScaler) Options() GradScalerOptions { return s.o }

// init makes the device scalars on dev, once.
func (s *GradScaler) init(dev device.Device) {
	if s.set {
		if dev != s.dev {
			panic(&tensor.Error{Op: "GradScaler", Msg: fmt.Sprintf("the scaler lives on %v, the loss or gradients on %v", s.dev, dev)})
		}
		return
	}
	s.dev, s.set = dev, true
	s.scale = tensor.Scalar(dev, device.Float32, s.startScale)
	s.tracker = tensor.Scalar(dev, device.Float32, float64(s.startTracker))
	s.found = tensor.Scalar(dev, device.Float32, 0)
	s.skipped = tensor.Scalar(dev, device.Float64, 0)
}

// Scale returns loss multiplied by the current scale (a device scalar:
// nothing is read back). Backward from it gives scaled gradients.
func (s *GradScaler) Scale(loss *autograd.Var) *autograd.Var {
	s.init(loss.Device())
	scale := s.scale
	if loss.DType() != scale.DType() {
		scale = scale.Cast(loss.DType())
	}
	return loss.Mul(autograd.Const(scale))
}

// Seed returns the seed that makes a backward pass from loss compute the
// gradients of Scale(loss): the scale, in loss's shape and dtype.
// autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{Seeds:
// []*autograd.Var{s.Seed(loss)}}) equals Scale(loss).Backward() and keeps
// loss the pass's output (which GradOptions.ReleaseValues never frees).
func (s *GradScaler) Seed(loss *autograd.Var) *autograd.Var {
	s.init(loss.Device())
	return autograd.Const(s.scale.Cast(loss.DType()).Reshape(loss.Shape()...))
}

// Unscale divides every gradient of opt's parameters by the scale (each
// replaced with SetGrad) and sets the found-Inf flag when any of them
// holds an Inf or a NaN. Call it before using the gradients (clipping);
// Step calls it when it has not run since the last Update.
func (s *GradScaler) Unscale(opt Optimizer) {
	if s.unscaled {
		panic("nn: GradScaler.Unscale called twice in one step (Step unscales unless Unscale ran; Update ends the step)")
	}
	s.unscaled = true
	var total *tensor.Tensor
	for _, p := range opt.Params() {
		g := p.Var.Grad()
		if g == nil {
			continue
		}
		s.init(g.Device())
		u := g.Div(s.scale.Cast(g.DType()))
		p.Var.SetGrad(u)
		// A sum is Inf or NaN when any term is (Inf-Inf is NaN), so one
		// reduction per gradient finds them. A finite gradient whose sum
		// overflows float32 counts too: its step would be garbage anyway.
		sum := u.Sum(false)
		if sum.DType() != device.Float32 {
			sum = sum.Cast(device.Float32)
		}
		if total == nil {
			total = sum
		} else {
			total = total.Add(sum)
		}
	}
	if total == nil {
		if s.set {
			s.found = tensor.Scalar(s.dev, device.Float32, 0)
		}
		return
	}
	// 0*x is 0 for finite x and NaN otherwise; NaN alone differs from
	// itself.
	z := total.MulScalar(0)
	s.found = z.Ne(z)
}

// Step unscales the gradients (unless Unscale already did this step) and
// runs opt.Step, then puts every parameter and optimizer state tensor
// back as it was when the gradients held an Inf or a NaN: the update is
// skipped on the device, without reading the flag back.
func (s *GradScaler) Step(opt Optimizer) {
	if !s.unscaled {
		s.Unscale(opt)
	}
	if !s.set {
		opt.Step() // no gradients at all: nothing to skip
		return
	}
	ps := opt.Params()
	old := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		if p.Var.Grad() != nil {
			old[i] = p.Var.Value().Clone()
		}
	}
	before := s.stateOf(opt)
	saved := make(map[string]*tensor.Tensor, len(before)) // lookup only: the order below comes from the slice
	for _, t := range before {
		saved[t.Name] = t.Tensor.Clone()
	}
	opt.Step()
	// The copies and the selections are temporaries: they go back to the
	// device's cache at once (stream-ordered on a GPU) rather than to the
	// collector, which left every step allocating them afresh.
	for i, p := range ps {
		if old[i] != nil {
			v := p.Var.Value()
			assignWhere(v, s.found, old[i])
			old[i].Release()
		}
	}
	for _, t := range s.stateOf(opt) {
		prev := saved[t.Name]
		if prev == nil {
			// State made by this step (a first step): zeros before it.
			prev = tensor.Scalar(t.Tensor.Device(), t.Tensor.DType(), 0)
		}
		assignWhere(t.Tensor, s.found, prev)
		prev.Release()
	}
}

// assignWhere sets v to prev where found is set, in place.
func assignWhere(v, found, prev *tensor.Tensor) {
	w := tensor.Where(found, prev, v)
	v.Assign(w)
	w.Release()
}

// stateOf returns opt's state tensors that live on the scaler's device
// as floats (Adam's step counts are host integers).
func (s *GradScaler) stateOf(opt Optimizer) []NamedTensor {
	var out []NamedTensor
	for _, t := range opt.State().Tensors {
		if t.Tensor.Device() == s.dev && t.Tensor.DType().IsFloat() {
			out = append(out, t)
		}
	}
	return out
}

// Update ends a step: it backs the scale off when the step's gradients
// held an Inf or a NaN, grows it after GrowthInterval clean steps in a
// row, and counts skipped steps, all on the device.
func (s *GradScaler) Update() {
	if !s.unscaled {
		panic("nn: GradScaler.Update before Unscale or Step: the step's gradients were never checked")
	}
	s.unscaled = false
	if !s.set {
		return // nothing was scaled or had a gradient
	}
	clean := s.found.RSubScalar(1)
	s.tracker = s.tracker.AddScalar(1).Mul(clean)
	grow := s.tracker.GtScalar(float64(s.o.GrowthInterval) - 0.5)
	factor := s.found.MulScalar(s.o.BackoffFactor).Add(clean.Mul(grow.MulScalar(s.o.GrowthFactor - 1).AddScalar(1)))
	s.scale = s.scale.Mul(factor)
	s.tracker = s.tracker.Mul(grow.RSubScalar(1))
	s.skipped = s.skipped.Add(s.found.Cast(device.Float64))
}

// ScaleTensor returns the current scale, a float32 scalar on the device
// (nil before the first Scale); reading it waits for the device.
func (s *GradScaler) ScaleTensor() *tensor.Tensor { return s.scale }

// FoundInf returns the last step's flag, a float32 scalar on the device:
// 1 when its gradients held an Inf or a NaN (the step was skipped), else
// 0; nil before the first step.
func (s *GradScaler) FoundInf() *tensor.Tensor { return s.found }

// Skipped returns how many steps were skipped so far, a float64 scalar on
// the device (nil before the first step).
func (s *GradScaler) Skipped() *tensor.Tensor { return s.skipped }

// State returns the scale and the number of clean steps since it last
// changed, what a checkpoint keeps to resume the same scaling. It reads
// them from the device (a sync), or returns the starting values before
// the first step.
func (s *GradScaler) State() (scale float64, growthTracker int) {
	if !s.set {
		return s.startScale, s.startTracker
	}
	return s.scale.Item(), int(s.tracker.Item())
}

// LoadState sets the scale and the clean-step count, as State returned
// them; it fails on a scale that is not a finite positive number or a
// count outside [0, GrowthInterval).
func (s *GradScaler) LoadState(scale float64, growthTracker int) error {
	if !(scale > 0) || math.IsInf(scale, 0) || scale > math.MaxFloat32 {
		return fmt.Errorf("nn: GradScaler scale %v: want a finite float32 > 0", scale)
	}
	if growthTracker < 0 || growthTracker >= s.o.GrowthInterval {
		return fmt.Errorf("nn: GradScaler growth tracker %d: want 0..%d", growthTracker, s.o.GrowthInterval-1)
	}
	s.startScale, s.startTracker = scale, growthTracker
	if s.set {
		s.scale = tensor.Scalar(s.dev, device.Float32, scale)
		s.tracker = tensor.Scalar(s.dev, device.Float32, float64(growthTracker))
	}
	return nil
}
