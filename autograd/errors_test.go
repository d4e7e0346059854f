package autograd_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// tensorError runs f and returns the *tensor.Error it panics with.
func tensorError(t *testing.T, f func()) *tensor.Error {
	t.Helper()
	err := tensor.Try(f)
	require.Error(t, err)
	var te *tensor.Error
	require.True(t, errors.As(err, &te), "want *tensor.Error, got %T: %v", err, err)
	return te
}

func ones(shape ...int) *ag.Var { return ag.Param(tensor.Ones(cpu, device.Float64, shape...)) }

func TestErrorShapeMismatch(t *testing.T) {
	te := tensorError(t, func() { ones(2, 3).Add(ones(4)) })
	require.Equal(t, "add", te.Op)
	require.Contains(t, te.Error(), "[2 3]")
	require.Contains(t, te.Error(), "[4]")
	te = tensorError(t, func() { ones(2, 3).MatMul(ones(2, 3)) })
	require.Contains(t, te.Error(), "inner dimensions differ")
	te = tensorError(t, func() { ones().MatMul(ones(3)) })
	require.Equal(t, "MatMul", te.Op)
	require.Contains(t, te.Error(), "rank >= 1")
	te = tensorError(t, func() { ag.Stack(0, ones(2, 3), ones(3, 2)) })
	require.Equal(t, "Stack", te.Op)
	require.Contains(t, te.Error(), "[3 2]")
}

func TestErrorMixedDevices(t *testing.T) {
	if _, err := device.Open(device.CUDASimDevice); err != nil {
		t.Skipf("needs a second device; cudasim is not linked into this test: %v", err)
	}
	other := ag.Param(tensor.Ones(device.CUDASimDevice, device.Float64, 2))
	te := tensorError(t, func() { ones(2).Mul(other) })
	require.Contains(t, te.Error(), "cpu")
	require.Contains(t, te.Error(), "cudasim")
	require.ErrorIs(t, te, tensor.ErrDevice)
}

func TestErrorBadAxis(t *testing.T) {
	te := tensorError(t, func() { ones(2, 3).Sum(false, 5) })
	require.Contains(t, te.Error(), "axis 5 out of range for rank 2")
	te = tensorError(t, func() { ones(2, 3).Softmax(-3) })
	require.Contains(t, te.Error(), "axis -3")
	te = tensorError(t, func() { ones(2, 3).Narrow(1, 2, 2) })
	require.Contains(t, te.Error(), "outside axis 1 of size 3")
}

func TestErrorBackwardNonScalar(t *testing.T) {
	y := ones(2, 3).MulScalar(2)
	te := tensorError(t, y.Backward)
	require.Equal(t, "Backward", te.Op)
	require.Contains(t, te.Error(), "shape [2 3]")
	require.Contains(t, te.Error(), "Seeds")

	// With a seed it works; a seed of the wrong shape does not.
	x := ones(2, 3)
	ag.Backward([]*ag.Var{x.MulScalar(2)}, ag.GradOptions{Seeds: []*ag.Var{ag.Const(tensor.Full(cpu, device.Float64, 3, 2, 3))}})
	require.Equal(t, []float64{6, 6, 6, 6, 6, 6}, x.Grad().Float64s())
	te = tensorError(t, func() {
		ag.Backward([]*ag.Var{x.MulScalar(2)}, ag.GradOptions{Seeds: []*ag.Var{ag.Const(tensor.Ones(cpu, device.Float64, 3))}})
	})
	require.Contains(t, te.Error(), "seed 0 must match")
	require.Contains(t, te.Error(), "[3]")
}

func TestErrorBackwardTwice(t *testing.T) {
	x := ones(3)
	y := x.Exp().Mul(x).Sum(false)
	y.Backward()
	te := tensorError(t, y.Backward)
	require.Equal(t, "Sum", te.Op, "the error names the first released op met")
	require.Contains(t, te.Error(), "already released")
	require.Contains(t, te.Error(), "RetainGraph")
	require.ErrorIs(t, te, tensor.ErrReleased)

	// A second output sharing the released part fails at that part.
	z := ones(3)
	shared := z.Exp()
	shared.Sum(false).Backward()
	te = tensorError(t, shared.Mul(z).Sum(false).Backward)
	require.Equal(t, "Exp", te.Op)

	// With RetainGraph a graph can be run again, and gradients add up.
	w := ones(3)
	out := w.Exp().Sum(false)
	ag.Backward([]*ag.Var{out}, ag.GradOptions{RetainGraph: true})
	out.Backward()
	require.InDeltaSlice(t, []float64{2 * math.E, 2 * math.E, 2 * math.E}, w.Grad().Float64s(), 1e-12)
}

func TestErrorNoGradPaths(t *testing.T) {
	c := ag.Const(tensor.Ones(cpu, device.Float64, 2))
	te := tensorError(t, c.Sum(false).Backward)
	require.Contains(t, te.Error(), "does not require grad")

	x, unused := ones(2), ones(2)
	y := x.Sum(false)
	te = tensorError(t, func() {
		ag.Grad([]*ag.Var{y}, []*ag.Var{x, unused}, ag.GradOptions{RetainGraph: true})
	})
	require.Contains(t, te.Error(), "input 1 is not used")
	gs := ag.Grad([]*ag.Var{y}, []*ag.Var{x, unused}, ag.GradOptions{AllowUnused: true})
	require.Nil(t, gs[1])
	require.Equal(t, []float64{1, 1}, gs[0].Value().Float64s())

	te = tensorError(t, func() { ag.Grad([]*ag.Var{x.Sum(false)}, []*ag.Var{c}, ag.GradOptions{}) })
	require.Contains(t, te.Error(), "input 0 does not require grad")
	te = tensorError(t, func() { ag.Param(tensor.New([]int32{1})) })
	require.Contains(t, te.Error(), "float")
	te = tensorError(t, func() { ag.Param(nil) })
	require.Equal(t, "tensor: Param: the tensor is a nil *Tensor", te.Error())
	te = tensorError(t, func() { ag.Const(nil) })
	require.Equal(t, "Const", te.Op)
}

func TestAnomalyDetection(t *testing.T) {
	ag.SetAnomalyDetection(true)
	defer ag.SetAnomalyDetection(false)
	require.True(t, ag.AnomalyDetection())

	x := ag.Param(tensor.New([]float64{1, -1, 2}))
	te := tensorError(t, func() { x.Log() })
	require.Equal(t, "Log", te.Op)
	require.Contains(t, te.Error(), "NaN at element 1")
	require.Contains(t, te.Error(), "first op whose output holds NaN or Inf")

	// sqrt is finite at 0, its gradient is not.
	z := ag.Param(tensor.New([]float64{4, 0}))
	y := z.Sqrt().Sum(false)
	te = tensorError(t, y.Backward)
	require.Contains(t, te.Op, "Sqrt")
	require.Contains(t, te.Error(), "+Inf at element 1")
	require.Contains(t, te.Error(), "VJP")

	ag.SetAnomalyDetection(false)
	require.NotPanics(t, func() { x.Log() })
}
