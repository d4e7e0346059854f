package cuda_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestGradScalerStepsDoNotBlock counts what loss-scaled training steps
// (nn.GradScaler around Adam, as `train --precision fp16` runs them) ask of
// the driver: no sync and no device-to-host copy, also in a step whose
// gradients hold a planted Inf. The check, the skip and the scale's
// update all stay on the device; afterwards the skipped step is seen to
// have left the parameters alone and the scale to have backed off.
func TestGradScalerStepsDoNotBlock(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	// Small enough for the race detector's pace on cudasim.
	model := smallNets(nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(3)})["mlp"]
	opt := nn.NewAdam(model.Parameters(), nn.AdamDefaults(1e-3))
	scaler := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1024, GrowthInterval: 2})
	xs, ys := batches(4, 1, 16, 64, 4)
	x, y := xs[0].To(dev), ys[0].To(dev)
	last := opt.Params()[len(opt.Params())-1].Var
	step := func(plant bool) {
		loss := nn.CrossEntropy(model.Forward(autograd.Const(x)), y, 0)
		opt.ZeroGrad()
		scaler.Scale(loss).Backward()
		if plant {
			last.SetGrad(last.Grad().MulScalar(math.Inf(1)))
		}
		scaler.Step(opt)
		scaler.Update()
	}
	step(false) // Adam's state exists from here on
	require.NoError(t, be.Sync())
	before := be.DriverCounts()
	for range 3 {
		step(false)
	}
	c := be.DriverCounts().Sub(before)
	t.Logf("3 clean scaled steps: %v", c)
	require.Zero(t, c.Blocking(), "blocking calls in clean steps: %v", c)

	kept := last.Value().Float32s()
	before = be.DriverCounts()
	step(true)
	c = be.DriverCounts().Sub(before)
	t.Logf("a skipped step: %v", c)
	require.Zero(t, c.Blocking(), "blocking calls in a skipped step: %v", c)
	require.Positive(t, c.Launches)
	require.Equal(t, kept, last.Value().Float32s(), "the skipped step moved a parameter")
	// Four clean steps grew 1024 twice, to 4096; the skip halved it.
	require.Equal(t, 2048.0, scaler.ScaleTensor().Item())
	require.Equal(t, 1.0, scaler.Skipped().Item())
}
