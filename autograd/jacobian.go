package autograd

import (
	"github.com/tapegrad/tapegrad/tensor"
)

// Jacobians, Hessians and Hessian-vector products, built from JVP and
// VJP as jax.jacfwd, jax.jacrev, jax.hessian and forward-over-reverse
// HVPs are. Each takes a function of one Var; the Jacobian of f at x has
// shape f(x).Shape() followed by x.Shape().

// Jacobian returns the Jacobian of f at x, by reverse mode (one backward
// pass per output element) when f's output has fewer elements than x,
// else by forward mode (one JVP per input element): the cheaper of
// JacobianRev and JacobianFwd, which give the same numbers up to
// rounding.
func Jacobian(f func(x *Var) *Var, x *Var) *Var {
	checkJacobianInput("Jacobian", x)
	xp := differentiable(x)
	y := f(xp)
	if y.Numel() < x.Numel() {
		return jacobianRev("Jacobian", x, xp, y)
	}
	return jacobianFwd(f, x)
}

// JacobianFwd returns the Jacobian of f at x by forward mode, as
// jax.jacfwd: one JVP along each basis direction of x, each a column.
// Its cost grows with x's size, not f's output's.
func JacobianFwd(f func(x *Var) *Var, x *Var) *Var {
	checkJacobianInput("JacobianFwd", x)
	return jacobianFwd(f, x)
}

// JacobianRev returns the Jacobian of f at x by reverse mode, as
// jax.jacrev: one forward pass, then one backward pass (the graph
// retained) per output element, each a row. Its cost grows with f's
// output's size, not x's.
func JacobianRev(f func(x *Var) *Var, x *Var) *Var {
	checkJacobianInput("JacobianRev", x)
	xp := differentiable(x)
	return jacobianRev("JacobianRev", x, xp, f(xp))
}

// checkJacobianInput panics unless x is a float Var without a tangent.
func checkJacobianInput(op string, x *Var) {
	if x == nil {
		panic(newError(op, "x is a nil *Var"))
	}
	if !x.DType().IsFloat() {
		panic(withOperands(newError(op, "needs a float x, got %v", x.DType()), x.value))
	}
}

// jacobianFwd returns the Jacobian of f at x from one JVP per element
// of x.
func jacobianFwd(f func(x *Var) *Var, x *Var) *Var {
	n := x.Numel()
	var cols []*Var
	var yShape []int
	e := bases(x.value)
	for i := range n {
		_, t := JVP(func(xs []*Var) *Var { return f(xs[0]) }, []*Var{x}, []*Var{Const(e(i))})
		yShape = t.Shape()
		cols = append(cols, t.Reshape(-1))
	}
	if n == 0 {
		yShape = f(x.primal()).Shape()
	}
	shape := append(yShape, x.Shape()...)
	if n == 0 || empty(yShape) {
		return Const(tensor.Zeros(x.Device(), x.DType(), shape...))
	}
	return Stack(1, cols...).Reshape(shape...)
}

// jacobianRev returns the Jacobian of y = f(xp) with respect to xp,
// where xp is x made differentiable.
func jacobianRev(op string, x, xp, y *Var) *Var {
	create := x.node != nil || x.tan != nil
	if !y.DType().IsFloat() {
		panic(withOperands(newError(op, "the function's output must be a float tensor, got %v", y.DType()), y.value))
	}
	m := y.Numel()
	shape := append(y.Shape(), x.Shape()...)
	if m == 0 || x.Numel() == 0 || y.node == nil {
		// No element, or an output that does not depend on x.
		return Const(tensor.Zeros(x.Device(), x.DType(), shape...))
	}
	rows := make([]*Var, m)
	e := bases(y.value)
	for j := range m {
		g := Grad([]*Var{y}, []*Var{xp}, GradOptions{
			Seeds:       []*Var{Const(e(j))},
			RetainGraph: j < m-1,
			CreateGraph: create,
			AllowUnused: true,
		})[0]
		if g == nil {
			g = Const(x.value.ZerosLike())
		}
		rows[j] = g.Reshape(-1)
	}
	return Stack(0, rows...).Reshape(shape...)
}

// empty reports whether a shape holds no element.
func empty(shape []int) bool {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n == 0
}

// bases returns the function i ↦ basis(t, i). Up to maxEye elements it
// gives views of the rows of one identity matrix, made once: a basis
// tensor made for each direction (a host slice, an upload and a cast)
// took a third of a 1024-direction forward-mode Jacobian once its
// products were fast.
func bases(t *tensor.Tensor) func(i int) *tensor.Tensor {
	n := t.Numel()
	if n > maxEye {
		return func(i int) *tensor.Tensor { return basis(t, i) }
	}
	eye := tensor.Eye(t.Device(), t.DType(), n)
	return func(i int) *tensor.Tensor { return eye.Index(i).Reshape(t.Shape()...) }
}

// maxEye is the most elements bases builds an identity matrix for: 1024,
// a 4 MiB float32 matrix.
const maxEye = 1024

// basis returns the i-th basis tensor of t's shape, dtype and device:
// one at row-major position i, zeros elsewhere.
func basis(t *tensor.Tensor, i int) *tensor.Tensor {
	h := make([]float64, t.Numel())
	h[i] = 1
	return tensor.NewOn(t.Device(), h, t.Shape()...).Cast(t.DType())
}

// gradient returns the function x ↦ ∇f(x) of a scalar-valued f, through
// VJP, so that it is itself differentiable in either mode (VJP records
// its backward pass when x carries a tangent or requires grad).
func gradient(op string, f func(x *Var) *Var) func(x *Var) *Var {
	return func(x *Var) *Var {
		_, gs := VJP(func(xs []*Var) *Var {
			y := f(xs[0])
			if y.Numel() != 1 {
				panic(withOperands(newError(op, "f must return a single element, got shape %v", y.Shape()), y.value))
			}
			return y
		}, []*Var{x}, nil)
		return gs[0]
	}
}

// Hessian returns the Hessian of a scalar-valued f at x, of shape
// x.Shape() twice, by forward over reverse (as jax.hessian): the forward-
// mode Jacobian of f's gradient, one HVP per element of x.
func Hessian(f func(x *Var) *Var, x *Var) *Var {
	checkJacobianInput("Hessian", x)
	return jacobianFwd(gradient("Hessian", f), x)
}

// HVP returns the Hessian of a scalar-valued f at x times v (of x's
// shape), by forward over reverse: the JVP of f's gradient along v, at
// the cost of about one gradient evaluation, without forming the Hessian.
func HVP(f func(x *Var) *Var, x, v *Var) *Var {
	checkJacobianInput("HVP", x)
	_, hv := JVP(func(xs []*Var) *Var { return gradient("HVP", f)(xs[0]) }, []*Var{x}, []*Var{v})
	return hv
}
