package tensor

import (
	"errors"
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// BroadcastShapes returns the NumPy broadcast of shapes a and b, or false
// when they are incompatible.
func BroadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// Unary applies op with parameter p elementwise. The named methods (Exp,
// ReLU, ...) are the usual way in; Unary serves generic code.
func Unary(op device.UnaryOp, p float64, x *Tensor) *Tensor {
	nonNil(op.String(), x)
	name := op.String()
	requireFloat(name, x)
	out := x.like(name, x.dtype, x.shape)
	check(name, x.st.be.Unary(op, p, out.st.buf, x.st.buf, x.layout()), x)
	return out
}

// Binary applies op with parameter p elementwise to a and b, broadcasting
// them against each other. A fused VJP op that the backend leaves out
// (device.ErrUnsupported) is computed from other ops (fusedFallback).
func Binary(op device.BinaryOp, p float64, a, b *Tensor) *Tensor {
	nonNil(op.String(), a, b)
	name := op.String()
	be := sameDevice(name, a, b)
	sameDType(name, a, b)
	fused := op.Info().Fused
	if fused {
		requireFloat(name, a)
	}
	shape := a.shape
	if !slices.Equal(a.shape, b.shape) {
		var ok bool
		if shape, ok = BroadcastShapes(a.shape, b.shape); !ok {
			fail(ErrShape, name, []*Tensor{a, b}, "shapes %v and %v do not broadcast", a.shape, b.shape)
		}
	}
	out := alloc(name, be, a.dtype, shape)
	err := be.Binary(op, p, out.st.buf, a.st.buf, a.broadcastLayout(name, out.shape), b.st.buf, b.broadcastLayout(name, out.shape))
	if fused && errors.Is(err, device.ErrUnsupported) {
		out.Release()
		return fusedFallback(op, p, a, b)
	}
	check(name, err, a, b)
	return out
}

// Neg returns -t.
func (t *Tensor) Neg() *Tensor { return Unary(device.Neg, 0, t) }

// Abs returns |t|.
func (t *Tensor) Abs() *Tensor { return Unary(device.Abs, 0, t) }

// Sign returns -1, 0 or 1 elementwise.
func (t *Tensor) Sign() *Tensor { return Unary(device.Sign, 0, t) }

// Exp returns e^t.
func (t *Tensor) Exp() *Tensor { return Unary(device.Exp, 0, t) }

// Log returns the natural logarithm of t.
func (t *Tensor) Log() *Tensor { return Unary(device.Log, 0, t) }

// Log1p returns ln(1+t), accurate where t is small.
func (t *Tensor) Log1p() *Tensor { return Unary(device.Log1p, 0, t) }

// Expm1 returns e^t - 1, accurate where t is small.
func (t *Tensor) Expm1() *Tensor { return Unary(device.Expm1, 0, t) }

// Sin returns sin t.
func (t *Tensor) Sin() *Tensor { return Unary(device.Sin, 0, t) }

// Cos returns cos t.
func (t *Tensor) Cos() *Tensor { return Unary(device.Cos, 0, t) }

// Erf returns the error function of t.
func (t *Tensor) Erf() *Tensor { return Unary(device.Erf, 0, t) }

// Tan returns tan t.
func (t *Tensor) Tan() *Tensor { return Unary(device.Tan, 0, t) }

// Sqrt returns √t.
func (t *Tensor) Sqrt() *Tensor { return Unary(device.Sqrt, 0, t) }

// Tanh returns tanh t.
func (t *Tensor) Tanh() *Tensor { return Unary(device.Tanh, 0, t) }

// Sigmoid returns 1/(1+e^-t).
func (t *Tensor) Sigmoid() *Tensor { return Unary(device.Sigmoid, 0, t) }

// ReLU returns max(t, 0).
func (t *Tensor) ReLU() *Tensor { return Unary(device.ReLU, 0, t) }

// LeakyReLU returns t where t > 0, else slope*t.
func (t *Tensor) LeakyReLU(slope float64) *Tensor { return Unary(device.LeakyReLU, slope, t) }

// GELU returns the tanh approximation of the Gaussian error linear unit.
func (t *Tensor) GELU() *Tensor { return Unary(device.GELU, 0, t) }

// Pow returns t^p for a scalar exponent p.
func (t *Tensor) Pow(p float64) *Tensor { return Unary(device.Pow, p, t) }

// Add returns t + u, broadcasting.
func (t *Tensor) Add(u *Tensor) *Tensor { return Binary(device.Add, 0, t, u) }

// Sub returns t - u, broadcasting.
func (t *Tensor) Sub(u *Tensor) *Tensor { return Binary(device.Sub, 0, t, u) }

// Mul returns t * u, broadcasting.
func (t *Tensor) Mul(u *Tensor) *Tensor { return Binary(device.Mul, 0, t, u) }

// Div returns t / u, broadcasting.
func (t *Tensor) Div(u *Tensor) *Tensor { return Binary(device.Div, 0, t, u) }

// Maximum returns the elementwise maximum (NaN if either is NaN).
func (t *Tensor) Maximum(u *Tensor) *Tensor { return Binary(device.Maximum, 0, t, u) }

// Minimum returns the elementwise minimum (NaN if either is NaN).
func (t *Tensor) Minimum(u *Tensor) *Tensor { return Binary(device.Minimum, 0, t, u) }

// AddScalar returns t + v.
func (t *Tensor) AddScalar(v float64) *Tensor { return withScalar("AddScalar", t, v, (*Tensor).Add) }

// SubScalar returns t - v.
func (t *Tensor) SubScalar(v float64) *Tensor { return withScalar("SubScalar", t, v, (*Tensor).Sub) }

// MulScalar returns t * v.
func (t *Tensor) MulScalar(v float64) *Tensor { return withScalar("MulScalar", t, v, (*Tensor).Mul) }

// DivScalar returns t / v.
func (t *Tensor) DivScalar(v float64) *Tensor { return withScalar("DivScalar", t, v, (*Tensor).Div) }

// RSubScalar returns v - t.
func (t *Tensor) RSubScalar(v float64) *Tensor {
	return withScalar("RSubScalar", t, v, func(t, s *Tensor) *Tensor { return s.Sub(t) })
}

// withScalar returns f(t, v) with v as a rank-0 tensor on t's device,
// which it frees as soon as the op is queued.
func withScalar(op string, t *Tensor, v float64, f func(t, s *Tensor) *Tensor) *Tensor {
	s := t.scalarLike(op, v)
	out := f(t, s)
	freeCopies(s, out)
	return out
}

// Eq returns a mask (1 where t == u, else 0) in t's dtype.
func (t *Tensor) Eq(u *Tensor) *Tensor { return Binary(device.Eq, 0, t, u) }

// Ne returns a mask of t != u.
func (t *Tensor) Ne(u *Tensor) *Tensor { return Binary(device.Ne, 0, t, u) }

// Lt returns a mask of t < u.
func (t *Tensor) Lt(u *Tensor) *Tensor { return Binary(device.Lt, 0, t, u) }

// Le returns a mask of t <= u.
func (t *Tensor) Le(u *Tensor) *Tensor { return Binary(device.Le, 0, t, u) }

// Gt returns a mask of t > u.
func (t *Tensor) Gt(u *Tensor) *Tensor { return Binary(device.Gt, 0, t, u) }

// Ge returns a mask of t >= u.
func (t *Tensor) Ge(u *Tensor) *Tensor { return Binary(device.Ge, 0, t, u) }

// GtScalar returns a mask of t > v.
func (t *Tensor) GtScalar(v float64) *Tensor { return t.Gt(t.scalarLike("GtScalar", v)) }

// Where returns a where cond is nonzero, else b; all three broadcast. A
// cond of another dtype is cast to a's.
func Where(cond, a, b *Tensor) *Tensor {
	nonNil("Where", cond, a, b)
	be := sameDevice("Where", cond, a, b)
	sameDType("Where", a, b)
	if cond.dtype != a.dtype {
		cond = cond.Cast(a.dtype)
	}
	shape, ok := BroadcastShapes(a.shape, b.shape)
	if ok {
		shape, ok = BroadcastShapes(cond.shape, shape)
	}
	if !ok {
		fail(ErrShape, "Where", []*Tensor{cond, a, b}, "shapes %v, %v and %v do not broadcast", cond.shape, a.shape, b.shape)
	}
	out := alloc("Where", be, a.dtype, shape)
	s := out.shape
	check("Where", be.Where(out.st.buf, cond.st.buf, cond.broadcastLayout("Where", s), a.st.buf, a.broadcastLayout("Where", s),
		b.st.buf, b.broadcastLayout("Where", s)), cond, a, b)
	return out
}

// Cast returns t converted to dt (t itself when it already has dt).
// Float to Int32 truncates toward zero.
func (t *Tensor) Cast(dt device.DType) *Tensor {
	nonNil("Cast", t)
	if dt == t.dtype {
		return t
	}
	out := t.like("Cast", dt, t.shape)
	check("Cast", t.st.be.Cast(out.st.buf, t.st.buf, t.layout()), t)
	return out
}

// SumTo sums t over broadcast axes down to shape, which must broadcast to
// t's shape: the adjoint of Expand, used by every broadcasting VJP.
func (t *Tensor) SumTo(shape ...int) *Tensor {
	nonNil("SumTo", t)
	if slices.Equal(t.shape, shape) {
		return t
	}
	lead := t.Rank() - len(shape)
	if lead < 0 {
		fail(ErrShape, "SumTo", []*Tensor{t}, "target %v has more axes than the tensor", shape)
	}
	var axes []int
	for i := range t.shape {
		if i < lead {
			axes = append(axes, i)
			continue
		}
		switch shape[i-lead] {
		case t.shape[i]:
		case 1:
			axes = append(axes, i)
		default:
			fail(ErrShape, "SumTo", []*Tensor{t}, "target %v does not broadcast to the tensor's shape", shape)
		}
	}
	return t.Sum(true, axes...).Reshape(shape...)
}
