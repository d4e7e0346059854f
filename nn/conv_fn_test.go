package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// pattern returns ((i mod m) - sub)/div over shape, the inputs the torch
// reference below used.
func pattern(m, sub, div float64, shape ...int) *autograd.Var {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = (math.Mod(float64(i), m) - sub) / div
	}
	return autograd.Param(tensor.New(v, shape...))
}

// TestConvFunctions pins Conv2dFn (rectangular kernel, per-axis stride and
// padding, 2 groups; dilation, alone and with all of those), Conv1dFn and
// ConvTranspose2dFn (plain, dilated, and with groups) to torch 1.13's
// results on the same inputs, and checks their gradients by differences.
func TestConvFunctions(t *testing.T) {
	x := pattern(7, 3, 4, 2, 4, 5, 6)
	w := pattern(5, 2, 3, 6, 2, 3, 2)
	b := autograd.Param(tensor.New([]float64{0.1, -0.2, 0.3, 0, 0.5, -0.4}, 6))
	y := nn.Conv2dFn(x, w, b, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2})
	require.Equal(t, []int{2, 6, 3, 5}, y.Shape())
	require.InDelta(t, 7.916666666666666, y.Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{1.2666666666666666, 0.18333333333333326, 0.2666666666666667, 0.3500000000000001, -0.7333333333333333},
		y.Value().Float64s()[:5], 1e-12)

	xd, wd := pattern(7, 3, 4, 1, 2, 7, 8), pattern(5, 2, 3, 3, 2, 3, 2)
	yd := nn.Conv2dFn(xd, wd, nil, nn.ConvOptions{Stride: [2]int{1, 2}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 3}})
	require.Equal(t, []int{1, 3, 7, 4}, yd.Shape())
	require.InDelta(t, -0.7499999999999993, yd.Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{-0.5, -0.6666666666666667, 1.25, 0.16666666666666663, -0.5}, yd.Value().Float64s()[:5], 1e-12)

	// dilated with strides, padding, a rectangular kernel and 2 groups
	xg, wg := pattern(7, 3, 4, 2, 4, 9, 10), pattern(5, 2, 3, 6, 2, 3, 2)
	yg := nn.Conv2dFn(xg, wg, b, nn.ConvOptions{Stride: [2]int{2, 3}, Padding: [2]int{2, 1}, Dilation: [2]int{3, 2}, Groups: 2})
	require.Equal(t, []int{2, 6, 4, 4}, yg.Shape())
	require.InDelta(t, 8.433333333333332, yg.Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{-0.4833333333333334, -0.23333333333333336, -0.5666666666666667, 0.2666666666666667, -0.31666666666666665},
		yg.Value().Float64s()[:5], 1e-12)

	x1, w1 := pattern(4, 1.5, 1, 2, 3, 9), pattern(3, 1, 2, 4, 3, 3)
	y1 := nn.Conv1dFn(x1, w1, nil, 2, 1, 1)
	require.Equal(t, []int{2, 4, 5}, y1.Shape())
	require.InDeltaSlice(t, []float64{0.75, -1, 1, -1, 0.25}, y1.Value().Float64s()[:5], 1e-12)

	xt, wt := pattern(5, 2, 2, 1, 3, 3, 4), pattern(4, 1.5, 1, 3, 2, 3, 3)
	bt := autograd.Param(tensor.New([]float64{0.25, -0.5}, 2))
	yt := nn.ConvTranspose2dFn(xt, wt, bt, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 1}})
	require.Equal(t, []int{1, 2, 5, 4}, yt.Shape())
	require.InDelta(t, 9.0, yt.Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{-2.25, 1.5, 4.25, 0.75, -2.75}, yt.Value().Float64s()[:5], 1e-12)
	ytd := nn.ConvTranspose2dFn(xt, wt, bt, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{2, 3}})
	require.Equal(t, []int{1, 2, 7, 6}, ytd.Shape())
	require.InDelta(t, 8.5, ytd.Sum(false).Value().Item(), 1e-12)
	require.InDelta(t, 232.875, ytd.Mul(ytd).Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{1.5, 1.25, 2.75, 3, 2.25, 1.75, 0.25, 0.25}, ytd.Value().Float64s()[6:14], 1e-12)

	// Grouped: two groups of 2 inputs into 3 outputs each; three groups
	// of 2 inputs into 1 output each, no bias.
	xtg, wtg := pattern(5, 2, 2, 2, 4, 3, 4), pattern(4, 1.5, 1, 4, 3, 3, 2)
	btg := autograd.Param(tensor.New([]float64{0.25, -0.5, 0.1, 0, 0.3, -0.2}, 6))
	ytg := nn.ConvTranspose2dFn(xtg, wtg, btg, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2})
	require.Equal(t, []int{2, 6, 5, 5}, ytg.Shape())
	require.InDelta(t, -5.5, ytg.Sum(false).Value().Item(), 1e-12)
	require.InDelta(t, 1386.2, ytg.Mul(ytg).Sum(false).Value().Item(), 1e-9)
	require.InDeltaSlice(t, []float64{-0.25, -2.25, -2.25, 1.5, 1.5}, ytg.Value().Float64s()[:5], 1e-12)
	xg3, wg3 := pattern(5, 2, 2, 1, 6, 2, 3), pattern(3, 1, 2, 6, 1, 2, 3)
	yg3 := nn.ConvTranspose2dFn(xg3, wg3, nil, nn.ConvOptions{Stride: [2]int{1, 2}, Padding: [2]int{0, 1}, Groups: 3})
	require.Equal(t, []int{1, 3, 3, 5}, yg3.Shape())
	require.InDelta(t, 5.875, yg3.Mul(yg3).Sum(false).Value().Item(), 1e-12)
	require.InDeltaSlice(t, []float64{0, -0.5, 0, 0.75, 0}, yg3.Value().Float64s()[40:], 1e-12)
	require.PanicsWithValue(t, "nn: ConvTranspose2dFn: 3 groups do not divide 4 input channels",
		func() { nn.ConvTranspose2dFn(xtg, wtg, nil, nn.ConvOptions{Groups: 3}) })
	require.PanicsWithValue(t, "nn: ConvTranspose2dFn: dilation [-1 1]: want at least 1",
		func() { nn.ConvTranspose2dFn(xtg, wtg, nil, nn.ConvOptions{Dilation: [2]int{-1, 1}}) })
	require.PanicsWithValue(t, "nn: ConvTranspose2dFn: bias [2], want [6]",
		func() { nn.ConvTranspose2dFn(xtg, wtg, bt, nn.ConvOptions{Groups: 2}) })

	for name, f := range map[string]func(xs []*autograd.Var) *autograd.Var{
		"conv2d": func(xs []*autograd.Var) *autograd.Var {
			return nn.Conv2dFn(xs[0], xs[1], xs[2], nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2}).Tanh()
		},
		"dilated": func(xs []*autograd.Var) *autograd.Var {
			return nn.Conv2dFn(xs[0], xs[1], nil, nn.ConvOptions{Padding: [2]int{2, 1}, Dilation: [2]int{2, 2}, Groups: 2}).Tanh()
		},
		"transposed": func(xs []*autograd.Var) *autograd.Var {
			return nn.ConvTranspose2dFn(xs[0], xs[3], nil, nn.ConvOptions{Stride: [2]int{1, 2}}).Tanh()
		},
		"transposed-groups": func(xs []*autograd.Var) *autograd.Var {
			return nn.ConvTranspose2dFn(xs[0], xs[3], xs[2], nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2}).Tanh()
		},
		"transposed-depthwise": func(xs []*autograd.Var) *autograd.Var {
			return nn.ConvTranspose2dFn(xs[0], xs[4], nil, nn.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{0, 1}, Groups: 4}).Tanh()
		},
		"dilated-strided": func(xs []*autograd.Var) *autograd.Var {
			return nn.Conv2dFn(xs[0], xs[1], xs[2], nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}, Groups: 2}).Tanh()
		},
		"transposed-dilated": func(xs []*autograd.Var) *autograd.Var {
			return nn.ConvTranspose2dFn(xs[0], xs[3], nil, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Dilation: [2]int{2, 3}}).Tanh()
		},
	} {
		g := tensor.NewRNG(uint64(testSeed(t)))
		in := []*tensor.Tensor{
			g.Normal(device.CPUDevice, device.Float64, 0, 1, 1, 4, 5, 4),
			g.Normal(device.CPUDevice, device.Float64, 0, 1, 6, 2, 3, 2),
			g.Normal(device.CPUDevice, device.Float64, 0, 1, 6),
			g.Normal(device.CPUDevice, device.Float64, 0, 1, 4, 3, 2, 2),
			g.Normal(device.CPUDevice, device.Float64, 0, 1, 4, 1, 2, 3),
		}
		rep, err := autograd.Check(f, in, autograd.CheckOptions{})
		require.NoError(t, err, name)
		require.True(t, rep.Pass, "%s: %v", name, rep)
	}
}

