package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

func TestSequentialNames(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	inner := nn.NewSequential(nn.NewLinear(c, 3, 4, true), nn.ReLU(), nn.NewBatchNorm1d(c, 4))
	m := nn.NewSequential().Add("block", inner).Add("head", nn.NewLinear(c, 4, 2, false))
	require.Equal(t, []string{"block.0.weight", "block.0.bias", "block.2.weight", "block.2.bias", "head.weight"}, names(m.Parameters()))
	var bufs []string
	for _, b := range m.Buffers() {
		bufs = append(bufs, b.Name)
	}
	require.Equal(t, []string{"block.2.running_mean", "block.2.running_var"}, bufs)
	require.Equal(t, 3*4+4+4+4+4*2, nn.NumParams(m))
	require.Equal(t, 2, m.Len())
	name, layer := m.Layer(1)
	require.Equal(t, "head", name)
	require.Equal(t, []int{5, 2}, layer.Forward(autograd.Const(randn(c.RNG, 5, 4))).Shape())
	require.Panics(t, func() { m.Add("head", nn.ReLU()) })
	require.Panics(t, func() { m.Add("a.b", nn.ReLU()) })

	// Train reaches every layer: BatchNorm stops updating its statistics.
	x := randn(c.RNG, 5, 3)
	m.Forward(autograd.Const(x))
	before := m.Buffers()[0].Tensor.Float64s()
	m.Train(false)
	m.Forward(autograd.Const(x))
	require.Equal(t, before, m.Buffers()[0].Tensor.Float64s())
}

// Anomaly mode stops at the first op that makes a NaN or Inf, forward or
// backward, and names it with the shapes involved.
func TestAnomalyDetection(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	l := nn.NewLinear(c, 3, 2, true)
	x := randn(c.RNG, 4, 3)
	autograd.SetAnomalyDetection(true)
	defer autograd.SetAnomalyDetection(false)

	// Forward: the log of a negative number.
	err := tensor.Try(func() { l.Forward(autograd.Const(x)).Neg().Abs().Neg().Log() })
	var te *tensor.Error
	require.True(t, errors.As(err, &te), "%v", err)
	require.Equal(t, "Log", te.Op)
	require.Contains(t, te.Shapes, []int{4, 2})
	require.ErrorContains(t, err, "anomaly")

	// Backward: √ is finite at 0, its gradient is not.
	err = tensor.Try(func() {
		y := l.Forward(autograd.Const(x))
		y.Mul(autograd.Const(y.Value().ZerosLike())).Sqrt().Sum(false).Backward()
	})
	require.True(t, errors.As(err, &te), "%v", err)
	require.Contains(t, te.Op, "backward")
	require.ErrorContains(t, err, "Sqrt")

	// A healthy step passes untouched.
	require.NoError(t, tensor.Try(func() { nn.MSE(l.Forward(autograd.Const(x)), autograd.Const(x.Narrow(1, 0, 2))).Backward() }))
}
