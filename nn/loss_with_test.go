package nn_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestCrossEntropyWith pins CrossEntropyWith to torch 1.13's
// F.cross_entropy on [N=2, C=3, d=2] logits with an ignored label, class
// weights and label smoothing (values printed by PyTorch), gradient
// included, and checks it matches the fused CrossEntropy on plain [N, C].
func TestCrossEntropyWith(t *testing.T) {
	x := tensor.New([]float64{0.2, -1.0, 1.5, 0.3, -0.7, 2.0, 0.9, 0.1, -0.4, -1.2, 0.6, 0.8}, 2, 3, 2)
	y := tensor.New([]int32{0, 2, 1, -100}, 2, 2)
	w := tensor.New([]float64{0.5, 2.0, 1.0}, 3)
	ignore := nn.CrossEntropyOptions{Ignore: true, IgnoreIndex: -100}
	for _, c := range []struct {
		o    nn.CrossEntropyOptions
		want float64
	}{
		{ignore, 1.2777726633351392},
		{nn.CrossEntropyOptions{Ignore: true, IgnoreIndex: -100, Weight: w}, 1.4345341115939705},
		{nn.CrossEntropyOptions{Ignore: true, IgnoreIndex: -100, Weight: w, Smoothing: 0.1}, 1.4336198715299922},
		{nn.CrossEntropyOptions{Ignore: true, IgnoreIndex: -100, Smoothing: 0.2}, 1.3222171077795837},
	} {
		got := nn.CrossEntropyWith(autograd.Const(x), y, c.o).Value().Item()
		require.InDelta(t, c.want, got, 1e-14, "%+v", c.o)
	}
	xv := autograd.Param(x)
	nn.CrossEntropyWith(xv, y, nn.CrossEntropyOptions{Ignore: true, IgnoreIndex: -100, Weight: w, Smoothing: 0.1}).Backward()
	want := []float64{-0.10143636216368972, 0.006972215340767365, 0.0979918309723015, 0.024008348742559762,
		0.0034445311913881924, -0.03098056408332708, 0.26723205748432755, 0.0, -0.45920633110794223, 0.0,
		0.19197427362361463, 0.0}
	got := xv.Grad().Float64s()
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-14, "gradient element %d", i)
	}

	// Plain [N, C]: the same as the fused kernel, smoothing included.
	g := tensor.NewRNG(uint64(testSeed(t)))
	logits := g.Normal(device.CPUDevice, device.Float64, 0, 2, 7, 5)
	labels := tensor.New([]int32{0, 4, 2, 2, 1, 3, 0}, 7)
	fused := nn.CrossEntropy(autograd.Const(logits), labels, 0.1).Value().Item()
	with := nn.CrossEntropyWith(autograd.Const(logits), labels, nn.CrossEntropyOptions{Smoothing: 0.1}).Value().Item()
	require.InDelta(t, fused, with, 1e-13)
}

// TestDropoutFn checks the functional form against the layer (same mask
// from the same generator position) and its two modes.
func TestDropoutFn(t *testing.T) {
	seed := testSeed(t)
	x := autograd.Const(tensor.NewRNG(seed).Normal(device.CPUDevice, device.Float64, 0, 1, 64))
	layer := nn.NewDropout(0.3, tensor.NewRNG(seed+1))
	a := layer.Forward(x).Value().Float64s()
	b := nn.DropoutFn(x, 0.3, tensor.NewRNG(seed+1), true).Value().Float64s()
	require.Equal(t, a, b)
	xs := x.Value().Float64s()
	kept := 0
	for i, v := range b {
		if v != 0 {
			kept++
			require.InDelta(t, xs[i]/0.7, v, 1e-15)
		}
	}
	require.Greater(t, kept, 20)
	require.Less(t, kept, 64)
	require.Same(t, x, nn.DropoutFn(x, 0.3, tensor.NewRNG(1), false))
}