// TestConv2dWith checks the layer built from a Conv2dConfig (rectangular
// kernel, per-axis stride and padding, groups) against Conv2dFn with the
// same weights, and its weight shape and fan-in.
func TestConv2dWith(t *testing.T) {
	c := nn.Config{Device: device.CPUDevice, DType: device.Float64, RNG: tensor.NewRNG(uint64(testSeed(t)))}
	l := nn.NewConv2dWith(c, nn.Conv2dConfig{In: 4, Out: 6, Kernel: [2]int{3, 2}, Stride: [2]int{2, 1},
		Padding: [2]int{1, 0}, Groups: 2, Bias: true})
	require.Equal(t, []int{6, 2, 3, 2}, l.Weight.Shape())
	require.Equal(t, [2]int{2, 1}, l.Stride)
	x := autograd.Const(tensor.NewRNG(5).Normal(device.CPUDevice, device.Float64, 0, 1, 2, 4, 5, 6))
	want := nn.Conv2dFn(x, l.Weight, l.Bias, nn.ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2})
	require.Equal(t, want.Value().Float64s(), l.Forward(x).Value().Float64s())
	require.Error(t, tensor.Try(func() { l.Forward(autograd.Const(tensor.Zeros(device.CPUDevice, device.Float64, 1, 3, 5, 6))) }))
	require.Panics(t, func() { nn.NewConv2dWith(c, nn.Conv2dConfig{In: 4, Out: 6, Kernel: [2]int{3, 3}, Groups: 4}) })
}

