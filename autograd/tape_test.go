package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

func TestBackwardAccumulatesAndZeroGrad(t *testing.T) {
	x := ag.Param(tensor.New([]float64{1, 2}))
	x.Mul(x).Sum(false).Backward()
	x.Mul(x).Sum(false).Backward()
	require.Equal(t, []float64{4, 8}, x.Grad().Float64s())
	require.False(t, x.GradVar().RequiresGrad(), "without CreateGraph gradients record nothing")
	ag.ZeroGrad(x)
	require.Nil(t, x.Grad())
	x.Sum(false).Backward()
	require.Equal(t, []float64{1, 1}, x.Grad().Float64s())
}

func TestDetachAndConstStopGradients(t *testing.T) {
	x := ag.Param(tensor.New([]float64{3, -2}))
	y := x.Mul(x.Detach()).Sum(false) // d/dx = detached x, not 2x
	y.Backward()
	require.Equal(t, []float64{3, -2}, x.Grad().Float64s())
	require.False(t, x.Detach().RequiresGrad())
	require.True(t, x.IsLeaf())
	require.False(t, y.IsLeaf())
	require.Equal(t, "Sum", y.Op())
	require.Equal(t, "Param", x.Op())
}

// NoGrad marks a value: ops on it, even with Params, record nothing and
// pass the mark on; ops without it record as usual.
func TestNoGrad(t *testing.T) {
	w := ag.Param(tensor.New([]float64{1, 2}))
	x := ag.NoGrad(w)
	require.False(t, x.RequiresGrad())
	require.True(t, x.IsNoGrad())
	require.Same(t, w.Value(), x.Value())
	y := x.Exp().Mul(w).Add(ag.Const(tensor.New([]float64{3, 4})))
	require.False(t, y.RequiresGrad())
	require.True(t, y.IsNoGrad(), "the mark passes through every op")
	require.Equal(t, "Var(nograd, ", y.String()[:len("Var(nograd, ")])
	require.False(t, y.Detach().IsNoGrad())
	require.True(t, w.Exp().Mul(w).RequiresGrad(), "ops without a NoGrad input record")
	require.Contains(t, tensorError(t, y.Sum(false).Backward).Error(), "computed from a NoGrad Var")
}

// Gradients arriving through broadcasts and views are stored dense, as
// the fused optimizer steps need.
func TestLeafGradientsAreDense(t *testing.T) {
	b := ag.Param(tensor.New([]float64{1, 2, 3}, 1, 3))
	x := ag.Const(tensor.Ones(cpu, device.Float64, 4, 3))
	x.Add(b).Sum(false).Backward()
	g := b.Grad()
	require.Equal(t, []float64{4, 4, 4}, g.Float64s())
	require.True(t, g.IsContiguous())
	require.Same(t, g, g.Contiguous(), "a gradient owns its buffer")

	s := ag.Param(tensor.Scalar(cpu, device.Float64, 2))
	x.Mul(s).Sum(false).Backward()
	require.Equal(t, 12.0, s.Grad().Item())
}

// Grad with respect to an intermediate Var, and several outputs with
// seeds at once.
func TestGradIntermediateAndSeveralOutputs(t *testing.T) {
	x := ag.Param(tensor.New([]float64{1, 2, 3}))
	h := x.MulScalar(2)
	y1, y2 := h.Sum(false), h.Mul(h).Sum(false)
	gs := ag.Grad([]*ag.Var{y1, y2}, []*ag.Var{h, x}, ag.GradOptions{
		Seeds: []*ag.Var{ag.Const(tensor.Scalar(cpu, device.Float64, 1)), ag.Const(tensor.Scalar(cpu, device.Float64, 0.5))},
	})
	require.Equal(t, []float64{3, 5, 7}, gs[0].Value().Float64s()) // 1 + 0.5*2h
	require.Equal(t, []float64{6, 10, 14}, gs[1].Value().Float64s())
}

// A gradient that is zero by construction (ReLUGrad's input) is a
// reachable zero, not an unused input.
func TestReachableZeroGradient(t *testing.T) {
	x := ag.Param(tensor.New([]float64{1, -1}))
	g := ag.Param(tensor.New([]float64{2, 3}))
	y := ag.ReLUGrad(x, g).Sum(false)
	gs := ag.Grad([]*ag.Var{y}, []*ag.Var{x, g}, ag.GradOptions{})
	require.Equal(t, []float64{0, 0}, gs[0].Value().Float64s())
	require.Equal(t, []float64{1, 0}, gs[1].Value().Float64s())
}

// Graphs built and differentiated on several goroutines at once, sharing
// a Param, do not interfere (run with -race): the walk only reads shared
// nodes, and Grad writes no Param's gradient.
func TestConcurrentGraphs(t *testing.T) {
	w := ag.Param(tensor.New([]float64{0.5, -1, 2}))
	const workers = 4
	results := make([][]float64, workers)
	done := make(chan int)
	for k := range workers {
		go func() {
			x := ag.Const(tensor.Full(cpu, device.Float64, float64(k+1), 3))
			y := w.Mul(x).Tanh().Sum(false)
			results[k] = ag.Grad([]*ag.Var{y}, []*ag.Var{w}, ag.GradOptions{})[0].Value().Float64s()
			done <- k
		}()
	}
	for range workers {
		<-done
	}
	for k := range workers {
		x := ag.Const(tensor.Full(cpu, device.Float64, float64(k+1), 3))
		want := ag.Grad([]*ag.Var{w.Mul(x).Tanh().Sum(false)}, []*ag.Var{w}, ag.GradOptions{})[0]
		require.Equal(t, want.Value().Float64s(), results[k])
	}
}

func TestSetGrad(t *testing.T) {
	x := ag.Param(tensor.New([]float64{1, 2}))
	x.SetGrad(tensor.New([]float64{10, 20}))
	x.Mul(x).Sum(false).Backward()
	require.Equal(t, []float64{12, 24}, x.Grad().Float64s())
	te := tensorError(t, func() { x.SetGrad(tensor.New([]float64{1, 2, 3})) })
	require.Equal(t, "SetGrad", te.Op)
	require.Contains(t, te.Error(), "[3]")
	x.SetGrad(nil)
	require.Nil(t, x.Grad())
}

// Sign, GtScalar, comparisons and ArgMax give constants; To on the same
// device shares the value (in a Var of its own).
func TestConstantOpsAndTo(t *testing.T) {
	x := ag.Param(tensor.New([]float64{-2, 0, 3}))
	for _, c := range []*ag.Var{x.Sign(), x.GtScalar(0), x.Eq(x), x.ArgMax(0, false), x.ArgMin(0, true)} {
		require.False(t, c.RequiresGrad())
	}
	require.Equal(t, []float64{-1, 0, 1}, x.Sign().Value().Float64s())
	require.Equal(t, []float64{0, 0, 1}, x.GtScalar(0).Value().Float64s())
	require.Same(t, x.Value(), x.To(cpu).Value())
	if _, err := device.Open(device.CUDASimDevice); err != nil {
		t.Skipf("no second device to move to: %v", err)
	}
	y := x.To(device.CUDASimDevice).Mul(x.To(device.CUDASimDevice)).Sum(false)
	y.Backward()
	require.Equal(t, []float64{-4, 0, 6}, x.Grad().Float64s())
	require.Equal(t, cpu, x.Grad().Device())
}
