package autograd

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Neg returns -x.
func (x *Var) Neg() *Var {
	return unary("Neg", x.value.Neg(), x, negate, negate)
}

// Abs returns |x|. Its gradient is sign(x), 0 at 0.
func (x *Var) Abs() *Var {
	// sign(x) is piecewise constant: a mask, not a function of x. The
	// Jacobian is diagonal, so the JVP is the VJP.
	r := func(g, x, y *Var) *Var { return g.Mul(Const(x.value.Sign())) }
	return unary("Abs", x.value.Abs(), x, r, r)
}

// Sign returns -1, 0 or 1 elementwise: a constant, since its derivative
// is zero wherever it exists.
func (x *Var) Sign() *Var { return Const(x.value.Sign()) }

// Exp returns e^x.
func (x *Var) Exp() *Var {
	return unary("Exp", x.value.Exp(), x, exp, exp)
}

// Log1p returns ln(1+x), accurate for small x; its derivative is 1/(1+x).
func (x *Var) Log1p() *Var { return unary("Log1p", x.value.Log1p(), x, log1p, log1p) }

// Expm1 returns e^x - 1, accurate for small x; its derivative is e^x.
func (x *Var) Expm1() *Var { return unary("Expm1", x.value.Expm1(), x, expm1, expm1) }

// Sin returns sin x.
func (x *Var) Sin() *Var { return unary("Sin", x.value.Sin(), x, sin, sin) }

// Cos returns cos x.
func (x *Var) Cos() *Var { return unary("Cos", x.value.Cos(), x, cos, cos) }

// Erf returns the error function of x; its derivative is 2/√π e^(-x²).
func (x *Var) Erf() *Var { return unary("Erf", x.value.Erf(), x, erf, erf) }

// Log returns ln x.
func (x *Var) Log() *Var {
	return unary("Log", x.value.Log(), x, log, log)
}

// Sqrt returns √x.
func (x *Var) Sqrt() *Var {
	return unary("Sqrt", x.value.Sqrt(), x, sqrt, sqrt)
}

// Pow returns x^p for a scalar exponent p.
func (x *Var) Pow(p float64) *Var {
	r := func(g, x, y *Var) *Var {
		if p == 0 {
			return nil // x^0 is constant; p*x^-1 would be NaN at 0
		}
		return g.Mul(x.Pow(p - 1).MulScalar(p))
	}
	return unary("Pow", x.value.Pow(p), x, r, r)
}

// Tanh returns tanh x.
func (x *Var) Tanh() *Var {
	return unary("Tanh", x.value.Tanh(), x, tanh, tanh)
}

// Sigmoid returns 1/(1+e^-x).
func (x *Var) Sigmoid() *Var {
	return unary("Sigmoid", x.value.Sigmoid(), x, sigmoid, sigmoid)
}

// ReLU returns max(x, 0); its gradient at 0 is 0.
func (x *Var) ReLU() *Var {
	return unary("ReLU", x.value.ReLU(), x, relu, relu)
}

// LeakyReLU returns x where x > 0, else slope*x.
func (x *Var) LeakyReLU(slope float64) *Var {
	r := func(g, x, y *Var) *Var { return LeakyReLUGrad(x, g, slope) }
	return unary("LeakyReLU", x.value.LeakyReLU(slope), x, r, r)
}

// GELU returns the tanh approximation of the Gaussian error linear unit.
func (x *Var) GELU() *Var {
	return unary("GELU", x.value.GELU(), x, gelu, gelu)
}

// Cast returns x converted to dt (sharing x's value when it has dt
// already). Between float dtypes the gradient is cast back; a cast to or
// from Int32 carries none.
func (x *Var) Cast(dt device.DType) *Var {
	return unary("Cast", x.value.Cast(dt), x,
		func(g, x, y *Var) *Var { return g.Cast(x.DType()) },
		func(t, x, y *Var) *Var { return t.Cast(y.DType()) })
}

// The elementwise ops' Jacobians are diagonal, so each rule below is its
// op's VJP and JVP at once: the derivative times g (a gradient or a
// tangent).
func exp(g, x, y *Var) *Var     { return g.Mul(y) }
func log(g, x, y *Var) *Var     { return g.Div(x) }
func sqrt(g, x, y *Var) *Var    { return g.Div(y.MulScalar(2)) }
func log1p(g, x, y *Var) *Var   { return g.Div(x.AddScalar(1)) }
func expm1(g, x, y *Var) *Var   { return g.Mul(y.AddScalar(1)) }
func sin(g, x, y *Var) *Var     { return g.Mul(x.Cos()) }
func cos(g, x, y *Var) *Var     { return g.Mul(x.Sin()).Neg() }
func erf(g, x, y *Var) *Var     { return g.Mul(x.Mul(x).Neg().Exp().MulScalar(2 / math.Sqrt(math.Pi))) }
func tanh(g, x, y *Var) *Var    { return TanhGrad(y, g) }
func sigmoid(g, x, y *Var) *Var { return SigmoidGrad(y, g) }
func relu(g, x, y *Var) *Var    { return ReLUGrad(x, g) }
func gelu(g, x, y *Var) *Var    { return GELUGrad(x, g) }

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
