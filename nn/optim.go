package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Optimizer updates parameters from their gradients. Each Step is one
// fused kernel per parameter (tensor.SGDStep or tensor.AdamStep) on the
// parameter's device; state tensors are allocated there on first use.
// Parameters without a gradient are skipped, as PyTorch does.
type Optimizer interface {
	// Step updates every parameter that has a gradient.
	Step()
	// ZeroGrad clears every parameter's gradient.
	ZeroGrad()
	// Params returns the parameters being optimised.
	Params() []NamedParam
	// LR returns the current learning rate.
	LR() float64
	// SetLR sets the learning rate used by the following steps.
	SetLR(lr float64)
	// State exports the optimizer's state for a checkpoint.
	State() OptimState
	// LoadState restores state exported by State, checking every name,
	// shape and dtype before changing anything.
	LoadState(s OptimState) error
}

// OptimState is an optimizer's exportable state: how many Steps ran and
// named tensors "<param>.<slot>" with PyTorch's slot names
// (momentum_buffer; exp_avg, exp_avg_sq and an Int32 scalar step).
type OptimState struct {
	Steps   int
	Tensors []NamedTensor
}

// params holds what every optimizer shares.
type params struct {
	ps    []NamedParam
	steps int
}

// Params returns the parameters being optimised, in their order.
func (o *params) Params() []NamedParam { return slices.Clone(o.ps) }

// ZeroGrad clears every parameter's gradient.
func (o *params) ZeroGrad() {
	for _, p := range o.ps {
		p.Var.ZeroGrad()
	}
}

// grad returns parameter i's gradient in the dense form the fused kernels
// need, or nil when it has none.
func (o *params) grad(i int) *tensor.Tensor {
	g := o.ps[i].Var.Grad()
	if g == nil {
		return nil
	}
	return g.Contiguous()
}

