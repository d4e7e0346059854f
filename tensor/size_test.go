package tensor_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	cpubackend "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// Shapes whose element count does not fit an int, negative sizes and
// requests past memory are *tensor.Errors naming the op, never a wrapped
// count, a makeslice panic or the runtime's fatal out-of-memory error.
func TestSizeErrors(t *testing.T) {
	labels := tensor.New([]int32{0, 1})
	scalar := tensor.Scalar(cpu, device.Float32, 2)
	empty := tensor.Zeros(cpu, device.Float32, 0)
	cases := []struct {
		op, msg string
		f       func()
	}{
		{"Full", "more elements than an int can count", func() { tensor.Zeros(cpu, device.Float32, 1<<32, 1<<32) }},
		{"Full", "more elements than an int can count", func() { tensor.Ones(cpu, device.Float64, 3, 1<<62) }},
		{"Full", "negative dimension", func() { tensor.Zeros(cpu, device.Float32, -2, -3) }},
		{"New", "negative dimension", func() { tensor.New([]float32{1, 2, 3, 4, 5, 6}, -2, -3) }},
		{"Arange", "negative dimension", func() { tensor.Arange(cpu, device.Float32, -1) }},
		{"Eye", "negative dimension", func() { tensor.Eye(cpu, device.Float32, -3) }},
		{"Eye", "more elements than an int can count", func() { tensor.Eye(cpu, device.Float32, 1<<32) }},
		{"OneHot", "negative class count -1", func() { tensor.OneHot(labels, -1, device.Float32) }},
		{"Reshape", "more elements than an int can count", func() { empty.Reshape(1<<32, 1<<32, 0) }},
		{"Reshape", "more elements than an int can count", func() { empty.Reshape(-1, 1<<32, 1<<32) }},
		{"Expand", "more elements than an int can count", func() { scalar.Expand(1<<32, 1<<32) }},
		{"Expand", "negative dimension", func() { scalar.Expand(-4, 1) }},
		{"MatMul", "more elements than an int can count", func() {
			a := tensor.Zeros(cpu, device.Float32, 1, 1, 1).Expand(1<<32, 1, 1, 1)
			b := tensor.Zeros(cpu, device.Float32, 1, 1, 1).Expand(1<<32, 1, 1)
			a.MatMul(b)
		}},
	}
	for _, c := range cases {
		te := tensorError(t, c.f)
		require.Equal(t, c.op, te.Op, c.msg)
		require.Contains(t, te.Msg, c.msg, c.op)
	}
}

// Allocations past the CPU's memory limit fail with the typed
// out-of-memory error every backend uses.
func TestOutOfMemory(t *testing.T) {
	sizes := [][]int{{1e18}, {1 << 61}}
	if cpubackend.MemoryLimit() < 4e12 {
		sizes = append(sizes, []int{1e12})
	}
	for _, shape := range sizes {
		err := tensor.Try(func() { tensor.Zeros(cpu, device.Float32, shape...) })
		require.ErrorIs(t, err, device.ErrOutOfMemory, "%v", shape)
		var te *tensor.Error
		require.True(t, errors.As(err, &te))
		require.Equal(t, "Full", te.Op)
	}
	err := tensor.Try(func() { tensor.Zeros(cpu, device.Float64, math.MaxInt/8+1) })
	require.ErrorIs(t, err, device.ErrOutOfMemory)
	// Ops that fill a host slice first ask the device for the memory.
	if cpubackend.MemoryLimit() < 8e12 {
		for _, f := range []func(){
			func() { tensor.Arange(cpu, device.Float32, 1e12) },
			func() { tensor.Eye(cpu, device.Float32, 1e6) },
		} {
			require.ErrorIs(t, tensor.Try(f), device.ErrOutOfMemory)
		}
	}
}
