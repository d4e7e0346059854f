package tensor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// A rank-0 tensor's Shape is empty but not nil, so rebuilding a tensor
// from its shape keeps a scalar a scalar.
func TestScalarShapeRoundTrip(t *testing.T) {
	s := tensor.New([]float64{2, 3}).Sum(false)
	require.NotNil(t, s.Shape())
	require.Empty(t, s.Shape())
	require.NotNil(t, s.Strides())
	again := tensor.NewOn(device.CPUDevice, s.Float64s(), s.Shape()...)
	require.Equal(t, 0, again.Rank())
	require.Equal(t, 5.0, again.Item())
}

// CrossEntropyBackward checks the form of its operands like the forward
// op, with a *Error rather than an index panic.
func TestCrossEntropyBackwardChecksShapes(t *testing.T) {
	logits := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	labels := tensor.New([]int32{0, 2})
	dloss := tensor.New([]float64{1, 0.5})
	got := tensor.CrossEntropyBackward(logits, labels, dloss, 0).Float64s()
	p := logits.Softmax(1).Float64s()
	require.InDelta(t, p[0]-1, got[0], 1e-12)
	require.InDelta(t, 0.5*(p[5]-1), got[5], 1e-12)

	for _, c := range []struct {
		logits, labels, dloss *tensor.Tensor
		msg                   string
	}{
		{tensor.New([]float64{1, 2, 3}), labels, dloss, "logits must be [rows, classes]"},
		{logits, tensor.New([]int32{0}), dloss, "labels must be int32 [2]"},
		{logits, tensor.New([]float64{0, 2}), dloss, "labels must be int32 [2]"},
		{logits, labels, tensor.New([]float64{1}), "dloss must be [2]"},
	} {
		err := tensor.Try(func() { tensor.CrossEntropyBackward(c.logits, c.labels, c.dloss, 0) })
		var te *tensor.Error
		require.ErrorAs(t, err, &te)
		require.Contains(t, te.Error(), c.msg)
	}
}
