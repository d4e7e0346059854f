package autograd

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// wrongSquare is x² with a deliberately wrong VJP (3x instead of 2x), to
// show that Check catches a bad rule and points at it.
func wrongSquare(x *Var) *Var {
	return unary("WrongSquare", x.value.Mul(x.value), x, func(g, x, y *Var) *Var { return g.Mul(x).MulScalar(3) },
		func(t, x, y *Var) *Var { return t.Mul(x).MulScalar(2) })
}

func TestCheckCatchesWrongVJP(t *testing.T) {
	x := tensor.New([]float64{0.5, -2, 1.5}, 3)
	rep, err := Check(func(xs []*Var) *Var { return wrongSquare(xs[0]) }, []*tensor.Tensor{x}, CheckOptions{Seed: 1})
	require.NoError(t, err)
	require.False(t, rep.Pass, "%v", rep)
	require.Equal(t, 3, rep.Checked)
	require.Equal(t, 0, rep.Input)
	require.InDelta(t, rep.Numeric*1.5, rep.Analytic, 1e-6, "analytic is 3x where numeric is 2x")
	require.Contains(t, rep.String(), "FAIL")

}

// flatSquare is x² whose VJP is right but treats x as a constant, so its
// second derivative is lost: the second-order check must see that.
func flatSquare(x *Var) *Var {
	return unary("FlatSquare", x.value.Mul(x.value), x, func(g, x, y *Var) *Var { return g.Mul(Const(x.value)).MulScalar(2) },
		func(t, x, y *Var) *Var { return t.Mul(Const(x.value)).MulScalar(2) })
}

func TestSecondOrderCheckCatchesConstantVJP(t *testing.T) {
	x := tensor.New([]float64{0.5, -2, 1.5}, 3)
	f := func(xs []*Var) *Var { return flatSquare(xs[0]) }
	rep, err := Check(f, []*tensor.Tensor{x}, CheckOptions{Seed: 2})
	require.NoError(t, err)
	require.True(t, rep.Pass, "first order is right: %v", rep)
	rep, err = Check(f, []*tensor.Tensor{x}, CheckOptions{Seed: 2, SecondOrder: true})
	require.NoError(t, err)
	require.False(t, rep.Pass, "second order is lost: %v", rep)
	require.Zero(t, rep.Analytic)
}

func TestCheckReportsErrors(t *testing.T) {
	x := tensor.Ones(device.CPUDevice, device.Float32, 2, 3)
	_, err := Check(func(xs []*Var) *Var { return xs[0].Sum(false, 4) }, []*tensor.Tensor{x}, CheckOptions{})
	require.ErrorContains(t, err, "axis 4")
	_, err = Check(func(xs []*Var) *Var { return xs[0].ArgMax(0, false) }, []*tensor.Tensor{x}, CheckOptions{})
	require.ErrorContains(t, err, "must be a float tensor")
}

// Released nodes drop their rules, and with them the tensors the rules
// captured.
func TestBackwardReleasesSavedState(t *testing.T) {
	x := Param(tensor.New([]float64{1, 2}))
	y := x.Exp().Sum(false)
	Backward([]*Var{y}, GradOptions{RetainGraph: true})
	require.NotNil(t, y.node.rules)
	y.Backward()
	require.Nil(t, y.node.rules)
	require.True(t, y.node.released)
	require.Nil(t, y.node.inputs[0].node.rules, "Exp's node is released too")
	require.Nil(t, y.node.inputs[0].value, "the graph no longer holds the activations")
	require.Nil(t, y.node.v)
	require.Same(t, x.node, y.node.inputs[0].node.inputs[0].node, "the edges stay")
	require.False(t, x.node.released, "leaves have nothing to release")
	require.NotNil(t, y.Value(), "the Vars themselves keep their values")
}

// The walk visits each node once, in decreasing seq, even through a
// diamond-heavy graph whose path count is exponential.
func TestCollectVisitsEachNodeOnce(t *testing.T) {
	x := Param(tensor.New([]float64{1}))
	v := x
	for range 40 {
		v = v.Add(v) // 2^40 paths from the output to x
	}
	nodes := collect([]*node{v.node})
	require.Len(t, nodes, 41)
	for i := 1; i < len(nodes); i++ {
		require.Greater(t, nodes[i-1].seq, nodes[i].seq)
	}
	v.Backward()
	require.Equal(t, float64(int64(1)<<40), x.Grad().Item())
}

// wrongTangentSquare is x² with a right VJP and a deliberately wrong JVP
// (3x instead of 2x): the forward check must catch it, both against
// central differences and against the VJP.
func wrongTangentSquare(x *Var) *Var {
	return unary("WrongTangentSquare", x.value.Mul(x.value), x,
		func(g, x, y *Var) *Var { return g.Mul(x).MulScalar(2) },
		func(t, x, y *Var) *Var { return t.Mul(x).MulScalar(3) })
}

func TestForwardCheckCatchesWrongJVP(t *testing.T) {
	x := tensor.New([]float64{0.5, -2, 1.5}, 3)
	f := func(xs []*Var) *Var { return wrongTangentSquare(xs[0]) }
	rep, err := Check(f, []*tensor.Tensor{x}, CheckOptions{Seed: 3})
	require.NoError(t, err)
	require.True(t, rep.Pass, "the VJP is right: %v", rep)
	rep, err = Check(f, []*tensor.Tensor{x}, CheckOptions{Seed: 3, Forward: true})
	require.NoError(t, err)
	require.False(t, rep.Pass, "%v", rep)
	require.True(t, rep.Forward)
	require.Equal(t, 3, rep.Checked, "one comparison per output element")
	require.InDelta(t, rep.Numeric*1.5, rep.Analytic, 1e-6, "tangent is 3x where numeric is 2x")
	require.Greater(t, rep.AdjointErr, 1e-3, "the JVP disagrees with the VJP")
	require.Contains(t, rep.String(), "JVP")
	require.Contains(t, rep.String(), "FAIL")
}

// An op with a VJP but no JVP fails loudly in forward mode, naming
// itself, rather than passing a zero tangent on.
func TestMissingJVPPanicsNamingTheOp(t *testing.T) {
	noJVP := func(x *Var) *Var {
		return record("NoJVPSquare", x.value.Mul(x.value), []*Var{x}, deriv{vjp: func(g *Var, x []*Var, _ *Var) *Var { return g.Mul(x[0]).MulScalar(2) }})
	}
	x := Const(tensor.New([]float64{0.5, -2}, 2))
	err := tensor.Try(func() {
		JVP(func(xs []*Var) *Var { return noJVP(xs[0]) }, []*Var{x}, []*Var{Const(tensor.New([]float64{1, 1}, 2))})
	})
	require.ErrorContains(t, err, "NoJVPSquare")
	require.ErrorContains(t, err, "no JVP rule for input 0")
	// Without a tangent the op runs, and its VJP works.
	p := Param(x.value)
	g := Grad([]*Var{noJVP(p).Sum(false)}, []*Var{p}, GradOptions{})
	require.Equal(t, []float64{1, -4}, g[0].Value().Float64s())
	// An input with neither rule (Where's condition) carries no
	// derivative: its tangent is dropped, not an error.
	cond := Const(tensor.New([]float64{1, 0}, 2))
	_, tan := JVP(func(xs []*Var) *Var { return Where(xs[0], x, x.MulScalar(2)) }, []*Var{cond}, []*Var{Const(tensor.New([]float64{5, 7}, 2))})
	require.Equal(t, []float64{0, 0}, tan.Value().Float64s())
}
