package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// CheckOptions tune Check. Zero fields take the defaults.
type CheckOptions struct {
	// Eps is the central-difference step (default 1e-6).
	Eps float64
	// ATol and RTol bound |analytic - numeric| by ATol + RTol*|numeric|
	// element by element (defaults 1e-6 and 1e-4).
	ATol, RTol float64
	// Seed fixes the random projection that reduces a non-scalar output
	// to a scalar, and the directions of a second-order check.
	Seed uint64
	// SecondOrder checks the gradient of the gradient instead: f is
	// replaced by Σ_i <∂f/∂x_i, v_i> for fixed random v_i, computed with
	// CreateGraph, and that is checked against central differences.
	SecondOrder bool
	// Forward checks the JVP (forward mode) instead of the VJP: the
	// tangent of f along a fixed random direction against the central
	// difference along it, element by element of the output, and
	// <J v, u> against <v, Jᵀ u> for a random u (the JVP against the
	// VJP). With SecondOrder it checks the JVP of the gradient (forward
	// over reverse, as HVP computes), so tangents must flow through the
	// ops of a backward pass.
	Forward bool
}

func (o CheckOptions) withDefaults() CheckOptions {
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.ATol == 0 {
		o.ATol = 1e-6
	}
	if o.RTol == 0 {
		o.RTol = 1e-4
	}
	return o
}

// Report is the outcome of Check: the largest errors over every element
// of every float input, and the worst element (the one furthest past its
// tolerance).
type Report struct {
	MaxAbsErr float64 // max |analytic - numeric|
	MaxRelErr float64 // max |analytic - numeric| / max(|numeric|, ATol)
	Input     int     // the worst element's input
	Index     int     // and its row-major position in that input
	Analytic  float64 // the worst element's analytic gradient
	Numeric   float64 // and its central difference
	Checked   int     // elements compared
	Pass      bool    // every element within ATol + RTol*|numeric|
	// Forward marks a JVP check (CheckOptions.Forward): then Index is
	// the worst output element, Analytic its tangent and Numeric its
	// central difference along the direction, Input is 0, and
	// AdjointErr is |<J v, u> - <v, Jᵀ u>| / max(1, |<J v, u>|).
	Forward    bool
	AdjointErr float64
}

// score counts one element whose analytic derivative is an and central
// difference num, and reports whether it is the worst so far (worst holds
// the largest excess over the tolerance seen), in which case it becomes
// the report's Analytic and Numeric.
func (r *Report) score(an, num float64, o CheckOptions, worst *float64) bool {
	diff := math.Abs(an - num)
	excess := diff / (o.ATol + o.RTol*math.Abs(num))
	if math.IsNaN(diff) {
		excess = math.Inf(1)
	}
	r.Checked++
	r.MaxAbsErr = max(r.MaxAbsErr, diff)
	r.MaxRelErr = max(r.MaxRelErr, diff/max(math.Abs(num), o.ATol))
	if excess > 1 {
		r.Pass = false
	}
	if excess <= *worst {
		return false
	}
	*worst = excess
	r.Analytic, r.Numeric = an, num
	return true
}

// String formats the report on one line.
func (r Report) String() string {
	verdict := "FAIL"
	if r.Pass {
		verdict = "pass"
	}
	if r.Forward {
		return fmt.Sprintf("JVP: max abs err %.3g, max rel err %.3g, worst output element %d (tangent %.6g, numeric %.6g), JVP-VJP adjoint err %.3g, %d elements: %s",
			r.MaxAbsErr, r.MaxRelErr, r.Index, r.Analytic, r.Numeric, r.AdjointErr, r.Checked, verdict)
	}
	return fmt.Sprintf("max abs err %.3g, max rel err %.3g, worst input %d element %d (analytic %.6g, numeric %.6g), %d elements: %s",
		r.MaxAbsErr, r.MaxRelErr, r.Input, r.Index, r.Analytic, r.Numeric, r.Checked, verdict)
}

// Check compares the analytic gradient of f at inputs with central
// differences, on the inputs' devices. Float inputs are cast to Float64
// (contiguous copies) and perturbed one element at a time; Int32 inputs
// (labels, indices) are passed as constants. A non-scalar output is
// reduced to a scalar by a fixed random projection. f must be a pure
// function of its inputs (the same inputs give the same output); apply
// views (transposes, narrows) inside f to check strided operands. A
// *tensor.Error raised inside f is returned as the error. With
// opts.Forward it checks f's JVP instead (see CheckOptions.Forward).
func Check(f func(xs []*Var) *Var, inputs []*tensor.Tensor, opts CheckOptions) (rep Report, err error) {
	opts = opts.withDefaults()
	err = tensor.Try(func() { rep = check(f, inputs, opts) })
	return rep, err
}

