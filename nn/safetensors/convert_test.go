package safetensors_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

func TestConvertRoundTrip(t *testing.T) {
	rng := newRand(t)
	f32 := []float32{float32(math.Inf(-1)), float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00123), math.SmallestNonzeroFloat32}
	f64 := []float64{math.Inf(1), math.Copysign(0, -1), math.Float64frombits(0x7ff8000000000abc), math.MaxFloat64}
	i32 := []int32{math.MinInt32, -1, 0, math.MaxInt32}
	for range 20 {
		f32 = append(f32, math.Float32frombits(rng.Uint32()))
		f64 = append(f64, math.Float64frombits(rng.Uint64()))
		i32 = append(i32, int32(rng.Uint32()))
	}
	shape := []int{4, 6}

	t.Run("float32", func(t *testing.T) {
		tn := safetensors.FromFloat32s("w", shape, f32)
		require.Equal(t, safetensors.F32, tn.DType)
		got, err := safetensors.Float32s(tn)
		require.NoError(t, err)
		for i := range f32 {
			require.Equal(t, math.Float32bits(f32[i]), math.Float32bits(got[i]), "element %d", i)
		}
	})
	t.Run("float64", func(t *testing.T) {
		tn := safetensors.FromFloat64s("w", shape, f64)
		require.Equal(t, safetensors.F64, tn.DType)
		got, err := safetensors.Float64s(tn)
		require.NoError(t, err)
		for i := range f64 {
			require.Equal(t, math.Float64bits(f64[i]), math.Float64bits(got[i]), "element %d", i)
		}
	})
	t.Run("int32", func(t *testing.T) {
		tn := safetensors.FromInt32s("labels", shape, i32)
		require.Equal(t, safetensors.I32, tn.DType)
		got, err := safetensors.Int32s(tn)
		require.NoError(t, err)
		require.Equal(t, i32, got)
	})
	t.Run("half", func(t *testing.T) {
		h := []uint16{0x7c00, 0x8000, 0x7e01, 0x0001, 0x3f80, 0xffff}
		for range 18 {
			h = append(h, uint16(rng.Uint32()))
		}
		for _, c := range []struct {
			dtype string
			enc   func(string, []int, []uint16) safetensors.Tensor
			dec   func(safetensors.Tensor) ([]uint16, error)
		}{
			{safetensors.BF16, safetensors.FromBFloat16s, safetensors.BFloat16s},
			{safetensors.F16, safetensors.FromFloat16s, safetensors.Float16s},
		} {
			tn := c.enc("h", shape, h)
			require.Equal(t, c.dtype, tn.DType)
			require.Equal(t, []byte{0x00, 0x7c}, tn.Data[:2], "little-endian")
			got, err := c.dec(tn)
			require.NoError(t, err)
			require.Equal(t, h, got)
			tn.Data = tn.Data[:len(tn.Data)-2]
			_, err = c.dec(tn)
			require.ErrorIs(t, err, safetensors.ErrCorrupt)
		}
		_, err := safetensors.BFloat16s(safetensors.FromFloat16s("h", shape, h))
		require.ErrorContains(t, err, "dtype is F16, want BF16")
	})
	t.Run("little-endian layout", func(t *testing.T) {
		tn := safetensors.FromInt32s("x", []int{1}, []int32{0x01020304})
		require.Equal(t, []byte{4, 3, 2, 1}, tn.Data)
	})
	t.Run("shape is copied", func(t *testing.T) {
		s := []int{2}
		tn := safetensors.FromFloat32s("x", s, []float32{1, 2})
		s[0] = 9
		require.Equal(t, []int{2}, tn.Shape)
	})
}

func TestConvertErrors(t *testing.T) {
	rng := newRand(t)
	good := safetensors.FromFloat32s("w", []int{2}, []float32{rng.Float32(), rng.Float32()})
	short := good
	short.Data = good.Data[:5]
	_, err := safetensors.Float64s(good)
	require.ErrorIs(t, err, safetensors.ErrDType)
	require.ErrorContains(t, err, `tensor "w": bad dtype: dtype is F32, want F64`)
	_, err = safetensors.Int32s(good)
	require.ErrorIs(t, err, safetensors.ErrDType)
	_, err = safetensors.Float32s(short)
	require.ErrorIs(t, err, safetensors.ErrCorrupt)
	require.ErrorContains(t, err, "data is 5 bytes, F32 [2] needs 8")
	_, err = safetensors.Float32s(safetensors.Tensor{Name: "n", DType: safetensors.F32, Shape: []int{-3}})
	require.ErrorIs(t, err, safetensors.ErrCorrupt)
}

func TestDTypeBits(t *testing.T) {
	for dtype, want := range map[string]int{"F32": 32, "F64": 64, "I32": 32, "BF16": 16, "BOOL": 8, "F4": 4, "F6_E3M2": 6, "C64": 64} {
		got, ok := safetensors.DTypeBits(dtype)
		require.True(t, ok, dtype)
		require.Equal(t, want, got, dtype)
	}
	_, ok := safetensors.DTypeBits("f32")
	require.False(t, ok)
}