// NewConv2d's positional form and the named Conv2dConfig it documents
// build the same layer, down to the weights drawn from the same seed
// (FashionCNN switched to the named form and keeps its checkpoints).
func TestConv2dPositionalIsNamed(t *testing.T) {
	seed := uint64(testSeed(t))
	cfg := func() nn.Config {
		return nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: tensor.NewRNG(seed)}
	}
	old := nn.NewConv2d(cfg(), 1, 32, 3, 1, 1, true)
	named := nn.NewConv2dWith(cfg(), nn.Conv2dConfig{In: 1, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true})
	require.Equal(t, old.Weight.Value().Float32s(), named.Weight.Value().Float32s())
	require.Equal(t, old.Bias.Value().Float32s(), named.Bias.Value().Float32s())
	old.Weight, old.Bias, named.Weight, named.Bias = nil, nil, nil, nil
	require.Equal(t, old, named)
}

// TestConv2dFnReleasesColumnsOfData checks that the im2col columns of an
// input that records nothing (the data) go back to the allocator with the
// product's record (ReleaseValues), or at once in evaluation, instead of
// waiting for the collector: with the collector off, the CPU's live bytes
// are exactly what the caller still holds.
func TestConv2dFnReleasesColumnsOfData(t *testing.T) {
	be := device.MustOpen(cpu)
	devicetest.CollectorOff(t, be)
	rng := tensor.NewRNG(testSeed(t))
	x := rng.Normal(cpu, device.Float32, 0, 1, 2, 3, 6, 5)
	w := rng.Normal(cpu, device.Float32, 0, 1, 4, 3, 3, 3)
	b := rng.Normal(cpu, device.Float32, 0, 1, 4)
	o := nn.ConvOptions{Padding: [2]int{1, 1}}
	const out, params = 2 * 4 * 6 * 5 * 4, (4*3*3*3 + 4) * 4 // bytes

	live := be.Memory().Live
	y := nn.Conv2dFn(autograd.NoGrad(autograd.Const(x)), autograd.Const(w), nil, o)
	require.Equal(t, live+out, be.Memory().Live, "evaluation keeps the output alone")
	// With a bias (added after the product: 27 taps, 4 outputs), the
	// product goes back too.
	live = be.Memory().Live
	yb := nn.Conv2dFn(autograd.NoGrad(autograd.Const(x)), autograd.Param(w), autograd.Param(b), o)
	require.Equal(t, live+out, be.Memory().Live, "evaluation with a bias keeps the output alone")
	requireClose(t, y.Value().Add(b.Reshape(4, 1, 1)).Float64s(), yb.Value().Float64s(), 1e-6, "bias")

	live = be.Memory().Live
	W, B := autograd.Param(w), autograd.Param(b)
	loss := nn.Conv2dFn(autograd.Const(x), W, B, o).Sum(false)
	autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{ReleaseValues: true})
	require.Equal(t, live+params+4, be.Memory().Live, "training keeps the gradients and the loss")
	want := y.Value().Sum(false).Item() + 6*5*b.Sum(false).Item()*2
	require.InDelta(t, want, loss.Value().Item(), 1e-3*math.Max(1, math.Abs(want)))
}

