package autograd

import (
	"fmt"
	"slices"

	"github.com/tapegrad/tapegrad/tensor"
)

// Forward mode. A Var may carry a tangent: the directional derivative of
// its value along the direction JVP was given. Every op whose inputs
// carry tangents computes its output's tangent in the same pass, with the
// JVP rule that sits beside its VJP rule, so one evaluation of f gives
// f(x) and J·v together. Like grad mode, the tangent lives in the values
// (a field of Var), never in global state.

// tangentOf returns the tangent of y, the output of op on x with rules
// ds: the sum over the inputs carrying a tangent of their JVP rules'
// contributions, or nil (zero) when none does. An input whose VJP rule
// exists but whose JVP rule does not panics naming the op: a missing rule
// must never pass for a zero tangent.
func tangentOf(op string, y *Var, x []*Var, ds []deriv) *Var {
	if !y.value.DType().IsFloat() {
		return nil // an Int32 result (a cast, an index) has no tangent
	}
	var xs []*Var
	var t *Var
	for i, in := range x {
		if in.tan == nil {
			continue
		}
		d := ds[i]
		if d.jvp == nil {
			if d.vjp == nil {
				continue // the input carries no derivative (Where's condition)
			}
			panic(withOperands(newError(op, "no JVP rule for input %d: forward mode (JVP, Jacobian, Hessian, HVP) does not cover this op yet", i), in.value))
		}
		if xs == nil {
			xs = make([]*Var, len(x))
			for k, v := range x {
				xs[k] = v.primal()
			}
		}
		ti := callJVP(op, i, d.jvp, in.tan, xs, y.primal())
		if ti == nil {
			continue
		}
		if ti.DType() != y.DType() {
			panic(withOperands(newError(op, "JVP bug: tangent from input %d has dtype %v, output is %v", i, ti.DType(), y.DType()), y.value, ti.value))
		}
		if !slices.Equal(ti.Shape(), y.Shape()) {
			ti = ti.Expand(y.Shape()...)
		}
		if t == nil {
			t = ti
		} else {
			t = t.Add(ti)
		}
	}
	if t != nil && anomalyOn.Load() {
		checkFinite(op+" forward", "the tangent", "JVP whose result", t.value, x)
	}
	return t
}

// callJVP runs the JVP rule of input i, rethrowing a *tensor.Error from
// inside it as one naming the op whose JVP failed.
func callJVP(op string, i int, r tangentRule, t *Var, x []*Var, y *Var) *Var {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*tensor.Error); ok {
				inner := *e
				inner.Op = op + " JVP"
				inner.Msg = fmt.Sprintf("JVP for input %d: %s: %s", i, e.Op, e.Msg)
				panic(&inner)
			}
			panic(r)
		}
	}()
	return r(t, x, y)
}

// Tangent returns the tangent v carries inside a JVP (its derivative
// along the JVP's direction), or nil: not in forward mode, or zero.
func (v *Var) Tangent() *Var { return v.tan }

// primal returns v without its tangent: the same value, node, NoGrad
// and autocast marks. JVP rules see primals, so the ops they run do not propagate
// tangents a second time, yet still record (for reverse-over-forward).
func (v *Var) primal() *Var {
	if v.tan == nil {
		return v
	}
	return &Var{value: v.value, node: v.node, noGrad: v.noGrad, autocast: v.autocast, tf32: v.tf32}
}

// dual returns v carrying tangent t (t's own tangent dropped): the same
// value, node and marks, so Grad with respect to the dual is the
// gradient with respect to v.
func dual(op string, i int, v, t *Var) *Var {
	if v.tan != nil {
		panic(withOperands(newError(op, "primal %d already carries a tangent: nested forward mode is not supported", i), v.value))
	}
	if t == nil {
		return v
	}
	if !slices.Equal(t.Shape(), v.Shape()) || t.DType() != v.DType() || t.Device() != v.Device() {
		panic(withOperands(newError(op, "tangent %d must match its primal's shape, dtype and device", i), v.value, t.value))
	}
	if !v.DType().IsFloat() {
		panic(withOperands(newError(op, "primal %d is %v; only float values carry tangents", i, v.DType()), v.value))
	}
	return &Var{value: v.value, node: v.node, noGrad: v.noGrad, autocast: v.autocast, tf32: v.tf32, tan: t.primal()}
}

// JVP evaluates f at primals carrying the tangents (one per primal, of
// its shape; nil means zero) and returns f's output and its tangent J·v,
// the Jacobian-vector product, from one forward pass: forward-mode
// differentiation, as jax.jvp. The cost is one evaluation of f per
// direction, whatever f's output size (reverse mode, VJP, costs one per
// output direction). An op without a JVP rule panics naming it; f may
// call Grad with CreateGraph inside (forward over reverse, as HVP does).
// Primals that already carry a tangent (a JVP inside a JVP) are refused.
// The output tangent is zeros when the output does not depend on any
// tangent.
func JVP(f func(xs []*Var) *Var, primals, tangents []*Var) (out, tangent *Var) {
	if len(tangents) != len(primals) {
		panic(newError("JVP", "got %d tangents for %d primals", len(tangents), len(primals)))
	}
	xs := make([]*Var, len(primals))
	for i, p := range primals {
		if p == nil {
			panic(newError("JVP", "primal %d is a nil *Var", i))
		}
		xs[i] = dual("JVP", i, p, tangents[i])
	}
	y := f(xs)
	tangent = y.tan
	if tangent == nil {
		tangent = Const(y.value.ZerosLike())
	}
	return y.primal(), tangent
}

// differentiable returns v when it requires grad, else a new leaf with
// v's value and tangent, so Grad can differentiate with respect to it.
func differentiable(v *Var) *Var {
	if v.node != nil || v.noGrad {
		return v
	}
	w := &Var{value: v.value, tan: v.tan, autocast: v.autocast, tf32: v.tf32}
	w.node = &node{seq: seqCounter.Add(1), op: "Param", v: w}
	return w
}

// VJP evaluates f at primals and returns its output and the vector-
// Jacobian products cotangent·J for every primal (zeros for a primal the
// output does not use): reverse mode in functional form, as jax.vjp.
// cotangent has the output's shape; nil means 1 for a single-element
// output. Primals need not be Params: constants are differentiated
// locally. The products are differentiable (recorded) when a primal
// requires grad or carries a tangent, so VJP composes with Grad and JVP.
func VJP(f func(xs []*Var) *Var, primals []*Var, cotangent *Var) (out *Var, grads []*Var) {
	xs := make([]*Var, len(primals))
	create := false
	for i, p := range primals {
		if p == nil {
			panic(newError("VJP", "primal %d is a nil *Var", i))
		}
		if p.noGrad {
			panic(withOperands(newError("VJP", "primal %d is NoGrad: it records nothing to differentiate", i), p.value))
		}
		create = create || p.node != nil || p.tan != nil
		xs[i] = differentiable(p)
	}
	y := f(xs)
	opts := GradOptions{CreateGraph: create, AllowUnused: true}
	if cotangent != nil {
		opts.Seeds = []*Var{cotangent}
	}
	grads = make([]*Var, len(xs))
	if y.node != nil {
		grads = Grad([]*Var{y}, xs, opts)
	} else if cotangent == nil && y.Numel() != 1 {
		panic(withOperands(newError("VJP", "the output has shape %v; a non-scalar output needs a cotangent", y.Shape()), y.value))
	}
	for i, g := range grads {
		if g == nil {
			grads[i] = Const(xs[i].value.ZerosLike())
		}
	}
	return y, grads
}
