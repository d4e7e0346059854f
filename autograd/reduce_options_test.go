package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// The With forms of the reductions record the same op as the positional
// ones: same value, same gradient.
func TestReduceOptionsGrad(t *testing.T) {
	rng := tensor.NewRNG(testSeed(t))
	x := rng.Normal(device.CPUDevice, device.Float64, 0, 1, 3, 4)
	w := rng.Normal(device.CPUDevice, device.Float64, 0, 1, 3, 1)
	o := tensor.ReduceOptions{Axes: []int{1}, KeepDim: true}
	for _, c := range []struct {
		name      string
		with, old func(*ag.Var) *ag.Var
	}{
		{"Sum", func(v *ag.Var) *ag.Var { return v.SumWith(o) }, func(v *ag.Var) *ag.Var { return v.Sum(true, 1) }},
		{"Mean", func(v *ag.Var) *ag.Var { return v.MeanWith(o) }, func(v *ag.Var) *ag.Var { return v.Mean(true, 1) }},
		{"Max", func(v *ag.Var) *ag.Var { return v.MaxWith(o) }, func(v *ag.Var) *ag.Var { return v.Max(true, 1) }},
		{"Min", func(v *ag.Var) *ag.Var { return v.MinWith(o) }, func(v *ag.Var) *ag.Var { return v.Min(true, 1) }},
	} {
		var vals, grads [][]float64
		for _, f := range []func(*ag.Var) *ag.Var{c.with, c.old} {
			p := ag.Param(x.Clone())
			y := f(p)
			require.Equal(t, []int{3, 1}, y.Shape(), c.name)
			// Weighting the rows makes each one's gradient distinct.
			y.Mul(ag.Const(w)).SumWith(tensor.ReduceOptions{}).Backward()
			vals = append(vals, y.Value().Float64s())
			grads = append(grads, p.Grad().Float64s())
		}
		require.Equal(t, vals[1], vals[0], c.name)
		require.Equal(t, grads[1], grads[0], c.name)
	}
	// Mean over axis 1 hands each element w/4 of its row.
	p := ag.Param(x)
	p.MeanWith(o).Mul(ag.Const(w)).SumWith(tensor.ReduceOptions{}).Backward()
	g, wv := p.Grad().Float64s(), w.Float64s()
	for i := range 3 {
		for j := range 4 {
			require.InDelta(t, wv[i]/4, g[i*4+j], 1e-15)
		}
	}
	am := ag.Const(x).ArgMaxWith(tensor.ReduceOptions{Axes: []int{0}})
	require.Equal(t, x.ArgMax(0, false).Int32s(), am.Value().Int32s())
	require.False(t, am.RequiresGrad())
	require.Equal(t, x.ArgMin(1, true).Int32s(), ag.Const(x).ArgMinWith(tensor.ReduceOptions{Axes: []int{1}, KeepDim: true}).Value().Int32s())
}
