package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// draw returns a generator of inputs from domain d, with one in eight
// of them an edge value where edges are given, and for Int32 the nearest
// integer.
func draw(r *rand.Rand, dt device.DType, d device.Domain, edges []float64) func() float64 {
	return func() float64 {
		if len(edges) > 0 && r.IntN(8) == 0 {
			return edges[r.IntN(len(edges))]
		}
		x := d.At(r.Float64())
		if dt == device.Int32 {
			x = math.Round(x)
		}
		return x
	}
}

// ties returns a generator of operands on a grid of halves, with NaN and
// signed zeros among them (small integers for Int32), so that equal
// operands occur.
func ties(r *rand.Rand, dt device.DType) func() float64 {
	return func() float64 {
		if dt == device.Int32 {
			return float64(r.IntN(5) - 2)
		}
		if r.IntN(12) == 0 {
			return []float64{math.NaN(), math.Copysign(0, -1), 0}[r.IntN(3)]
		}
		return float64(r.IntN(13)-6) / 2
	}
}

// viewOf is view with the values drawn by next.
func viewOf(t testing.TB, r *rand.Rand, dt device.DType, shape []int, kind string, next func() float64) (*Buffer, []float64, device.Layout) {
	l, n := randomLayout(r, shape, kind)
	v := make([]float64, n)
	for i := range v {
		v[i] = next()
	}
	v = round(dt, v)
	return upload(t, dt, v), v, l
}

// param returns a value of p for an op with the given test values.
func param(r *rand.Rand, params []float64) float64 {
	if len(params) == 0 {
		return 0
	}
	return params[r.IntN(len(params))]
}

// TestUnary checks every unary op against its table row's float64
// reference, on inputs from its domain and edges, in every layout kind
// and on shapes of awkward sizes.
func TestUnary(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, op := range device.UnaryOps() {
		in := op.Info()
		for _, dt := range floatTypes {
			for _, kind := range viewKinds {
				for _, shape := range shapesFor(kind) {
					t.Run(fmt.Sprintf("%v/%v/%s/%v", op, dt, kind, shape), func(t *testing.T) {
						src, v, l := viewOf(t, r, dt, shape, kind, draw(r, dt, in.Domain, in.Edges))
						dst := alloc(t, dt, l.Size())
						p := param(r, in.Params)
						require.NoError(t, shared.Unary(op, p, dst, src, l))
						want := elems(v, l)
						for i, x := range want {
							want[i] = roundTo(dt, in.Ref(x, p))
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

// TestBinary checks every binary op against its table row's float64
// reference (truncated for Int32), on operands from its domains, in every
// layout kind and on shapes of awkward sizes; comparisons also write
// masks of other dtypes.
func TestBinary(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, op := range device.BinaryOps() {
		in := op.Info()
		for _, dt := range allTypes {
			if dt == device.Int32 && !in.Int {
				continue
			}
			ga, gb := draw(r, dt, in.A, nil), draw(r, dt, in.B, nil)
			if in.Ties {
				ga, gb = ties(r, dt), ties(r, dt)
			}
			for _, kind := range viewKinds {
				for _, shape := range shapesFor(kind) {
					t.Run(fmt.Sprintf("%v/%v/%s/%v", op, dt, kind, shape), func(t *testing.T) {
						a, av, al := viewOf(t, r, dt, shape, kind, ga)
						b, bv, bl := viewOf(t, r, dt, shape, viewKinds[r.IntN(len(viewKinds))], gb)
						out := dt
						if op.IsCompare() {
							out = allTypes[r.IntN(3)]
						}
						dst := alloc(t, out, al.Size())
						p := param(r, in.Params)
						require.NoError(t, shared.Binary(op, p, dst, a, al, b, bl))
						x, y := elems(av, al), elems(bv, bl)
						want := make([]float64, len(x))
						for i := range want {
							want[i] = in.Ref(x[i], y[i], p)
							if dt == device.Int32 {
								want[i] = math.Trunc(want[i])
							}
							want[i] = roundTo(out, want[i])
						}
						requireClose(t, want, download(t, dst), tol(dt))
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

// TestWhereOneCondition covers Where's copy path: one condition element
// broadcast over every position (strides 0), zero, nonzero and NaN (which
// is nonzero), with strided a and b.
func TestWhereOneCondition(t *testing.T) {
	r := newRand(t)
	shape := []int{5, 7}
	for _, dt := range []device.DType{device.Float32, device.Float64, device.Int32} {
		for _, cv := range []float64{0, 1, -2, math.NaN()} {
			if dt == device.Int32 && cv != cv {
				continue
			}
			c := upload(t, dt, []float64{9, cv})
			cl := device.Layout{Shape: shape, Strides: []int{0, 0}, Offset: 1}
			a, av, al := view(t, r, dt, shape, "transposed")
			b, bv, bl := view(t, r, dt, shape, "sliced")
			dst := alloc(t, dt, 35)
			require.NoError(t, shared.Where(dst, c, cl, a, al, b, bl))
			want := elems(bv, bl)
			if cv != 0 {
				want = elems(av, al)
			}
			require.Equal(t, want, download(t, dst), "%v, condition %v", dt, cv)
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
