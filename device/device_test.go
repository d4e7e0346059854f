package device

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Device
	}{
		{"cpu", CPUDevice},
		{" CPU ", CPUDevice},
		{"cuda", Device{Kind: CUDA}},
		{"cuda:3", Device{Kind: CUDA, Index: 3}},
		{"cudasim", CUDASimDevice},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		again, err := Parse(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "String round trip of %q", c.in)
	}
	for _, bad := range []string{"", "tpu", "cuda:", "cuda:-1", "cuda:x"} {
		_, err := Parse(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "device:", bad)
	}
}

func TestOpenMissingSaysHow(t *testing.T) {
	_, err := Open(Device{Kind: CUDA})
	if err == nil {
		t.Skip("cuda is linked into this build")
	}
	require.Contains(t, err.Error(), "-tags cuda")
}

func TestDefaultHonoursEnv(t *testing.T) {
	t.Setenv(EnvDevice, "cudasim")
	d, err := Default()
	require.NoError(t, err)
	require.Equal(t, CUDASimDevice, d)
	t.Setenv(EnvDevice, "bogus")
	_, err = Default()
	require.ErrorContains(t, err, EnvDevice)
	t.Setenv(EnvDevice, "")
	d, err = Default()
	require.NoError(t, err)
	require.NotEqual(t, CUDASim, d.Kind, "Default must never pick the simulator")
}

func TestLayout(t *testing.T) {
	l := Contiguous([]int{2, 3, 4})
	require.Equal(t, []int{12, 4, 1}, l.Strides)
	require.True(t, l.IsContiguous())
	require.Equal(t, 24, l.Size())
	require.Equal(t, 23, l.Index(23))
	tr := Layout{Shape: []int{4, 3, 2}, Strides: []int{1, 4, 12}, Offset: 5}
	require.False(t, tr.IsContiguous())
	require.Equal(t, 5+1*1+2*4+1*12, tr.Index(1*6+2*2+1))
	require.Equal(t, 1, Layout{}.Size())
}

// Known-answer vectors from the Random123 distribution (kat_vectors).
func TestPhiloxKnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{}, [2]uint32{}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, Philox4x32(c.ctr, c.key))
	}
}

func TestPhiloxStreams(t *testing.T) {
	const seed = 42
	var sum, sq float64
	const n = 20000
	for i := 0; i < n; i++ {
		u := PhiloxUniform(seed, 0, i)
		require.True(t, u > 0 && u < 1)
		z := PhiloxNormal(seed, 0, i)
		sum += z
		sq += z * z
	}
	require.InDelta(t, 0, sum/n, 0.05)
	require.InDelta(t, 1, sq/n, 0.05)
	// An offset continues the same stream.
	require.Equal(t, PhiloxUniform(seed, 0, 7), PhiloxUniform(seed, 5, 2))
	require.NotEqual(t, PhiloxUniform(seed, 0, 0), PhiloxUniform(seed+1, 0, 0))
}

func TestDTypeNames(t *testing.T) {
	for dt, want := range map[DType][2]string{
		Float32: {"float32", "f32"}, Float64: {"float64", "f64"}, Int32: {"int32", "i32"},
	} {
		require.Equal(t, want[0], dt.String())
		require.Equal(t, want[1], dt.Suffix())
	}
	require.Equal(t, 8, Float64.Size())
	require.False(t, Int32.IsFloat())
}
