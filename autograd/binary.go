package autograd

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Binary applies op with parameter p to a and b, broadcasting: the
// generic way in, for code that holds a BinaryOp (the generated
// gradient-check cases). A comparison gives a constant mask; a fused VJP
// op takes the saved forward value as a and the gradient as b.
func Binary(op device.BinaryOp, p float64, a, b *Var) *Var {
	switch op {
	case device.Add:
		return a.Add(b)
	case device.Sub:
		return a.Sub(b)
	case device.Mul:
		return a.Mul(b)
	case device.Div:
		return a.Div(b)
	case device.Maximum:
		return a.Maximum(b)
	case device.Minimum:
		return a.Minimum(b)
	case device.ReLUGrad:
		return ReLUGrad(a, b)
	case device.LeakyReLUGrad:
		return LeakyReLUGrad(a, b, p)
	case device.SigmoidGrad:
		return SigmoidGrad(a, b)
	case device.TanhGrad:
		return TanhGrad(a, b)
	case device.GELUGrad:
		return GELUGrad(a, b)
	}
	if op.IsCompare() {
		return Const(tensor.Binary(op, p, a.value, b.value))
	}
	panic(&tensor.Error{Op: op.Info().Method, Msg: "autograd: no derivative rule for binary op " + op.String()})
}

// binary records an op of two inputs with its VJPs ra, rb and JVPs ja,
// jb written over (g or t, a, b, y). Broadcasting ops reduce each
// gradient back to its input's shape with SumTo; a tangent contribution
// may keep its input's shape, record broadcasts it to the output's.
func binary(op string, y *tensor.Tensor, a, b *Var, ra, rb, ja, jb func(g, a, b, y *Var) *Var) *Var {
	return record(op, y, []*Var{a, b},
		deriv{
			vjp: func(g *Var, x []*Var, y *Var) *Var { return ra(g, x[0], x[1], y) },
			jvp: func(t *Var, x []*Var, y *Var) *Var { return ja(t, x[0], x[1], y) },
		},
		deriv{
			vjp: func(g *Var, x []*Var, y *Var) *Var { return rb(g, x[0], x[1], y) },
			jvp: func(t *Var, x []*Var, y *Var) *Var { return jb(t, x[0], x[1], y) },
		})
}

// Add returns a + b, broadcasting.
func (a *Var) Add(b *Var) *Var {
	return binary("Add", a.value.Add(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.SumTo(b.Shape()...) },
		func(t, a, b, y *Var) *Var { return t },
		func(t, a, b, y *Var) *Var { return t })
}

// Sub returns a - b, broadcasting.
func (a *Var) Sub(b *Var) *Var {
	return binary("Sub", a.value.Sub(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Neg().SumTo(b.Shape()...) },
		func(t, a, b, y *Var) *Var { return t },
		func(t, a, b, y *Var) *Var { return t.Neg() })
}

// Mul returns a * b, broadcasting.
func (a *Var) Mul(b *Var) *Var {
	return binary("Mul", a.value.Mul(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(b).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(a).SumTo(b.Shape()...) },
		func(t, a, b, y *Var) *Var { return t.Mul(b) },
		func(t, a, b, y *Var) *Var { return a.Mul(t) })
}

// Div returns a / b, broadcasting.
func (a *Var) Div(b *Var) *Var {
	return binary("Div", a.value.Div(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Div(b).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(y).Div(b).Neg().SumTo(b.Shape()...) }, // -g*a/b² = -g*y/b
		func(t, a, b, y *Var) *Var { return t.Div(b) },
		func(t, a, b, y *Var) *Var { return t.Mul(y).Div(b).Neg() })
}

// Maximum returns the elementwise maximum, broadcasting. Where a == b
// the gradient is split evenly between them, as for Max.
func (a *Var) Maximum(b *Var) *Var {
	return binary("Maximum", a.value.Maximum(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(a.value.Gt(b.value), a, b))).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(b.value.Gt(a.value), a, b))).SumTo(b.Shape()...) },
		func(t, a, b, y *Var) *Var { return t.Mul(Const(wins(a.value.Gt(b.value), a, b))) },
		func(t, a, b, y *Var) *Var { return t.Mul(Const(wins(b.value.Gt(a.value), a, b))) })
}

