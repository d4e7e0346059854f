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

func TestNewScalar(t *testing.T) {
	rng := seeded(t)
	v := rng.Normal(cpu, device.Float64, 0, 1, 1).Item()
	s := tensor.NewScalar(v)
	require.Equal(t, 0, s.Rank())
	require.NotNil(t, s.Shape())
	require.Equal(t, device.Float64, s.DType())
	require.Equal(t, v, s.Item())
	f := tensor.NewScalarOn(cpu, float32(v))
	require.Equal(t, 0, f.Rank())
	require.Equal(t, device.Float32, f.DType())
	require.Equal(t, float64(float32(v)), f.Item())
	i := tensor.NewScalar(int32(-7))
	require.Equal(t, device.Int32, i.DType())
	require.Equal(t, -7.0, i.Item())
}

// Index picks positions of the leading axes as a view, At reads one
// element; negative positions count from the end; both work on strided
// views.
func TestIndexAndAt(t *testing.T) {
	rng := seeded(t)
	x := rng.Normal(cpu, device.Float64, 0, 1, 3, 4, 5)
	h := x.Float64s()
	flat := func(i, j, k int) float64 { return h[(i*4+j)*5+k] }
	for i := range 3 {
		for j := range 4 {
			for k := range 5 {
				require.Equal(t, flat(i, j, k), x.At(i, j, k))
				require.Equal(t, flat(i, j, k), x.At(i-3, j, k-5))
				require.Equal(t, flat(i, j, k), x.Permute(2, 0, 1).At(k, i, j))
				e := x.Index(i, j, k)
				require.Equal(t, 0, e.Rank())
				require.Equal(t, flat(i, j, k), e.Item())
			}
		}
	}
	row := x.Index(2, -1)
	require.Equal(t, []int{5}, row.Shape())
	require.Equal(t, h[(2*4+3)*5:(2*4+3)*5+5], row.Float64s())
	require.Equal(t, x.Narrow(0, 1, 1).Squeeze(0).Float64s(), x.Index(1).Float64s())
	require.Equal(t, h, x.Index().Float64s())

	i32 := tensor.New([]int32{4, 5, 6}, 3)
	require.Equal(t, 6.0, i32.At(-1))

	for _, c := range []struct {
		f   func()
		msg string
	}{
		{func() { x.Index(3) }, "position 3 is outside axis 0 of size 3"},
		{func() { x.Index(0, -5) }, "position -5 is outside axis 1 of size 4"},
		{func() { x.Index(0, 0, 0, 0) }, "4 positions for rank 3"},
		{func() { x.At(0, 0) }, "needs 3 positions, one per axis, got 2"},
		{func() { x.At(0, 0, 5) }, "position 5 is outside axis 2 of size 5"},
	} {
		te := tensorError(t, c.f)
		require.Contains(t, te.Error(), c.msg)
	}
}
