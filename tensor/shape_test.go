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