// Minimum returns the elementwise minimum, broadcasting; ties split the
// gradient evenly.
func (a *Var) Minimum(b *Var) *Var {
	return binary("Minimum", a.value.Minimum(b.value), a, b,
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(a.value.Lt(b.value), a, b))).SumTo(a.Shape()...) },
		func(g, a, b, y *Var) *Var { return g.Mul(Const(wins(b.value.Lt(a.value), a, b))).SumTo(b.Shape()...) },
		func(t, a, b, y *Var) *Var { return t.Mul(Const(wins(a.value.Lt(b.value), a, b))) },
		func(t, a, b, y *Var) *Var { return t.Mul(Const(wins(b.value.Lt(a.value), a, b))) })
}

// wins returns the share of the gradient an operand of Maximum or Minimum
// gets: 1 where it strictly won (the mask given), 1/2 at a tie. The share
// is a constant: it is piecewise constant in the inputs.
func wins(won *tensor.Tensor, a, b *Var) *tensor.Tensor {
	return won.Add(a.value.Eq(b.value).MulScalar(0.5))
}

// AddScalar returns x + v.
func (x *Var) AddScalar(v float64) *Var {
	return unary("AddScalar", x.value.AddScalar(v), x, identity, identity)
}

// SubScalar returns x - v.
func (x *Var) SubScalar(v float64) *Var {
	return unary("SubScalar", x.value.SubScalar(v), x, identity, identity)
}

// MulScalar returns x * v.
func (x *Var) MulScalar(v float64) *Var {
	return unary("MulScalar", x.value.MulScalar(v), x, func(g, x, y *Var) *Var { return g.MulScalar(v) }, func(t, x, y *Var) *Var { return t.MulScalar(v) })
}

// DivScalar returns x / v.
func (x *Var) DivScalar(v float64) *Var {
	return unary("DivScalar", x.value.DivScalar(v), x, func(g, x, y *Var) *Var { return g.DivScalar(v) }, func(t, x, y *Var) *Var { return t.DivScalar(v) })
}

// RSubScalar returns v - x.
func (x *Var) RSubScalar(v float64) *Var {
	return unary("RSubScalar", x.value.RSubScalar(v), x, negate, negate)
}

// RDivScalar returns v / x.
func (x *Var) RDivScalar(v float64) *Var {
	y := tensor.Scalar(x.Device(), x.DType(), v).Div(x.value)
	neg := func(g, x, y *Var) *Var { return g.Mul(y).Div(x).Neg() } // -g*v/x² = -g*y/x, self-adjoint
	return unary("RDivScalar", y, x, neg, neg)
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
		if first {
			return Where(x[0], g, zeroLike(g)).SumTo(x[1].Shape()...)
		}
		return Where(x[0], zeroLike(g), g).SumTo(x[2].Shape()...)
	}
	return record("Where", tensor.Where(cond.value, a.value, b.value), []*Var{cond, a, b}, deriv{},
		deriv{
			vjp: func(g *Var, x []*Var, _ *Var) *Var { return pick(g, x, true) },
			jvp: func(t *Var, x []*Var, y *Var) *Var { return Where(x[0], t, zeroLike(t)) },
		},
		deriv{
			vjp: func(g *Var, x []*Var, _ *Var) *Var { return pick(g, x, false) },
			jvp: func(t *Var, x []*Var, y *Var) *Var { return Where(x[0], zeroLike(t), t) },
		})
}

// SumTo sums x over broadcast axes down to shape, which must broadcast to
// x's shape: the adjoint of Expand, and how every broadcasting VJP
// reduces its gradient.
func (x *Var) SumTo(shape ...int) *Var {
	return unary("SumTo", x.value.SumTo(shape...), x,
		func(g, x, y *Var) *Var { return g.Expand(x.Shape()...) },
		func(t, x, y *Var) *Var { return t.SumTo(y.Shape()...) })
}

// identity is the VJP and JVP of ops whose Jacobian is the identity.
func identity(g, x, y *Var) *Var { return g }

// negate is the VJP and JVP of ops whose Jacobian is minus the identity.
func negate(g, x, y *Var) *Var { return g.Neg() }

// zeroLike returns a rank-0 constant zero of v's dtype on v's device:
// the other branch of a Where that routes a gradient or tangent.
func zeroLike(v *Var) *Var { return Const(tensor.Scalar(v.Device(), v.DType(), 0)) }
