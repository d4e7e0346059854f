package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// refUnary is the plain float64 definition of each unary op.
func refUnary(op device.UnaryOp, p, x float64) float64 {
	switch op {
	case device.Neg:
		return -x
	case device.Abs:
		return math.Abs(x)
	case device.Sign:
		if x > 0 {
			return 1
		} else if x < 0 {
			return -1
		}
		return 0
	case device.Exp:
		return math.Exp(x)
	case device.Log:
		return math.Log(x)
	case device.Sqrt:
		return math.Sqrt(x)
	case device.Log1p:
		return math.Log1p(x)
	case device.Expm1:
		return math.Expm1(x)
	case device.Sin:
		return math.Sin(x)
	case device.Cos:
		return math.Cos(x)
	case device.Erf:
		return math.Erf(x)
	case device.Tanh:
		return math.Tanh(x)
	case device.Sigmoid:
		return 1 / (1 + math.Exp(-x))
	case device.ReLU:
		if x > 0 || math.IsNaN(x) {
			return x
		}
		return 0
	case device.LeakyReLU:
		if x > 0 {
			return x
		}
		return p * x
	case device.GELU:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case device.Pow:
		return math.Pow(x, p)
	}
	panic("no reference for " + op.String())
}

func TestUnary(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, op := range device.UnaryOps() {
		for _, dt := range floatTypes {
			for _, kind := range viewKinds {
				for _, shape := range shapesFor(kind) {
					t.Run(fmt.Sprintf("%v/%v/%s/%v", op, dt, kind, shape), func(t *testing.T) {
						src, v, l := view(t, r, dt, shape, kind)
						dst := alloc(t, dt, l.Size())
						p := 0.5 + r.Float64()
						if op == device.Pow {
							p = 3
						}
						require.NoError(t, shared.Unary(op, p, dst, src, l))
						want := elems(v, l)
						for i, x := range want {
							want[i] = float64(roundTo(dt, refUnary(op, p, x)))
						}
						requireClose(t, want, download(t, dst), tol(dt))
					})
				}
			}
		}
	}
}

// roundTo rounds x to dt's precision.
func roundTo(dt device.DType, x float64) float64 {
	if dt == device.Float32 {
		return float64(float32(x))
	}
	return x
}

func TestUnarySpecialValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		op   device.UnaryOp
		in   []float64
		want []float64
	}{
		{device.Sign, []float64{nan, -3, 0, 2}, []float64{0, -1, 0, 1}},
		{device.ReLU, []float64{nan, -1, 2}, []float64{nan, 0, 2}},
		{device.Sigmoid, []float64{-1000, 1000, -inf, inf, nan}, []float64{0, 1, 0, 1, nan}},
	}
	for _, c := range cases {
		for _, dt := range floatTypes {
			src := upload(t, dt, c.in)
			dst := alloc(t, dt, len(c.in))
			require.NoError(t, shared.Unary(c.op, 0, dst, src, device.Contiguous([]int{len(c.in)})))
			requireClose(t, c.want, download(t, dst), 0, c.op, dt)
		}
	}
	ib := upload(t, device.Int32, []float64{1, 2})
	err := shared.Unary(device.Exp, 0, ib, ib, device.Contiguous([]int{2}))
	require.ErrorContains(t, err, "exp")
	require.ErrorContains(t, err, "int32")
}

// refBinary is the plain float64 definition of each binary op; integer
// division truncates.
func refBinary(op device.BinaryOp, p, a, b float64, isInt bool) float64 {
	one := func(c bool) float64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case device.Add:
		return a + b
	case device.Sub:
		return a - b
	case device.Mul:
		return a * b
	case device.Div:
		if isInt {
			return math.Trunc(a / b)
		}
		return a / b
	case device.Maximum:
		return math.Max(a, b)
	case device.Minimum:
		return math.Min(a, b)
	case device.Eq:
		return one(a == b)
	case device.Ne:
		return one(a != b)
	case device.Lt:
		return one(a < b)
	case device.Le:
		return one(a <= b)
	case device.Gt:
		return one(a > b)
	case device.Ge:
		return one(a >= b)
	case device.ReLUGrad:
		return b * one(a > 0)
	case device.LeakyReLUGrad:
		if a > 0 {
			return b
		}
		return p * b
	case device.SigmoidGrad:
		return b * a * (1 - a)
	case device.TanhGrad:
		return b * (1 - a*a)
	case device.GELUGrad:
		const h = 1e-6 // central difference of the reference GELU
		return b * (refUnary(device.GELU, 0, a+h) - refUnary(device.GELU, 0, a-h)) / (2 * h)
	}
	panic("no reference for " + op.String())
}

