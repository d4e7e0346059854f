package tensor_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// The With forms of the reductions reduce the axes named in their
// options and keep them when KeepDim, as the positional forms do; the
// zero options reduce everything.
func TestReduceOptions(t *testing.T) {
	x := seeded(t).Normal(cpu, device.Float64, 0, 1, 3, 4, 5)
	v := x.Float64s()
	// The sum over axis 1, by hand, as the reference.
	want := make([]float64, 3*5)
	for i := range 3 {
		for j := range 4 {
			for k := range 5 {
				want[i*5+k] += v[(i*4+j)*5+k]
			}
		}
	}
	got := x.SumWith(tensor.ReduceOptions{Axes: []int{1}, KeepDim: true})
	require.Equal(t, []int{3, 1, 5}, got.Shape())
	require.InDeltaSlice(t, want, got.Float64s(), 1e-12)
	require.Equal(t, []int{3, 5}, x.SumWith(tensor.ReduceOptions{Axes: []int{-2}}).Shape())

	for _, c := range []struct {
		o     tensor.ReduceOptions
		shape []int
	}{
		{tensor.ReduceOptions{}, []int{}},
		{tensor.ReduceOptions{KeepDim: true}, []int{1, 1, 1}},
		{tensor.ReduceOptions{Axes: []int{0, 2}}, []int{4}},
		{tensor.ReduceOptions{Axes: []int{2}, KeepDim: true}, []int{3, 4, 1}},
	} {
		name := fmt.Sprintf("%+v", c.o)
		for _, r := range []struct {
			with, old *tensor.Tensor
		}{
			{x.SumWith(c.o), x.Sum(c.o.KeepDim, c.o.Axes...)},
			{x.MeanWith(c.o), x.Mean(c.o.KeepDim, c.o.Axes...)},
			{x.MaxWith(c.o), x.Max(c.o.KeepDim, c.o.Axes...)},
			{x.MinWith(c.o), x.Min(c.o.KeepDim, c.o.Axes...)},
		} {
			require.Equal(t, c.shape, r.with.Shape(), name)
			require.Equal(t, r.old.Float64s(), r.with.Float64s(), name)
		}
	}

	am := x.ArgMaxWith(tensor.ReduceOptions{Axes: []int{2}, KeepDim: true})
	require.Equal(t, []int{3, 4, 1}, am.Shape())
	require.Equal(t, x.ArgMax(2, true).Int32s(), am.Int32s())
	require.Equal(t, x.ArgMin(0, false).Int32s(), x.ArgMinWith(tensor.ReduceOptions{Axes: []int{0}}).Int32s())
	// ArgMax and ArgMin take one axis: none or two is an ErrValue naming
	// the op.
	for _, axes := range [][]int{nil, {0, 1}} {
		err := tensor.Try(func() { x.ArgMaxWith(tensor.ReduceOptions{Axes: axes}) })
		require.True(t, errors.Is(err, tensor.ErrValue), "%v: %v", axes, err)
		require.ErrorContains(t, err, "ArgMax")
		err = tensor.Try(func() { x.ArgMinWith(tensor.ReduceOptions{Axes: axes}) })
		require.ErrorContains(t, err, "ArgMin")
	}
}