// checkUpdate is anomaly mode's check of an optimizer step: in that mode
// a parameter the update left holding NaN or Inf panics with a
// *tensor.Error naming the optimizer and the parameter, so a bad learning
// rate is blamed on the step rather than on the next forward pass.
func checkUpdate(opt string, p NamedParam, lr float64) {
	if !autograd.AnomalyDetection() {
		return
	}
	v := p.Var.Value()
	for i, x := range v.Float64s() {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			panic(&tensor.Error{Op: opt + ".Step",
				Msg: fmt.Sprintf("anomaly detected: parameter %q holds %v at element %d after this update (lr %g)",
					p.Name, x, i, lr),
				Shapes: [][]int{v.Shape()}, DTypes: []device.DType{v.DType()}, Devices: []device.Device{v.Device()}})
		}
	}
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, exactly as device.SGDParams (PyTorch's
// torch.optim.SGD with dampening 0).
type SGD struct {
	params
	H   device.SGDParams
	mom []*tensor.Tensor // momentum buffers by parameter; nil until first used
}

// NewSGD returns an SGD optimizer over ps with hyper-parameters h.
func NewSGD(ps []NamedParam, h device.SGDParams) *SGD {
	if h.Nesterov && h.Momentum == 0 {
		panic("nn: Nesterov SGD needs a momentum")
	}
	return &SGD{params: params{ps: slices.Clone(ps)}, H: h, mom: make([]*tensor.Tensor, len(ps))}
}

// LR returns the learning rate.
func (o *SGD) LR() float64 { return o.H.LR }

// SetLR sets the learning rate.
func (o *SGD) SetLR(lr float64) { o.H.LR = lr }

// Step applies one SGD update to every parameter with a gradient.
func (o *SGD) Step() {
	o.steps++
	for i, p := range o.ps {
		g := o.grad(i)
		if g == nil {
			continue
		}
		if o.H.Momentum != 0 && o.mom[i] == nil {
			o.mom[i] = p.Var.Value().ZerosLike()
		}
		tensor.SGDStep(p.Var.Value(), g, o.mom[i], o.H)
		checkUpdate("SGD", p, o.H.LR)
	}
}

// State exports the momentum buffers as "<param>.momentum_buffer".
func (o *SGD) State() OptimState {
	s := OptimState{Steps: o.steps}
	for i, m := range o.mom {
		if m != nil {
			s.Tensors = append(s.Tensors, NamedTensor{o.ps[i].Name + ".momentum_buffer", m})
		}
	}
	return s
}

// LoadState restores momentum buffers exported by State.
func (o *SGD) LoadState(s OptimState) error {
	slots := []slot{{"momentum_buffer", func(i int) **tensor.Tensor { return &o.mom[i] }, false}}
	if err := loadSlots(o.ps, slots, s); err != nil {
		return err
	}
	o.steps = s.Steps
	return nil
}

// Adam is Adam (Kingma & Ba) with bias correction, or AdamW (Loshchilov &
// Hutter) when H.Decoupled, exactly as device.AdamParams defines them.
// Each parameter counts its own steps, as torch.optim.Adam does, so a
// parameter that first gets a gradient late is bias-corrected from its own
// first step.
type Adam struct {
	params
	H     device.AdamParams
	m, v  []*tensor.Tensor
	count []int
}

// AdamDefaults returns PyTorch's Adam hyper-parameters at rate lr:
// betas (0.9, 0.999), eps 1e-8, no weight decay.
func AdamDefaults(lr float64) device.AdamParams {
	return device.AdamParams{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// AdamWDefaults returns PyTorch's AdamW hyper-parameters at rate lr: those
// of Adam with decoupled weight decay 0.01.
func AdamWDefaults(lr float64) device.AdamParams {
	h := AdamDefaults(lr)
	h.WeightDecay, h.Decoupled = 0.01, true
	return h
}

// NewAdam returns an Adam optimizer over ps; h.Step is ignored (each
// parameter counts its own). For AdamW pass h.Decoupled = true, or use
// NewAdamW.
func NewAdam(ps []NamedParam, h device.AdamParams) *Adam {
	n := len(ps)
	return &Adam{params: params{ps: slices.Clone(ps)}, H: h,
		m: make([]*tensor.Tensor, n), v: make([]*tensor.Tensor, n), count: make([]int, n)}
}

// NewAdamW returns Adam with decoupled weight decay (AdamW).
func NewAdamW(ps []NamedParam, h device.AdamParams) *Adam {
	h.Decoupled = true
	return NewAdam(ps, h)
}

// LR returns the learning rate.
func (o *Adam) LR() float64 { return o.H.LR }

// SetLR sets the learning rate.
func (o *Adam) SetLR(lr float64) { o.H.LR = lr }

// Step applies one Adam update to every parameter with a gradient.
func (o *Adam) Step() {
	o.steps++
	for i, p := range o.ps {
		g := o.grad(i)
		if g == nil {
			continue
		}
		if o.m[i] == nil {
			o.m[i] = p.Var.Value().ZerosLike()
			o.v[i] = p.Var.Value().ZerosLike()
		}
		o.count[i]++
		h := o.H
		h.Step = o.count[i]
		tensor.AdamStep(p.Var.Value(), g, o.m[i], o.v[i], h)
		checkUpdate("Adam", p, o.H.LR)
	}
}

// State exports "<param>.exp_avg", ".exp_avg_sq" and ".step" (an Int32
// scalar on the CPU) for every parameter stepped so far.
func (o *Adam) State() OptimState {
	s := OptimState{Steps: o.steps}
	for i := range o.ps {
		if o.m[i] == nil {
			continue
		}
		name := o.ps[i].Name
		step := tensor.New([]int32{int32(o.count[i])}).Reshape()
		s.Tensors = append(s.Tensors, NamedTensor{name + ".exp_avg", o.m[i]},
			NamedTensor{name + ".exp_avg_sq", o.v[i]}, NamedTensor{name + ".step", step})
	}
	return s
}

// LoadState restores moments and step counts exported by State.
func (o *Adam) LoadState(s OptimState) error {
	steps := make([]*tensor.Tensor, len(o.ps))
	slots := []slot{
		{"exp_avg", func(i int) **tensor.Tensor { return &o.m[i] }, false},
		{"exp_avg_sq", func(i int) **tensor.Tensor { return &o.v[i] }, false},
		{"step", func(i int) **tensor.Tensor { return &steps[i] }, true},
	}
	if err := loadSlots(o.ps, slots, s); err != nil {
		return err
	}
	for i, t := range steps {
		o.count[i] = 0
		if t != nil {
			o.count[i] = int(t.Item())
		}
	}
	o.steps = s.Steps
	return nil
}

// slot is one kind of per-parameter state: its name, where it is kept,
// and whether it is an Int32 scalar (a step count) rather than a tensor
// shaped like the parameter.
type slot struct {
	name   string
	ref    func(i int) **tensor.Tensor
	scalar bool
}

// loadSlots checks every tensor of s against the parameters and slots,
// and only when all are right replaces the state: every parameter's slots
// come from s or, when s has none for it, start afresh (nil). A parameter
// must have all of its slots or none.
func loadSlots(ps []NamedParam, slots []slot, s OptimState) error {
	found := make([][]*tensor.Tensor, len(ps))
	var problems []Problem
	for _, nt := range s.Tensors {
		pi, si := -1, -1
		for i, p := range ps {
			for j, sl := range slots {
				if nt.Name == p.Name+"."+sl.name {
					pi, si = i, j
				}
			}
		}
		if pi < 0 {
			problems = append(problems, Problem{Kind: ErrUnexpected, Name: nt.Name})
			continue
		}
		if found[pi] == nil {
			found[pi] = make([]*tensor.Tensor, len(slots))
		}
		want, wantDT := ps[pi].Var.Value().Shape(), ps[pi].Var.Value().DType()
		if slots[si].scalar {
			want, wantDT = []int{}, device.Int32
		}
		switch {
		case !slices.Equal(nt.Tensor.Shape(), want):
			problems = append(problems, Problem{Kind: ErrShape, Name: nt.Name, Want: fmt.Sprint(want), Got: fmt.Sprint(nt.Tensor.Shape())})
		case nt.Tensor.DType() != wantDT:
			problems = append(problems, Problem{Kind: ErrDType, Name: nt.Name, Want: wantDT.String(), Got: nt.Tensor.DType().String()})
		default:
			found[pi][si] = nt.Tensor
		}
	}
	for i, f := range found {
		for j := range f {
			if f != nil && f[j] == nil && !hasProblem(problems, ps[i].Name+"."+slots[j].name) {
				problems = append(problems, Problem{Kind: ErrMissing, Name: ps[i].Name + "." + slots[j].name})
			}
		}
	}
	if len(problems) > 0 {
		return &MismatchError{What: "optimizer state", Problems: problems}
	}
	for i, f := range found {
		for j, sl := range slots {
			r := sl.ref(i)
			if f == nil {
				*r = nil
				continue
			}
			dev := ps[i].Var.Value().Device()
			if sl.scalar {
				dev = device.CPUDevice
			}
			*r = f[j].To(dev).Clone()
		}
	}
	return nil
}

func hasProblem(ps []Problem, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}
