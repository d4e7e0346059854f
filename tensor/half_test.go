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

// Half ops compute in float32 and round once: each result equals the
// float32 op on the widened inputs, rounded, on transposed and broadcast
// operands and awkward sizes.
func TestHalfOpsRoundFloat32(t *testing.T) {
	g := seeded(t)
	for _, dt := range []device.DType{device.BFloat16, device.Float16} {
		a := g.Normal(cpu, device.Float32, 0, 1, 7, 129).Cast(dt)
		b := g.Normal(cpu, device.Float32, 0, 1, 129, 1).Cast(dt)
		w := func(x *tensor.Tensor) *tensor.Tensor { return x.Cast(device.Float32) }
		cases := []struct {
			name     string
			got, ref *tensor.Tensor
		}{
			{"exp of transpose", a.T().Exp(), w(a).T().Exp()},
			{"broadcast add", a.Add(b.T()), w(a).Add(w(b).T())},
			{"sum", a.Sum(false, 1), w(a).Sum(false, 1)},
			{"softmax", a.Softmax(1), w(a).Softmax(1)},
			{"matmul", a.MatMul(b), w(a).MatMul(w(b))},
			{"batched matmul of a transpose", a.Reshape(7, 1, 129).MatMul(a.Reshape(7, 129, 1)),
				w(a).Reshape(7, 1, 129).MatMul(w(a).Reshape(7, 129, 1))},
		}
		for _, c := range cases {
			require.Equal(t, dt, c.got.DType(), c.name)
			require.Equal(t, c.ref.Cast(dt).Float32s(), c.got.Float32s(), "%s in %v", c.name, dt)
		}
		// Float32Out keeps the float32 sums unrounded.
		c := a.MatMulWith(b, tensor.MatMulOptions{Float32Out: true, TF32: true})
		require.Equal(t, device.Float32, c.DType())
		require.Equal(t, w(a).MatMul(w(b)).Float32s(), c.Float32s())
		require.NotEqual(t, c.Float32s(), a.MatMul(b).Float32s(), "rounding to %v changes some sums", dt)
		te := tensorError(t, func() { a.MatMul(b.Cast(device.Float32)) })
		require.Contains(t, te.Error(), "MatMul")
		require.NotContains(t, te.Error(), "\n")
	}
	x := tensor.New([]float64{1, 2})
	te := tensorError(t, func() { x.MatMulWith(x, tensor.MatMulOptions{Float32Out: true}) })
	require.Contains(t, te.Error(), "MatMul: a float32 result needs half or float32 operands, got float64")
	// Float16 overflow at the edge of its range becomes Inf, as in PyTorch.
	big := tensor.New([]float32{65504, 40000, -300}).Cast(device.Float16)
	inf := float32(math.Inf(1))
	require.Equal(t, []float32{inf, inf, -600}, big.MulScalar(2).Float32s())
	require.Equal(t, []float32{65504, inf}, tensor.Concat(0, big.Narrow(0, 0, 1).AddScalar(15), big.Narrow(0, 0, 1).AddScalar(16)).Float32s())
}
