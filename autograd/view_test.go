package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// A view (or cast, move, reduction) that leaves the shape as it was is
// still an op of its own: the gradient with respect to its output is that
// output's, not its input's, which has other uses.
func TestIdentityViewsAreDistinctNodes(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	x := ag.Param(rng.Normal(cpu, device.Float64, 0, 1, 2, 3))
	a := ag.Const(rng.Normal(cpu, device.Float64, 0, 1, 2, 3))
	for _, c := range []struct {
		name string
		view func(x *ag.Var) *ag.Var
	}{
		{"Expand", func(x *ag.Var) *ag.Var { return x.Expand(2, 3) }},
		{"Reshape", func(x *ag.Var) *ag.Var { return x.Reshape(2, 3) }},
		{"Permute", func(x *ag.Var) *ag.Var { return x.Permute(0, 1) }},
		{"Transpose", func(x *ag.Var) *ag.Var { return x.Transpose(1, 1) }},
		{"Narrow", func(x *ag.Var) *ag.Var { return x.Narrow(1, 0, 3) }},
		{"Slice", func(x *ag.Var) *ag.Var { return x.Slice(0, 0, 2) }},
		{"Squeeze", func(x *ag.Var) *ag.Var { return x.Squeeze() }},
		{"Contiguous", (*ag.Var).Contiguous},
		{"Clone", (*ag.Var).Clone},
		{"To", func(x *ag.Var) *ag.Var { return x.To(cpu) }},
		{"Cast", func(x *ag.Var) *ag.Var { return x.Cast(device.Float64) }},
		{"SumTo", func(x *ag.Var) *ag.Var { return x.SumTo(2, 3) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			y := c.view(x)
			require.NotSame(t, x, y)
			require.Equal(t, c.name, y.Op())
			out := y.Mul(a).Add(x.Mul(x)).Sum(false)
			gs := ag.Grad([]*ag.Var{out}, []*ag.Var{y, x}, ag.GradOptions{RetainGraph: true})
			require.Equal(t, a.Value().Float64s(), gs[0].Value().Float64s(), "d out/d y is a alone")
			want := x.Value().MulScalar(2).Add(a.Value()).Float64s()
			require.Equal(t, want, gs[1].Value().Float64s(), "d out/d x is 2x + a")
		})
	}
}

// Softmax and LogSoftmax of a rank-0 Var are the constants 1 and 0: the
// gradient is a zero (reachable, so a tensor, not nil).
func TestSoftmaxRankZero(t *testing.T) {
	seed := testSeed(t)
	x := ag.Param(tensor.NewRNG(seed).Normal(cpu, device.Float64, 0, 3, 3).Sum(false))
	for _, y := range []*ag.Var{x.Softmax(0), x.LogSoftmax(-1)} {
		require.Equal(t, 0, y.Rank())
		g := ag.Grad([]*ag.Var{y}, []*ag.Var{x}, ag.GradOptions{})[0]
		require.Equal(t, 0, g.Rank())
		require.Equal(t, 0.0, g.Value().Item())
	}
	require.Equal(t, 1.0, x.Softmax(0).Value().Item())
	require.Equal(t, 0.0, x.LogSoftmax(0).Value().Item())
}

func TestSoftmaxRankZeroBadAxis(t *testing.T) {
	x := ag.Param(tensor.Scalar(cpu, device.Float64, 0.5))
	te := tensorError(t, func() { x.LogSoftmax(1) })
	require.Equal(t, "LogSoftmax", te.Op)
	require.Contains(t, te.Error(), "axis 1 out of range for rank 0")
}

// Index of one element is a rank-0 Var whose gradient lands at that
// element; RDivScalar is v/x with gradient -v/x².
func TestIndexAndRDivScalar(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	x := ag.Param(rng.Uniform(cpu, device.Float64, 0.5, 2, 2, 3))
	e := x.Index(1, -2)
	require.Equal(t, 0, e.Rank())
	require.Equal(t, x.Value().At(1, 1), e.Value().Item())
	e.MulScalar(3).Backward()
	require.Equal(t, []float64{0, 0, 0, 0, 3, 0}, x.Grad().Float64s())

	x.ZeroGrad()
	y := x.RDivScalar(2)
	xv, yv := x.Value().Float64s(), y.Value().Float64s()
	y.Sum(false).Backward()
	g := x.Grad().Float64s()
	for i := range xv {
		require.InDelta(t, 2/xv[i], yv[i], 1e-15)
		require.InDelta(t, -2/(xv[i]*xv[i]), g[i], 1e-14)
	}
}