func TestBinary(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, op := range device.BinaryOps() {
		for _, dt := range allTypes {
			if dt == device.Int32 && op > device.Ge {
				continue
			}
			for _, kind := range viewKinds {
				for _, shape := range shapesFor(kind) {
					t.Run(fmt.Sprintf("%v/%v/%s/%v", op, dt, kind, shape), func(t *testing.T) {
						a, av, al := view(t, r, dt, shape, kind)
						b, bv, bl := view(t, r, dt, shape, viewKinds[r.IntN(len(viewKinds))])
						if op.IsCompare() && r.IntN(2) == 0 {
							// make some elements equal
							for i := range bv {
								if i%3 == 0 && i < len(av) {
									bv[i] = av[i]
								}
							}
							b = upload(t, dt, bv)
						}
						out := dt
						if op.IsCompare() {
							out = allTypes[r.IntN(3)]
						}
						dst := alloc(t, out, al.Size())
						p := 0.01 + r.Float64()
						require.NoError(t, shared.Binary(op, p, dst, a, al, b, bl))
						x, y := elems(av, al), elems(bv, bl)
						want := make([]float64, len(x))
						for i := range want {
							want[i] = roundTo(out, refBinary(op, p, x[i], y[i], dt == device.Int32))
						}
						rel := tol(dt)
						if op == device.GELUGrad {
							rel = 1e-7 // the reference is a finite difference
						}
						requireClose(t, want, download(t, dst), rel)
					})
				}
			}
		}
	}
}

func TestBinarySpecialValues(t *testing.T) {
	nan := math.NaN()
	l := device.Contiguous([]int{4})
	for _, dt := range floatTypes {
		a := upload(t, dt, []float64{nan, 1, nan, -2})
		b := upload(t, dt, []float64{1, nan, nan, -3})
		dst := alloc(t, dt, 4)
		require.NoError(t, shared.Binary(device.Maximum, 0, dst, a, l, b, l))
		requireClose(t, []float64{nan, nan, nan, -2}, download(t, dst), 0)
		require.NoError(t, shared.Binary(device.Minimum, 0, dst, a, l, b, l))
		requireClose(t, []float64{nan, nan, nan, -3}, download(t, dst), 0)
		require.NoError(t, shared.Binary(device.Ne, 0, dst, a, l, b, l))
		requireClose(t, []float64{1, 1, 1, 1}, download(t, dst), 0)
		require.NoError(t, shared.Binary(device.Eq, 0, dst, a, l, a, l))
		requireClose(t, []float64{0, 1, 0, 1}, download(t, dst), 0)
	}

	a := upload(t, device.Int32, []float64{7, -7, 5, math.MinInt32})
	b := upload(t, device.Int32, []float64{2, 2, 0, -1})
	dst := alloc(t, device.Int32, 4)
	err := shared.Binary(device.Div, 0, dst, a, l, b, l)
	require.ErrorContains(t, err, "division by zero")
	require.Equal(t, []float64{3, -3, 0, math.MinInt32}, download(t, dst))
	require.ErrorContains(t, shared.Binary(device.ReLUGrad, 0, dst, a, l, b, l), "int32")

	f := upload(t, device.Float32, []float64{1, 2, 3, 4})
	require.ErrorContains(t, shared.Binary(device.Add, 0, dst, f, l, f, l), "dst is int32, inputs are float32")
	require.ErrorContains(t, shared.Binary(device.Add, 0, f, f, l, a, l), "int32")
	require.ErrorContains(t, shared.Binary(device.Add, 0, f, f, l, f, device.Contiguous([]int{2, 2})), "shapes")
}

func TestWhere(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range allTypes {
		for _, kind := range viewKinds {
			for _, shape := range shapesFor(kind) {
				t.Run(fmt.Sprintf("%v/%s/%v", dt, kind, shape), func(t *testing.T) {
					c, cv, cl := view(t, r, dt, shape, kind)
					for i := range cv {
						if r.IntN(2) == 0 {
							cv[i] = 0
						}
					}
					c = upload(t, dt, cv)
					a, av, al := view(t, r, dt, shape, viewKinds[r.IntN(len(viewKinds))])
					b, bv, bl := view(t, r, dt, shape, viewKinds[r.IntN(len(viewKinds))])
					dst := alloc(t, dt, cl.Size())
					require.NoError(t, shared.Where(dst, c, cl, a, al, b, bl))
					cs, as, bs := elems(cv, cl), elems(av, al), elems(bv, bl)
					want := make([]float64, len(cs))
					for i := range want {
						want[i] = bs[i]
						if cs[i] != 0 {
							want[i] = as[i]
						}
					}
					require.Equal(t, want, download(t, dst))
				})
			}
		}
	}
}

func TestEmptyShapes(t *testing.T) {
	for _, shape := range [][]int{{0}, {3, 0, 2}} {
		l := device.Contiguous(shape)
		a := upload(t, device.Float32, []float64{5})
		require.NoError(t, shared.Unary(device.Exp, 0, a, a, l))
		require.NoError(t, shared.Binary(device.Add, 0, a, a, l, a, l))
		require.NoError(t, shared.Where(a, a, l, a, l, a, l))
		require.NoError(t, shared.Copy(a, l, a, l))
		require.NoError(t, shared.Cast(a, a, l))
		require.NoError(t, shared.Fill(a, l, 1))
		require.Equal(t, []float64{5}, download(t, a))
	}
}
