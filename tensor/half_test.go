package tensor_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Half tensors are made from bit patterns or by casting float32 data,
// read back raw or as floats, and cast among every dtype.
func TestHalfCreateReadCast(t *testing.T) {
	g := seeded(t)
	x := g.Uniform(cpu, device.Float32, -3, 3, 7, 129)
	xs := x.Float32s()
	for _, dt := range []device.DType{device.BFloat16, device.Float16} {
		h := x.Cast(dt)
		require.Equal(t, dt, h.DType())
		require.Equal(t, []int{7, 129}, h.Shape())
		got := h.Float32s()
		for i, v := range xs {
			want := device.BF16FromFloat32(v).Float32()
			if dt == device.Float16 {
				want = device.F16FromFloat32(v).Float32()
			}
			require.Equal(t, want, got[i], "element %d of %v", i, dt)
		}
		f64 := h.Float64s()
		for i := range got {
			require.Equal(t, float64(got[i]), f64[i])
		}
		// Raw patterns round-trip through New, also transposed.
		if dt == device.BFloat16 {
			raw := h.BF16s()
			require.Equal(t, device.BF16s(xs), raw)
			require.Equal(t, got, tensor.New(raw, 7, 129).Float32s())
			require.Equal(t, h.T().Contiguous().BF16s(), tensor.New(raw, 7, 129).T().BF16s())
		} else {
			raw := h.F16s()
			require.Equal(t, device.F16s(xs), raw)
			require.Equal(t, got, tensor.New(raw, 7, 129).Float32s())
		}
		// half -> half goes through float32 exactly.
		other := device.Float16
		if dt == device.Float16 {
			other = device.BFloat16
		}
		require.Equal(t, h.Cast(device.Float32).Cast(other).Float32s(), h.Cast(other).Float32s())
		require.Equal(t, h.Cast(device.Float32).Cast(device.Int32).Int32s(), h.Cast(device.Int32).Int32s())
	}
	require.Equal(t, []float32{65504, float32(math.Inf(1))}, tensor.New([]float32{65504, 65520}).Cast(device.Float16).Float32s())
	require.Equal(t, 2.5, tensor.Full(cpu, device.BFloat16, 2.5, 3).At(1))
}

func TestHalfString(t *testing.T) {
	x := tensor.New([]float32{0.1, -2.5, 1000, 3.14159}, 2, 2)
	require.Equal(t, "tensor([ NaN, +Inf,   -0], dtype=float16, device=cpu)",
		tensor.New([]float32{float32(math.NaN()), 1e5, float32(math.Copysign(0, -1))}).Cast(device.Float16).String())
	require.Equal(t, "tensor([[ 0.1, -2.5],\n        [1000, 3.14]], dtype=bfloat16, device=cpu)", x.Cast(device.BFloat16).String())
	require.Equal(t, "tensor([[ 0.1, -2.5],\n        [1000, 3.14]], dtype=float16, device=cpu)", x.Cast(device.Float16).String())
}
