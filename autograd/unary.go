package autograd

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Unary applies op with parameter p to x and records the op's
// derivative rule (unaryRule): the generic way in, which the methods
// below and the generated gradient-check cases use. A piecewise-constant
// op (Sign) gives a constant.
func Unary(op device.UnaryOp, p float64, x *Var) *Var {
	in := op.Info()
	y := tensor.Unary(op, p, x.value)
	if in.NoGrad {
		return Const(y)
	}
	rule := unaryRule(op)
	if rule == nil {
		panic(&tensor.Error{Op: in.Method, Msg: "autograd: no derivative rule for unary op " + op.String()})
	}
	r := func(g, x, y *Var) *Var { return rule(g, x, y, p) }
	return unary(in.Method, y, x, r, r)
}

// Neg returns -x.
func (x *Var) Neg() *Var { return Unary(device.Neg, 0, x) }

// Abs returns |x|. Its gradient is sign(x), 0 at 0.
func (x *Var) Abs() *Var { return Unary(device.Abs, 0, x) }

// Sign returns -1, 0 or 1 elementwise: a constant, since its derivative
// is zero wherever it exists.
func (x *Var) Sign() *Var { return Unary(device.Sign, 0, x) }

// Exp returns e^x.
func (x *Var) Exp() *Var { return Unary(device.Exp, 0, x) }

// Log1p returns ln(1+x), accurate for small x; its derivative is 1/(1+x).
func (x *Var) Log1p() *Var { return Unary(device.Log1p, 0, x) }

// Expm1 returns e^x - 1, accurate for small x; its derivative is e^x.
func (x *Var) Expm1() *Var { return Unary(device.Expm1, 0, x) }

// Sin returns sin x.
func (x *Var) Sin() *Var { return Unary(device.Sin, 0, x) }

// Cos returns cos x.
func (x *Var) Cos() *Var { return Unary(device.Cos, 0, x) }

// Erf returns the error function of x; its derivative is 2/√π e^(-x²).
func (x *Var) Erf() *Var { return Unary(device.Erf, 0, x) }

// Tan returns tan x; its derivative is 1 + tan² x.
func (x *Var) Tan() *Var { return Unary(device.Tan, 0, x) }

// Log returns ln x.
func (x *Var) Log() *Var { return Unary(device.Log, 0, x) }

// Sqrt returns √x.
func (x *Var) Sqrt() *Var { return Unary(device.Sqrt, 0, x) }

// Pow returns x^p for a scalar exponent p.
func (x *Var) Pow(p float64) *Var { return Unary(device.Pow, p, x) }

// Tanh returns tanh x.
func (x *Var) Tanh() *Var { return Unary(device.Tanh, 0, x) }

// Sigmoid returns 1/(1+e^-x).
func (x *Var) Sigmoid() *Var { return Unary(device.Sigmoid, 0, x) }

// ReLU returns max(x, 0); its gradient at 0 is 0.
func (x *Var) ReLU() *Var { return Unary(device.ReLU, 0, x) }

// LeakyReLU returns x where x > 0, else slope*x.
func (x *Var) LeakyReLU(slope float64) *Var { return Unary(device.LeakyReLU, slope, x) }

// GELU returns the tanh approximation of the Gaussian error linear unit.
func (x *Var) GELU() *Var { return Unary(device.GELU, 0, x) }

// Cast returns x converted to dt (sharing x's value when it has dt
// already). Between float dtypes the gradient is cast back; a cast to or
// from Int32 carries none.
func (x *Var) Cast(dt device.DType) *Var {
	return unary("Cast", x.value.Cast(dt), x,
		func(g, x, y *Var) *Var { return g.Cast(x.DType()) },
		func(t, x, y *Var) *Var { return t.Cast(y.DType()) })
}

// unaryRule returns a differentiable unary op's rule, or nil: its
// derivative at x (y is the op's output, p its parameter) times g. The
// Jacobians are diagonal, so g may be a gradient or a tangent and one
// rule is the VJP and the JVP at once. (A switch, not a table: the rules
// call the methods, which call Unary.)
func unaryRule(op device.UnaryOp) func(g, x, y *Var, p float64) *Var {
	switch op {
	case device.Neg:
		return func(g, _, _ *Var, _ float64) *Var { return g.Neg() }
	case device.Abs: // sign(x) is piecewise constant: a mask, not a function of x
		return func(g, x, _ *Var, _ float64) *Var { return g.Mul(Const(x.value.Sign())) }
	case device.Exp:
		return func(g, _, y *Var, _ float64) *Var { return g.Mul(y) }
	case device.Log:
		return func(g, x, _ *Var, _ float64) *Var { return g.Div(x) }
	case device.Sqrt:
		return func(g, _, y *Var, _ float64) *Var { return g.Div(y.MulScalar(2)) }
	case device.Log1p:
		return func(g, x, _ *Var, _ float64) *Var { return g.Div(x.AddScalar(1)) }
	case device.Expm1:
		return func(g, _, y *Var, _ float64) *Var { return g.Mul(y.AddScalar(1)) }
	case device.Sin:
		return func(g, x, _ *Var, _ float64) *Var { return g.Mul(x.Cos()) }
	case device.Cos:
		return func(g, x, _ *Var, _ float64) *Var { return g.Mul(x.Sin()).Neg() }
	case device.Tan:
		return func(g, _, y *Var, _ float64) *Var { return g.Mul(y.Mul(y).AddScalar(1)) }
	case device.Erf:
		return func(g, x, _ *Var, _ float64) *Var {
			return g.Mul(x.Mul(x).Neg().Exp().MulScalar(2 / math.Sqrt(math.Pi)))
		}
	case device.Pow:
		return func(g, x, _ *Var, p float64) *Var {
			if p == 0 {
				return nil // x^0 is constant; p*x^-1 would be NaN at 0
			}
			return g.Mul(x.Pow(p - 1).MulScalar(p))
		}
	case device.Tanh:
		return func(g, _, y *Var, _ float64) *Var { return TanhGrad(y, g) }
	case device.Sigmoid:
		return func(g, _, y *Var, _ float64) *Var { return SigmoidGrad(y, g) }
	case device.ReLU:
		return func(g, x, _ *Var, _ float64) *Var { return ReLUGrad(x, g) }
	case device.LeakyReLU:
		return func(g, x, _ *Var, p float64) *Var { return LeakyReLUGrad(x, g, p) }
	case device.GELU:
		return func(g, x, _ *Var, _ float64) *Var { return GELUGrad(x, g) }
	}
	return nil
}

