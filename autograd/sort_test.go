package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestSortAndTopK checks sorting (stable on ties, both directions, on an
// inner axis), top-k and the gradient through them, on the CPU and on
// cudasim.
func TestSortAndTopK(t *testing.T) {
	for _, dev := range []device.Device{device.CPUDevice, device.CUDASimDevice} {
		x := autograd.Param(tensor.NewOn(dev, []float64{3, 1, 2, 1, 5, -4, 0, 5}, 2, 4))
		s, idx := x.Sort(1, false)
		require.Equal(t, []float64{1, 1, 2, 3, -4, 0, 5, 5}, s.Value().Float64s(), dev)
		require.Equal(t, []int32{1, 3, 2, 0, 1, 2, 0, 3}, idx.Int32s(), "stable: equal values keep their order")
		d, idx := x.Sort(1, true)
		require.Equal(t, []float64{3, 2, 1, 1, 5, 5, 0, -4}, d.Value().Float64s())
		require.Equal(t, []int32{0, 2, 1, 3, 0, 3, 2, 1}, idx.Int32s())
		_, idx = x.Sort(0, false)
		require.Equal(t, []int32{0, 1, 1, 0, 1, 0, 0, 1}, idx.Int32s(), "along axis 0")

		top, at := x.TopK(2, -1, true)
		require.Equal(t, []float64{3, 2, 5, 5}, top.Value().Float64s())
		require.Equal(t, []int32{0, 2, 0, 3}, at.Int32s())
		w := autograd.Const(tensor.NewOn(dev, []float64{1, 10, 100, 1000}, 2, 2))
		top.Mul(w).Sum(false).Backward()
		require.Equal(t, []float64{1, 0, 10, 0, 100, 0, 0, 1000}, x.Grad().Float64s())
		low, _ := x.TopK(1, 1, false)
		require.Equal(t, []float64{1, -4}, low.Value().Float64s())
	}
}
