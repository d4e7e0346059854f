package autograd

import (
	"slices"

	"github.com/tapegrad/tapegrad/tensor"
)

// Concat joins Vars of equal dtype, device and shape (but for axis) along
// axis; each gets back its own slice of the gradient.
func Concat(axis int, vs ...*Var) *Var {
	ts := make([]*tensor.Tensor, len(vs))
	for i, v := range vs {
		ts[i] = v.value
	}
	y := tensor.Concat(axis, ts...)
	ds := make([]deriv, len(vs))
	at := 0
	for i, v := range vs {
		start, n := at, v.Dim(axis)
		ds[i] = deriv{
			vjp: func(g *Var, _ []*Var, _ *Var) *Var { return g.Narrow(axis, start, n) },
			// The tangent of one input, placed in zeros at its part.
			jvp: func(t *Var, _ []*Var, y *Var) *Var { return narrowBackward(t, y.Shape(), axis, start) },
		}
		at += n
	}
	return record("Concat", y, vs, ds...)
}

// Stack joins Vars of equal shape along a new axis.
func Stack(axis int, vs ...*Var) *Var {
	if len(vs) == 0 {
		panic(newError("Stack", "needs at least one Var"))
	}
	us := make([]*Var, len(vs))
	for i, v := range vs {
		if !slices.Equal(v.Shape(), vs[0].Shape()) {
			panic(withOperands(newError("Stack", "shape of operand %d differs from operand 0's", i), vs[0].value, v.value))
		}
		us[i] = v.Unsqueeze(axis)
	}
	return Concat(axis, us...)
}

// Gather returns out[..., j, ...] = x[..., idx[..., j, ...], ...] along
// axis; idx (Int32) has x's rank and outside axis no longer axes (a
// shorter one reads the leading part, as PyTorch's gather). Its gradient
// scatter-adds g back, so repeated indices accumulate.
func (x *Var) Gather(axis int, idx *tensor.Tensor) *Var {
	return unary("Gather", x.value.Gather(axis, idx), x,
		func(g, x, y *Var) *Var { return Const(x.value.ZerosLike()).ScatterAdd(axis, idx, g) },
		func(t, x, y *Var) *Var { return t.Gather(axis, idx) })
}

// ScatterAdd returns a copy of x with src added at
// x[..., idx[..., j, ...], ...] along axis: the adjoint of Gather. idx
// and src share a shape, which may be shorter than x's outside axis.
func (x *Var) ScatterAdd(axis int, idx *tensor.Tensor, src *Var) *Var {
	return binary("ScatterAdd", x.value.ScatterAdd(axis, idx, src.value), x, src,
		func(g, x, src, y *Var) *Var { return g },
		func(g, x, src, y *Var) *Var { return g.Gather(axis, idx) },
		func(t, x, src, y *Var) *Var { return t },
		func(t, x, src, y *Var) *Var { return Const(x.value.ZerosLike()).ScatterAdd(axis, idx, t) })
}

// IndexSelect picks the entries idx (Int32, 1-D) of axis. Its gradient
// index-adds g back, so repeated indices accumulate.
func (x *Var) IndexSelect(axis int, idx *tensor.Tensor) *Var {
	return unary("IndexSelect", x.value.IndexSelect(axis, idx), x,
		func(g, x, y *Var) *Var { return Const(x.value.ZerosLike()).IndexAdd(axis, idx, g) },
		func(t, x, y *Var) *Var { return t.IndexSelect(axis, idx) })
}

// IndexAdd returns a copy of x with src's entries added at positions idx
// (Int32, 1-D) of axis: the adjoint of IndexSelect.
func (x *Var) IndexAdd(axis int, idx *tensor.Tensor, src *Var) *Var {
	return binary("IndexAdd", x.value.IndexAdd(axis, idx, src.value), x, src,
		func(g, x, src, y *Var) *Var { return g },
		func(g, x, src, y *Var) *Var { return g.IndexSelect(axis, idx) },
		func(t, x, src, y *Var) *Var { return t },
		func(t, x, src, y *Var) *Var { return Const(x.value.ZerosLike()).IndexAdd(axis, idx, t) })
}
