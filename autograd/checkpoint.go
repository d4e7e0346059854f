package autograd

import (
	"slices"

	"github.com/tapegrad/tapegrad/tensor"
)

// CheckpointOptions says what Checkpoint must know about f beyond its
// inputs.
type CheckpointOptions struct {
	// Params are the Vars f uses without taking them as inputs (a
	// module's weights): the checkpoint's gradient reaches them through
	// the recomputation.
	Params []*Var
	// RNGs are the generators f draws from (dropout masks): their
	// positions are saved before f runs and restored for the
	// recomputation, so it draws the same numbers; afterwards each
	// continues from where the first run left it.
	RNGs []*tensor.RNG
}

// Checkpoint returns f(inputs) without keeping f's intermediates on the
// tape: f runs once from NoGrad views of the inputs (recording nothing),
// and its output gets one node whose VJP runs f again, recording, and
// backpropagates through that recomputation. Between forward and backward
// the tape then holds f's inputs and output instead of every activation
// inside f, for the cost of one more forward pass of f: gradient
// checkpointing, as torch.utils.checkpoint.
//
// f must compute the same thing when run again: the same ops on the same
// inputs, drawing random numbers only from opts.RNGs. Its output's value
// and the gradients through it are then bit-identical to calling f
// directly. Params inside f that are not listed in opts.Params get no
// gradient from the checkpoint. Forward mode passes through: the first
// run carries the inputs' tangents. With GradOptions.CreateGraph the
// recomputation is recorded, so grad of grad works through it.
func Checkpoint(f func(inputs []*Var) *Var, inputs []*Var, opts CheckpointOptions) *Var {
	const op = "Checkpoint"
	var rngs []*tensor.RNG // each once: several layers may share one
	for _, g := range opts.RNGs {
		if g != nil && !slices.Contains(rngs, g) {
			rngs = append(rngs, g)
		}
	}
	offsets := make([]uint64, len(rngs))
	for i, g := range rngs {
		offsets[i] = g.Offset()
	}
	free := make([]*Var, len(inputs))
	for i, x := range inputs {
		free[i] = NoGrad(x)
	}
	y := f(free)
	if y == nil {
		panic(newError(op, "f returned a nil Var"))
	}
	all := append(append([]*Var(nil), inputs...), opts.Params...)
	wants := make([]bool, len(all)) // which of them required grad when recorded
	for i, x := range all {
		wants[i] = x.RequiresGrad()
	}
	// The rules share one recomputation per backward visit: the first rule
	// called with a given g runs it and keeps every input's gradient.
	var lastG *Var
	var grads []*Var
	recompute := func(g *Var, x []*Var) []*Var {
		if g == lastG {
			return grads
		}
		create := g.RequiresGrad()
		ins := make([]*Var, len(inputs))
		targets := make([]*Var, 0, len(all))
		for i := range inputs {
			switch {
			case create:
				ins[i] = x[i]
			case wants[i]:
				ins[i] = Param(x[i].Value())
			default:
				ins[i] = Const(x[i].Value())
			}
			targets = append(targets, ins[i])
		}
		// f uses the Params themselves, not the (possibly detached) copies
		// the engine hands the rule, so the gradient is taken with respect
		// to them in the recomputed graph.
		targets = append(targets, opts.Params...)
		now := make([]uint64, len(rngs))
		for i, r := range rngs {
			now[i] = r.Offset()
			r.SetOffset(offsets[i])
		}
		out := f(ins)
		for i, r := range rngs {
			r.SetOffset(now[i])
		}
		var used []*Var
		var at []int
		for i, t := range targets {
			if wants[i] && t.RequiresGrad() {
				used = append(used, t)
				at = append(at, i)
			}
		}
		grads = make([]*Var, len(all))
		if len(used) > 0 && out.RequiresGrad() {
			gs := Grad([]*Var{out}, used, GradOptions{Seeds: []*Var{g}, CreateGraph: create, AllowUnused: true})
			for k, i := range at {
				grads[i] = gs[k]
			}
		}
		lastG = g
		return grads
	}
	// Forward mode: the first run already carried the inputs' tangents
	// through f (NoGrad keeps them), so y's tangent is the whole JVP; the
	// first input with a tangent contributes it, the others nothing.
	first := slices.IndexFunc(all, func(v *Var) bool { return v.Tangent() != nil })
	ds := make([]deriv, len(all))
	for i := range all {
		ds[i].vjp = func(g *Var, x []*Var, _ *Var) *Var { return recompute(g, x)[i] }
		ds[i].jvp = func(*Var, []*Var, *Var) *Var {
			if i == first {
				return y.Tangent()
			}
			return nil
		}
	}
	return record(op, y.Value(), all, ds...)
}