// The fused VJP kernels, as ops of their own. Each takes the saved
// forward value and an incoming gradient g (broadcasting like any binary
// op) and has its own VJP written in Var ops, so second derivatives of
// the activations work.

// fused records a fused-VJP op: tensor.Binary(op, p, a, g) with the
// rules for a and for g.
func fused(op device.BinaryOp, name string, p float64, a, g *Var, ra, rg deriv) *Var {
	return record(name, tensor.Binary(op, p, a.value, g.value), []*Var{a, g}, ra, rg)
}

// ReLUGrad returns g where x > 0, else 0: the VJP of ReLU at x. It is
// linear in g and piecewise constant in x, which gets no gradient.
func ReLUGrad(x, g *Var) *Var {
	return fused(device.ReLUGrad, "ReLUGrad", 0, x, g, deriv{}, deriv{
		vjp: func(gg *Var, in []*Var, _ *Var) *Var { return ReLUGrad(in[0], gg).SumTo(in[1].Shape()...) },
		jvp: func(t *Var, in []*Var, _ *Var) *Var { return ReLUGrad(in[0], t) },
	})
}

// LeakyReLUGrad returns g where x > 0, else slope*g: the VJP of
// LeakyReLU at x. Like ReLUGrad, x gets no gradient.
func LeakyReLUGrad(x, g *Var, slope float64) *Var {
	return fused(device.LeakyReLUGrad, "LeakyReLUGrad", slope, x, g, deriv{}, deriv{
		vjp: func(gg *Var, in []*Var, _ *Var) *Var { return LeakyReLUGrad(in[0], gg, slope).SumTo(in[1].Shape()...) },
		jvp: func(t *Var, in []*Var, _ *Var) *Var { return LeakyReLUGrad(in[0], t, slope) },
	})
}

// SigmoidGrad returns g*y*(1-y), the VJP of Sigmoid at its output y.
func SigmoidGrad(y, g *Var) *Var {
	dy := func(gg *Var, in []*Var) *Var { return gg.Mul(in[1]).Mul(in[0].MulScalar(-2).AddScalar(1)) } // d/dy g*y*(1-y) = g*(1-2y)
	return fused(device.SigmoidGrad, "SigmoidGrad", 0, y, g,
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return dy(gg, in).SumTo(in[0].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return dy(t, in) },
		},
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return SigmoidGrad(in[0], gg).SumTo(in[1].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return SigmoidGrad(in[0], t) },
		})
}

// TanhGrad returns g*(1-y²), the VJP of Tanh at its output y.
func TanhGrad(y, g *Var) *Var {
	dy := func(gg *Var, in []*Var) *Var { return gg.Mul(in[1]).Mul(in[0].MulScalar(-2)) } // d/dy g*(1-y²) = -2gy
	return fused(device.TanhGrad, "TanhGrad", 0, y, g,
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return dy(gg, in).SumTo(in[0].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return dy(t, in) },
		},
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return TanhGrad(in[0], gg).SumTo(in[1].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return TanhGrad(in[0], t) },
		})
}

// GELUGrad returns g*gelu'(x), the VJP of GELU at x.
func GELUGrad(x, g *Var) *Var {
	dx := func(gg *Var, in []*Var) *Var { return gg.Mul(in[1]).Mul(geluSecond(in[0])) }
	return fused(device.GELUGrad, "GELUGrad", 0, x, g,
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return dx(gg, in).SumTo(in[0].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return dx(t, in) },
		},
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return GELUGrad(in[0], gg).SumTo(in[1].Shape()...) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return GELUGrad(in[0], t) },
		})
}

// GELU's tanh form: √(2/π) and the cubic coefficient.
const (
	geluC = 0.7978845608028654
	geluA = 0.044715
)

// geluSecond returns the second derivative of GELU at x, in Var ops (so
// a third derivative works too): with u = c(x+ax³), t = tanh u and
// du = c(1+3ax²), it is (1-t²)(du - x t du² + 3acx²).
func geluSecond(x *Var) *Var {
	x2 := x.Mul(x)
	t := x.Add(x2.Mul(x).MulScalar(geluA)).MulScalar(geluC).Tanh()
	du := x2.MulScalar(3 * geluA).AddScalar(1).MulScalar(geluC)
	inner := du.Sub(x.Mul(t).Mul(du.Mul(du))).Add(x2.MulScalar(3 * geluA * geluC))
	return t.Mul(t).RSubScalar(1).Mul(inner)
}