func check(f func(xs []*Var) *Var, inputs []*tensor.Tensor, opts CheckOptions) Report {
	if opts.SecondOrder {
		f = secondOrder(f, opts.Seed)
	}
	if opts.Forward {
		return checkForward(f, inputs, opts)
	}
	xs := make([]*tensor.Tensor, len(inputs))
	host := make([][]float64, len(inputs))
	for i, t := range inputs {
		xs[i] = t
		if t.DType().IsFloat() {
			xs[i] = t.Cast(device.Float64).Contiguous()
			host[i] = xs[i].Float64s()
		}
	}
	analytic := analyticGrads(f, xs, opts.Seed)
	eval := func(ts []*tensor.Tensor) float64 {
		vs := make([]*Var, len(ts))
		for i, t := range ts {
			vs[i] = Const(t)
		}
		return scalarize("Check", f(vs), opts.Seed).value.Item()
	}
	rep := Report{Pass: true}
	worst := -1.0
	ts := append([]*tensor.Tensor(nil), xs...)
	for i, h := range host {
		for j, orig := range h {
			h[j] = orig + opts.Eps
			ts[i] = tensor.NewOn(xs[i].Device(), h, xs[i].Shape()...)
			fp := eval(ts)
			h[j] = orig - opts.Eps
			ts[i] = tensor.NewOn(xs[i].Device(), h, xs[i].Shape()...)
			fm := eval(ts)
			h[j], ts[i] = orig, xs[i]
			if rep.score(analytic[i][j], (fp-fm)/(2*opts.Eps), opts, &worst) {
				rep.Input, rep.Index = i, j
			}
		}
	}
	return rep
}

// analyticGrads returns the gradient of f's scalarized output for every
// float input on the host (zeros where the output does not depend on it),
// and nil for the others.
func analyticGrads(f func(xs []*Var) *Var, xs []*tensor.Tensor, seed uint64) [][]float64 {
	vs := make([]*Var, len(xs))
	var params []*Var
	var at []int
	for i, t := range xs {
		vs[i] = Const(t)
		if t.DType().IsFloat() {
			vs[i] = Param(t)
			params = append(params, vs[i])
			at = append(at, i)
		}
	}
	out := scalarize("Check", f(vs), seed)
	grads := make([][]float64, len(xs))
	for _, i := range at {
		grads[i] = make([]float64, xs[i].Numel())
	}
	if !out.RequiresGrad() || len(params) == 0 {
		return grads
	}
	gs := Grad([]*Var{out}, params, GradOptions{AllowUnused: true})
	for k, g := range gs {
		if g != nil {
			grads[at[k]] = g.value.Float64s()
		}
	}
	return grads
}

// scalarize returns y as a rank-0 Var: y reshaped when it has one
// element, else Σ y*r for a fixed random r of y's shape.
func scalarize(op string, y *Var, seed uint64) *Var {
	if !y.DType().IsFloat() {
		panic(withOperands(newError(op, "the function's output must be a float tensor, got %v", y.DType()), y.value))
	}
	if y.Numel() == 1 {
		return y.Reshape()
	}
	return y.Mul(Const(randomLike(y.value, seed, 0))).Sum(false)
}

// randomLike returns numbers uniform in [-1, 1) with t's shape, dtype and
// device, drawn on the host from (seed, stream) so that they are the same
// on every device.
func randomLike(t *tensor.Tensor, seed, stream uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, stream))
	h := make([]float64, t.Numel())
	for i := range h {
		h[i] = 2*r.Float64() - 1
	}
	return tensor.NewOn(t.Device(), h, t.Shape()...).Cast(t.DType())
}

// secondOrder returns h(xs) = Σ_i <∂f/∂x_i, v_i> over the float inputs,
// with fixed random directions v_i, computed with CreateGraph so that h's
// own gradient exercises every VJP's VJP (and h's tangent every VJP's
// JVP). Inputs that do not require grad (the constants of a numeric
// evaluation) are made leaves locally.
func secondOrder(f func(xs []*Var) *Var, seed uint64) func(xs []*Var) *Var {
	return func(xs []*Var) *Var {
		ps := make([]*Var, len(xs))
		var diff []*Var
		var at []int
		for i, x := range xs {
			ps[i] = x
			if x.DType().IsFloat() {
				ps[i] = differentiable(x) // keeps a JVP's tangent
				diff = append(diff, ps[i])
				at = append(at, i)
			}
		}
		out := scalarize("Check", f(ps), seed)
		total := Const(tensor.Scalar(out.Device(), out.DType(), 0))
		if !out.RequiresGrad() {
			return total
		}
		gs := Grad([]*Var{out}, diff, GradOptions{CreateGraph: true, AllowUnused: true})
		for k, g := range gs {
			if g != nil {
				total = total.Add(g.Mul(Const(randomLike(g.value, seed, uint64(at[k])+1))).Sum(false))
			}
		}
		return total
	}
}
