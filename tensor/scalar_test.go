package tensor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Softmax over the one element of a rank-0 tensor is 1 (log: 0), along
// axis 0 or -1 as PyTorch allows; its VJP is 0.
func TestSoftmaxRankZero(t *testing.T) {
	rng := seeded(t)
	for _, dt := range []device.DType{device.Float32, device.Float64} {
		x := rng.Normal(cpu, dt, 0, 3, 4).Sum(false)
		dy := rng.Normal(cpu, dt, 0, 1, 2).Sum(false)
		for _, axis := range []int{0, -1} {
			for _, c := range []struct {
				log  bool
				want float64
			}{{false, 1}, {true, 0}} {
				var y *tensor.Tensor
				if c.log {
					y = x.LogSoftmax(axis)
				} else {
					y = x.Softmax(axis)
				}
				require.Equal(t, 0, y.Rank())
				require.Equal(t, dt, y.DType())
				require.Equal(t, c.want, y.Item())
				dx := tensor.SoftmaxBackward(y, dy, axis, c.log)
				require.Equal(t, 0, dx.Rank())
				require.InDelta(t, 0, dx.Item(), 1e-15)
			}
		}
		te := tensorError(t, func() { x.Softmax(1) })
		require.Contains(t, te.Error(), "axis 1 out of range for rank 0")
	}
}
