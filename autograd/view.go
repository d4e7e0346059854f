package autograd

import (
	"slices"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// View ops share x's buffer where the tensor layer can; their gradients
// undo the view on g. Each returns a new Var with a node of its own even
// when it changes nothing (Expand to x's shape, an identity Permute,
// Contiguous of contiguous data): the gradient with respect to the view
// is then the view's alone, never x's with x's other uses.

// Reshape returns x with a new shape holding the same elements in
// row-major order; one dimension may be -1.
func (x *Var) Reshape(shape ...int) *Var {
	return unary("Reshape", x.value.Reshape(shape...), x, reshapeBack, reshapeLike)
}

// Flatten reshapes x to 1-D.
func (x *Var) Flatten() *Var { return x.Reshape(-1) }

// Permute returns a view with axes reordered: axis i of the result is
// axis axes[i] of x.
func (x *Var) Permute(axes ...int) *Var {
	y := x.value.Permute(axes...)
	inv := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += len(axes)
		}
		inv[a] = i
	}
	axes = slices.Clone(axes)
	return unary("Permute", y, x,
		func(g, x, y *Var) *Var { return g.Permute(inv...) },
		func(t, x, y *Var) *Var { return t.Permute(axes...) })
}

// Transpose returns a view with axes a and b swapped.
func (x *Var) Transpose(a, b int) *Var {
	r := func(g, x, y *Var) *Var { return g.Transpose(a, b) }
	return unary("Transpose", x.value.Transpose(a, b), x, r, r)
}

// T returns the transpose of the last two axes.
func (x *Var) T() *Var {
	r := func(g, x, y *Var) *Var { return g.T() }
	return unary("T", x.value.T(), x, r, r)
}

// Narrow returns a view of length elements of axis starting at start.
func (x *Var) Narrow(axis, start, length int) *Var {
	return x.narrowed("Narrow", x.value.Narrow(axis, start, length), axis, start)
}

// Slice returns a view of elements [start, end) of axis; negative bounds
// count from the end.
func (x *Var) Slice(axis, start, end int) *Var {
	y := x.value.Slice(axis, start, end)
	if start < 0 {
		start += x.Dim(axis)
	}
	return x.narrowed("Slice", y, axis, start)
}

// narrowed records y, the part of x from start along axis: its gradient
// is g placed there in zeros.
func (x *Var) narrowed(op string, y *tensor.Tensor, axis, start int) *Var {
	return unary(op, y, x,
		func(g, x, y *Var) *Var { return narrowBackward(g, x.Shape(), axis, start) },
		func(t, x, y *Var) *Var { return t.Narrow(axis, start, y.Dim(axis)) })
}

// narrowBackward returns g written at [start, start+len) of axis into
// zeros of shape: the adjoint of Narrow, whose own adjoint is Narrow.
func narrowBackward(g *Var, shape []int, axis, start int) *Var {
	z := tensor.Zeros(g.Device(), g.DType(), shape...)
	z.Narrow(axis, start, g.Dim(axis)).Assign(g.value)
	return unary("NarrowBackward", z, g,
		func(gg, g, y *Var) *Var { return gg.Narrow(axis, start, g.Dim(axis)) },
		func(t, g, y *Var) *Var { return narrowBackward(t, shape, axis, start) })
}

// Index returns the view of x at the given positions of its leading axes
// (negative ones count from the end), without those axes: one position
// per axis picks a single element as a rank-0 Var. Its gradient is g
// placed at those positions in zeros.
func (x *Var) Index(pos ...int) *Var {
	pos = slices.Clone(pos)
	return unary("Index", x.value.Index(pos...), x,
		func(g, x, y *Var) *Var { return indexBackward(g, x.Shape(), pos) },
		func(t, x, y *Var) *Var { return t.Index(pos...) })
}

// indexBackward returns g written at pos into zeros of shape: the adjoint
// of Index, whose own adjoint is Index.
func indexBackward(g *Var, shape, pos []int) *Var {
	z := tensor.Zeros(g.Device(), g.DType(), shape...)
	z.Index(pos...).Assign(g.value)
	return unary("IndexBackward", z, g,
		func(gg, g, y *Var) *Var { return gg.Index(pos...) },
		func(t, g, y *Var) *Var { return indexBackward(t, shape, pos) })
}

// Expand returns a view broadcast to shape (size-1 axes repeat, new
// leading axes are added); its gradient sums over the broadcast axes.
func (x *Var) Expand(shape ...int) *Var {
	return unary("Expand", x.value.Expand(shape...), x,
		func(g, x, y *Var) *Var { return g.SumTo(x.Shape()...) },
		func(t, x, y *Var) *Var { return t.Expand(y.Shape()...) })
}

// Squeeze removes the given size-1 axes, or every size-1 axis when none
// are given.
func (x *Var) Squeeze(axes ...int) *Var {
	return unary("Squeeze", x.value.Squeeze(axes...), x, reshapeBack, reshapeLike)
}

// Unsqueeze inserts a size-1 axis at position axis (-1 appends).
func (x *Var) Unsqueeze(axis int) *Var {
	return unary("Unsqueeze", x.value.Unsqueeze(axis), x, reshapeBack, reshapeLike)
}

// Contiguous returns x's value when it is row-major and owns its buffer,
// else a contiguous copy.
func (x *Var) Contiguous() *Var {
	return unary("Contiguous", x.value.Contiguous(), x, identity, identity)
}

// Clone returns a contiguous copy of x that shares nothing with it.
func (x *Var) Clone() *Var {
	return unary("Clone", x.value.Clone(), x, identity, identity)
}

// To returns x on dev (sharing x's value when it is already there); the
// gradient travels back to x's device.
func (x *Var) To(dev device.Device) *Var {
	return unary("To", x.value.To(dev), x,
		func(g, x, y *Var) *Var { return g.To(x.Device()) },
		func(t, x, y *Var) *Var { return t.To(y.Device()) })
}

// reshapeBack is the VJP of the ops that only relabel axes (Reshape,
// Squeeze, Unsqueeze): g in x's shape; reshapeLike is their JVP: the
// tangent in y's.
func reshapeBack(g, x, y *Var) *Var { return g.Reshape(x.Shape()...) }
func reshapeLike(t, x, y *Var) *Var { return t.Reshape(y.Shape()...) }