// TestConv2dFnFoldedBias checks the path that adds the bias inside the
// product (few taps, many outputs, constant input: a first layer) against
// the plain composition, values and gradients, and that its joined
// columns and row of ones go back to the allocator as the plain columns
// do: with the collector off, evaluation leaves the output alone live.
func TestConv2dFnFoldedBias(t *testing.T) {
	be := device.MustOpen(cpu)
	devicetest.CollectorOff(t, be)
	rng := tensor.NewRNG(testSeed(t))
	x := rng.Normal(cpu, device.Float64, 0, 1, 3, 1, 7, 6)
	w := rng.Normal(cpu, device.Float64, 0, 1, 24, 1, 3, 3) // K = 9, O = 24: folded
	b := rng.Normal(cpu, device.Float64, 0, 1, 24)
	o := nn.ConvOptions{Padding: [2]int{1, 1}, Stride: [2]int{1, 2}}

	W, B := autograd.Param(w), autograd.Param(b)
	y := nn.Conv2dFn(autograd.Const(x), W, B, o)
	p := device.ConvParams{N: 3, C: 1, H: 7, W: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 2, PadH: 1, PadW: 1}
	W2, B2 := autograd.Param(w), autograd.Param(b)
	want := W2.Reshape(24, 9).MatMul(autograd.Im2Col(autograd.Const(x), p)).Add(B2.Reshape(24, 1)).Reshape(3, 24, 7, 3)
	require.Equal(t, want.Shape(), y.Shape())
	require.InDeltaSlice(t, want.Value().Float64s(), y.Value().Float64s(), 1e-12)

	dy := autograd.Const(rng.Normal(cpu, device.Float64, 0, 1, 3, 24, 7, 3))
	autograd.Backward([]*autograd.Var{y.Mul(dy).Sum(false), want.Mul(dy).Sum(false)}, autograd.GradOptions{})
	require.InDeltaSlice(t, W2.Grad().Float64s(), W.Grad().Float64s(), 1e-11, "weight gradient")
	require.InDeltaSlice(t, B2.Grad().Float64s(), B.Grad().Float64s(), 1e-11, "bias gradient")

	live := be.Memory().Live
	e := nn.Conv2dFn(autograd.NoGrad(autograd.Const(x)), autograd.Const(w), autograd.Const(b), o)
	require.Equal(t, live+int64(3*24*7*3*8), be.Memory().Live, "evaluation keeps the output alone")
	require.InDeltaSlice(t, want.Value().Float64s(), e.Value().Float64s(), 1e-12)

	live = be.Memory().Live
	W3, B3 := autograd.Param(w), autograd.Param(b)
	loss := nn.Conv2dFn(autograd.Const(x), W3, B3, o).Sum(false)
	autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{ReleaseValues: true})
	require.Equal(t, live+int64((24*9+24)*8+8), be.Memory().Live, "training keeps the gradients and the loss")
}
