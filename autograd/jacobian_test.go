package autograd_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// requireClose asserts got and want (tensors) have one shape and agree
// element by element within tol·max(1, |want|): float64 rounding grows
// with the magnitude, and a sum taken in another order (forward against
// reverse mode) differs by a few ulps of its terms.
func requireClose(t *testing.T, want, got *tensor.Tensor, tol float64, what string) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape(), what)
	w, g := want.Float64s(), got.Float64s()
	for i := range w {
		require.InDelta(t, w[i], g[i], tol*max(1, math.Abs(w[i])), "%s: element %d", what, i)
	}
}

// uniform draws a float64 tensor on dev from a seeded RNG.
func uniform(dev device.Device, g *tensor.RNG, lo, hi float64, shape ...int) *tensor.Tensor {
	return g.Uniform(dev, device.Float64, lo, hi, shape...)
}

// The Jacobian of x ↦ A x is A, whichever mode, for a wide A (reverse
// mode chosen) and a tall one (forward mode chosen).
func TestJacobianOfLinearMapIsTheMatrix(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	for _, mn := range [][2]int{{3, 5}, {5, 3}} {
		a := uniform(cpu, g, -1, 1, mn[0], mn[1])
		x := ag.Const(uniform(cpu, g, -1, 1, mn[1]))
		f := func(x *ag.Var) *ag.Var { return ag.Const(a).MatMul(x) }
		for i, jac := range []func(func(*ag.Var) *ag.Var, *ag.Var) *ag.Var{ag.Jacobian, ag.JacobianFwd, ag.JacobianRev} {
			requireClose(t, a, jac(f, x).Value(), 1e-15, []string{"auto", "fwd", "rev"}[i])
		}
		// Jacobian's choice shows in how often it evaluates f: once for
		// reverse mode (fewer outputs than inputs), once to see the shapes
		// and once per input for forward mode.
		calls := 0
		ag.Jacobian(func(x *ag.Var) *ag.Var { calls++; return f(x) }, x)
		want := 1
		if mn[0] >= mn[1] {
			want = 1 + mn[1]
		}
		require.Equal(t, want, calls, "A is %dx%d", mn[0], mn[1])
	}
}

// The Jacobian of elementwise tanh is diag(1 - tanh²), with the output's
// shape followed by the input's.
func TestJacobianOfTanhIsDiagonal(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	x := uniform(cpu, g, -2, 2, 2, 3)
	j := ag.Jacobian((*ag.Var).Tanh, ag.Const(x)).Value()
	require.Equal(t, []int{2, 3, 2, 3}, j.Shape())
	xs, js := x.Float64s(), j.Float64s()
	for i := range 6 {
		for k := range 6 {
			want := 0.0
			if i == k {
				th := math.Tanh(xs[i])
				want = 1 - th*th
			}
			require.InDelta(t, want, js[i*6+k], 1e-15, "J[%d,%d]", i, k)
		}
	}
}

// Forward and reverse mode give the same Jacobian (to float64 rounding)
// of a function that mixes matmul, broadcasting, softmax and reductions,
// on the CPU and on cudasim.
func TestJacobianFwdEqualsRev(t *testing.T) {
	seed := testSeed(t)
	for _, dev := range []device.Device{cpu, device.CUDASimDevice} {
		if _, err := device.Open(dev); err != nil {
			t.Fatalf("%v: %v", dev, err)
		}
		g := tensor.NewRNG(seed)
		w := ag.Const(uniform(dev, g, -1, 1, 4, 3))
		f := func(x *ag.Var) *ag.Var {
			h := x.MatMul(w).Tanh().Add(x.Sum(true, 1).Exp())
			return h.Softmax(1).Mul(h).Sum(false, 0)
		}
		x := ag.Const(uniform(dev, g, -1, 1, 2, 4))
		fwd, rev := ag.JacobianFwd(f, x).Value(), ag.JacobianRev(f, x).Value()
		require.Equal(t, []int{3, 2, 4}, fwd.Shape())
		requireClose(t, fwd.To(cpu), rev.To(cpu), 1e-13, dev.String())
	}
}

// The Hessian of f(x) = Σx⁴ + xᵀAx is diag(12x²) + A + Aᵀ, and HVP
// equals Hessian @ v.
func TestHessianAndHVPOfQuartic(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	const n = 4
	a := uniform(cpu, g, -1, 1, n, n)
	f := func(x *ag.Var) *ag.Var {
		return x.Pow(4).Sum(false).Add(x.MatMul(ag.Const(a).MatMul(x)))
	}
	x := uniform(cpu, g, -1, 1, n)
	h := ag.Hessian(f, ag.Const(x)).Value()
	want := a.Add(a.T()).Add(tensor.Eye(cpu, device.Float64, n).Mul(x.Mul(x).MulScalar(12)))
	requireClose(t, want, h, 1e-13, "Hessian")

	v := uniform(cpu, g, -1, 1, n)
	hv := ag.HVP(f, ag.Const(x), ag.Const(v)).Value()
	requireClose(t, h.MatMul(v), hv, 1e-13, "HVP")
}

