package autograd

import (
	"github.com/tapegrad/tapegrad/tensor"
)

// keptShape returns x's shape with the reduced axes (all when none are
// given) set to 1: the keepdim shape a reduction's gradient is reshaped
// to before it broadcasts back over x. The forward op has already
// checked the axes.
func keptShape(x *Var, axes []int) []int {
	shape := x.Shape()
	if len(axes) == 0 {
		for i := range shape {
			shape[i] = 1
		}
	}
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		shape[a] = 1
	}
	return shape
}

// Sum adds x over axes (all when none are given), keeping reduced axes as
// size 1 when keepdim. SumWith says the same with named options.
func (x *Var) Sum(keepdim bool, axes ...int) *Var {
	y := x.value.Sum(keepdim, axes...)
	keep := keptShape(x, axes)
	return unary("Sum", y, x,
		func(g, x, y *Var) *Var { return g.Reshape(keep...).Expand(x.Shape()...) },
		func(t, x, y *Var) *Var { return t.Sum(keepdim, axes...) })
}

// SumWith adds x over o.Axes (all when empty), as Sum.
func (x *Var) SumWith(o tensor.ReduceOptions) *Var { return x.Sum(o.KeepDim, o.Axes...) }

// Mean averages x over axes (all when none are given). MeanWith says the
// same with named options.
func (x *Var) Mean(keepdim bool, axes ...int) *Var {
	y := x.value.Mean(keepdim, axes...)
	keep := keptShape(x, axes)
	n := float64(x.Numel()) / float64(max(y.Numel(), 1))
	return unary("Mean", y, x,
		func(g, x, y *Var) *Var { return g.DivScalar(n).Reshape(keep...).Expand(x.Shape()...) },
		func(t, x, y *Var) *Var { return t.Mean(keepdim, axes...) })
}

// MeanWith averages x over o.Axes (all when empty), as Mean.
func (x *Var) MeanWith(o tensor.ReduceOptions) *Var { return x.Mean(o.KeepDim, o.Axes...) }

// Max returns the maximum over axes (all when none are given). Where
// several elements tie for the maximum the gradient is split evenly
// among them. MaxWith says the same with named options.
func (x *Var) Max(keepdim bool, axes ...int) *Var {
	return x.extremum("Max", x.value.Max(keepdim, axes...), keepdim, axes)
}

// MaxWith returns the maximum over o.Axes (all when empty), as Max.
func (x *Var) MaxWith(o tensor.ReduceOptions) *Var { return x.Max(o.KeepDim, o.Axes...) }

// Min returns the minimum over axes (all when none are given); ties split
// the gradient evenly. MinWith says the same with named options.
func (x *Var) Min(keepdim bool, axes ...int) *Var {
	return x.extremum("Min", x.value.Min(keepdim, axes...), keepdim, axes)
}

// MinWith returns the minimum over o.Axes (all when empty), as Min.
func (x *Var) MinWith(o tensor.ReduceOptions) *Var { return x.Min(o.KeepDim, o.Axes...) }

// extremum records Max or Min with output y. The gradient goes to the
// elements equal to the result, each getting 1/(number of ties): a
// constant weight, since it is piecewise constant in x. The tangent is
// the same weighted sum of x's tangent, so JVP and VJP stay adjoint.
func (x *Var) extremum(op string, y *tensor.Tensor, keepdim bool, axes []int) *Var {
	keep := keptShape(x, axes)
	weights := func(x, y *Var) *Var {
		hit := x.value.Eq(y.value.Reshape(keep...))
		return Const(hit.Div(hit.Sum(true, axes...)))
	}
	return unary(op, y, x,
		func(g, x, y *Var) *Var { return g.Reshape(keep...).Mul(weights(x, y)) },
		func(t, x, y *Var) *Var { return t.Mul(weights(x, y)).Sum(keepdim, axes...) })
}

// ArgMax returns the Int32 position of the first maximum along axis: a
// constant. ArgMaxWith says the same with named options.
func (x *Var) ArgMax(axis int, keepdim bool) *Var { return Const(x.value.ArgMax(axis, keepdim)) }

// ArgMaxWith returns the Int32 position of the first maximum along the
// one axis in o.Axes: a constant.
func (x *Var) ArgMaxWith(o tensor.ReduceOptions) *Var { return Const(x.value.ArgMaxWith(o)) }

// ArgMin returns the Int32 position of the first minimum along axis: a
// constant. ArgMinWith says the same with named options.
func (x *Var) ArgMin(axis int, keepdim bool) *Var { return Const(x.value.ArgMin(axis, keepdim)) }

// ArgMinWith returns the Int32 position of the first minimum along the
// one axis in o.Axes: a constant.
func (x *Var) ArgMinWith(o tensor.ReduceOptions) *Var { return Const(x.value.ArgMinWith(o)) }
