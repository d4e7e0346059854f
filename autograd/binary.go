package autograd

import (
	"github.com/tapegrad/tapegrad/tensor"
)

// binary records an op of two inputs with its rules written over
// (g, a, b, y). Broadcasting ops reduce each gradient back to its
// input's shape with SumTo.
func binary(op string, y *tensor.Tensor, a, b *Var, ra, rb func(g, a, b, y *Var) *Var) *Var {
	return record(op, y, []*Var{a, b},
		func(g *Var, x []*Var, y *Var) *Var { return ra(g, x[0], x[1], y) },
		func(g *Var, x []*Var, y *Var) *Var { return rb(g, x[0], x[1], y) })
}

// Add returns a + b, broadcasting.
func (a *Var) Add(b *Var) *Var {
	return binary("Add", a.value.Add(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.SumTo(b.Shape()...) })
}

// Sub returns a - b, broadcasting.
func (a *Var) Sub(b *Var) *Var {
	return binary("Sub", a.value.Sub(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Neg().SumTo(b.Shape()...) })
}

// Mul returns a * b, broadcasting.
func (a *Var) Mul(b *Var) *Var {
	return binary("Mul", a.value.Mul(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(b).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(a).SumTo(b.Shape()...) })
}

// Div returns a / b, broadcasting.
func (a *Var) Div(b *Var) *Var {
	return binary("Div", a.value.Div(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Div(b).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(y).Div(b).Neg().SumTo(b.Shape()...) }) // -g*a/b² = -g*y/b
}

// Maximum returns the elementwise maximum, broadcasting. Where a == b
// the gradient is split evenly between them, as for Max.
func (a *Var) Maximum(b *Var) *Var {
	return binary("Maximum", a.value.Maximum(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(a.value.Gt(b.value), a, b))).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(b.value.Gt(a.value), a, b))).SumTo(b.Shape()...) })
}

// Minimum returns the elementwise minimum, broadcasting; ties split the
// gradient evenly.
func (a *Var) Minimum(b *Var) *Var {
	return binary("Minimum", a.value.Minimum(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(a.value.Lt(b.value), a, b))).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(b.value.Lt(a.value), a, b))).SumTo(b.Shape()...) })
}

// wins returns the share of the gradient an operand of Maximum or Minimum
// gets: 1 where it strictly won (the mask given), 1/2 at a tie. The share
// is a constant: it is piecewise constant in the inputs.
func wins(won *tensor.Tensor, a, b *Var) *tensor.Tensor {
	return won.Add(a.value.Eq(b.value).MulScalar(0.5))
}

// AddScalar returns x + v.
func (x *Var) AddScalar(v float64) *Var {
	return unary("AddScalar", x.value.AddScalar(v), x, func(g, x, y *Var) *Var { return g })
}

// SubScalar returns x - v.
func (x *Var) SubScalar(v float64) *Var {
	return unary("SubScalar", x.value.SubScalar(v), x, func(g, x, y *Var) *Var { return g })
}

// MulScalar returns x * v.
func (x *Var) MulScalar(v float64) *Var {
	return unary("MulScalar", x.value.MulScalar(v), x, func(g, x, y *Var) *Var { return g.MulScalar(v) })
}

// DivScalar returns x / v.
func (x *Var) DivScalar(v float64) *Var {
	return unary("DivScalar", x.value.DivScalar(v), x, func(g, x, y *Var) *Var { return g.DivScalar(v) })
}

// RSubScalar returns v - x.
func (x *Var) RSubScalar(v float64) *Var {
	return unary("RSubScalar", x.value.RSubScalar(v), x, func(g, x, y *Var) *Var { return g.Neg() })
}

// RDivScalar returns v / x.
func (x *Var) RDivScalar(v float64) *Var {
	y := tensor.Scalar(x.Device(), x.DType(), v).Div(x.value)
	return unary("RDivScalar", y, x, func(g, x, y *Var) *Var { return g.Mul(y).Div(x).Neg() }) // -g*v/x² = -g*y/x
}

// The comparisons return constant masks (1 where true, else 0, in a's
// dtype): they carry no gradient.

// Eq returns a mask of a == b, broadcasting.
func (a *Var) Eq(b *Var) *Var { return Const(a.value.Eq(b.value)) }

// Ne returns a mask of a != b.
func (a *Var) Ne(b *Var) *Var { return Const(a.value.Ne(b.value)) }

// Lt returns a mask of a < b.
func (a *Var) Lt(b *Var) *Var { return Const(a.value.Lt(b.value)) }

// Le returns a mask of a <= b.
func (a *Var) Le(b *Var) *Var { return Const(a.value.Le(b.value)) }

// Gt returns a mask of a > b.
func (a *Var) Gt(b *Var) *Var { return Const(a.value.Gt(b.value)) }

// Ge returns a mask of a >= b.
func (a *Var) Ge(b *Var) *Var { return Const(a.value.Ge(b.value)) }

// GtScalar returns a mask of x > v.
func (x *Var) GtScalar(v float64) *Var { return Const(x.value.GtScalar(v)) }

// Where returns a where cond is nonzero, else b; all three broadcast.
// cond gets no gradient; a and b get g where they were chosen.
func Where(cond, a, b *Var) *Var {
	pick := func(g *Var, x []*Var, first bool) *Var {
		zero := Const(tensor.Scalar(g.Device(), g.DType(), 0))
		if first {
			return Where(x[0], g, zero).SumTo(x[1].Shape()...)
		}
		return Where(x[0], zero, g).SumTo(x[2].Shape()...)
	}
	return record("Where", tensor.Where(cond.value, a.value, b.value), []*Var{cond, a, b}, nil,
		func(g *Var, x []*Var, _ *Var) *Var { return pick(g, x, true) },
		func(g *Var, x []*Var, _ *Var) *Var { return pick(g, x, false) })
}

// SumTo sums x over broadcast axes down to shape, which must broadcast to
// x's shape: the adjoint of Expand, and how every broadcasting VJP
// reduces its gradient.
func (x *Var) SumTo(shape ...int) *Var {
	return unary("SumTo", x.value.SumTo(shape...), x, func(g, x, y *Var) *Var { return g.Expand(x.Shape()...) })
}