// HVP is forward over reverse through every op of a small network's
// backward pass; it must equal the Hessian (itself forward over reverse,
// so checked against central differences of the gradient too) times v.
func TestHVPOfNetworkMatchesHessian(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	w1 := ag.Const(uniform(cpu, g, -1, 1, 3, 5))
	w2 := ag.Const(uniform(cpu, g, -1, 1, 5, 2))
	labels := tensor.New([]int32{1, 0}, 2)
	f := func(x *ag.Var) *ag.Var {
		h := x.Reshape(2, 3).MatMul(w1).GELU().MatMul(w2)
		return ag.CrossEntropy(h, labels, 0.1).Mean(false)
	}
	x := uniform(cpu, g, -1, 1, 6)
	v := uniform(cpu, g, -1, 1, 6)
	h := ag.Hessian(f, ag.Const(x)).Value()
	requireClose(t, h.MatMul(v), ag.HVP(f, ag.Const(x), ag.Const(v)).Value(), 1e-12, "HVP")
	requireClose(t, h, h.T(), 1e-12, "symmetry")
	// Each Hessian column against central differences of the gradient.
	grad := func(x *tensor.Tensor) *tensor.Tensor {
		_, gs := ag.VJP(func(xs []*ag.Var) *ag.Var { return f(xs[0]) }, []*ag.Var{ag.Const(x)}, nil)
		return gs[0].Value()
	}
	const eps = 1e-5
	for i := range 6 {
		e := tensor.Eye(cpu, device.Float64, 6).Index(i).MulScalar(eps)
		col := grad(x.Add(e)).Sub(grad(x.Sub(e))).DivScalar(2 * eps)
		requireClose(t, col, h.Index(i), 1e-7, "column")
	}
}

// JVP returns f(x) and J v; VJP returns f(x) and uᵀ J, zeros for an
// unused primal; both agree with the known derivatives of x*y.
func TestJVPAndVJPOfProduct(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	x, y := uniform(cpu, g, -1, 1, 3), uniform(cpu, g, -1, 1, 3)
	tx, ty := uniform(cpu, g, -1, 1, 3), uniform(cpu, g, -1, 1, 3)
	f := func(xs []*ag.Var) *ag.Var { return xs[0].Mul(xs[1]) }
	out, tan := ag.JVP(f, []*ag.Var{ag.Const(x), ag.Const(y)}, []*ag.Var{ag.Const(tx), ag.Const(ty)})
	requireClose(t, x.Mul(y), out.Value(), 0, "value")
	requireClose(t, tx.Mul(y).Add(x.Mul(ty)), tan.Value(), 1e-15, "tangent")
	require.Nil(t, out.Tangent(), "the returned output is the primal alone")
	// A nil tangent is zero.
	_, tan = ag.JVP(f, []*ag.Var{ag.Const(x), ag.Const(y)}, []*ag.Var{nil, ag.Const(ty)})
	requireClose(t, x.Mul(ty), tan.Value(), 1e-15, "tangent along y")

	u := uniform(cpu, g, -1, 1, 3)
	z := uniform(cpu, g, -1, 1, 2)
	out, grads := ag.VJP(func(xs []*ag.Var) *ag.Var { return xs[0].Mul(xs[1]) }, []*ag.Var{ag.Const(x), ag.Const(y), ag.Const(z)}, ag.Const(u))
	requireClose(t, x.Mul(y), out.Value(), 0, "value")
	requireClose(t, u.Mul(y), grads[0].Value(), 1e-15, "x")
	requireClose(t, u.Mul(x), grads[1].Value(), 1e-15, "y")
	requireClose(t, z.ZerosLike(), grads[2].Value(), 0, "unused")
}

// A JVP inside a JVP, mismatched tangents and an op with no JVP rule are
// clear errors.
func TestJVPErrors(t *testing.T) {
	x := ag.Const(tensor.New([]float64{1, 2}, 2))
	one := ag.Const(tensor.New([]float64{1, 1}, 2))
	err := tensor.Try(func() {
		ag.JVP(func(xs []*ag.Var) *ag.Var {
			_, t := ag.JVP(func(ys []*ag.Var) *ag.Var { return ys[0].Exp() }, xs, []*ag.Var{one})
			return t
		}, []*ag.Var{x}, []*ag.Var{one})
	})
	require.ErrorContains(t, err, "nested forward mode is not supported")
	err = tensor.Try(func() {
		ag.JVP((func(xs []*ag.Var) *ag.Var { return xs[0] }), []*ag.Var{x}, []*ag.Var{ag.Const(tensor.New([]float64{1}, 1))})
	})
	require.ErrorContains(t, err, "tangent 0 must match its primal's shape")
	err = tensor.Try(func() { ag.JVP((func(xs []*ag.Var) *ag.Var { return xs[0] }), []*ag.Var{x}, nil) })
	require.ErrorContains(t, err, "got 0 tangents for 1 primals")
	err = tensor.Try(func() { ag.Hessian(func(x *ag.Var) *ag.Var { return x.Exp() }, x) })
	require.ErrorContains(t, err, "f must return a single element")
}

// The JVP rules are Var ops on primals that keep their nodes, so a
// tangent is differentiable in reverse mode: the gradient of the
// directional derivative J v of a scalar f is H v (reverse over forward),
// the HVP's value.
func TestReverseOverForwardIsHVP(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	w := ag.Const(uniform(cpu, g, -1, 1, 4, 3))
	f := func(x *ag.Var) *ag.Var { return x.MatMul(w).Sigmoid().Pow(2).Sum(false).Mul(x.Exp().Mean(false)) }
	xt, vt := uniform(cpu, g, -1, 1, 4), uniform(cpu, g, -1, 1, 4)
	x := ag.Param(xt)
	_, jv := ag.JVP(func(xs []*ag.Var) *ag.Var { return f(xs[0]) }, []*ag.Var{x}, []*ag.Var{ag.Const(vt)})
	require.True(t, jv.RequiresGrad(), "the tangent was computed by recorded ops")
	hv := ag.Grad([]*ag.Var{jv}, []*ag.Var{x}, ag.GradOptions{})[0].Value()
	requireClose(t, ag.HVP(f, ag.Const(xt), ag.Const(vt)).Value(), hv, 1e-13, "reverse over forward")
}
