package cuda_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestMLPStepDriverCounts counts what one training step of the MLP asks
// of the driver once warm: no sync and no device-to-host copy (labels are
// range-checked on the device), and no module load. What stays to do
// (issue 10): the step's buffers must come back to the cache without
// waiting for the GC (today each step takes fresh device allocations
// until a collection runs).
func TestMLPStepDriverCounts(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	xs, ys := batches(3, 1, 64, 10, 3)
	n := newMLP(dev, 4, 10, 32, 3)
	x, y := xs[0].To(dev), ys[0].To(dev)
	for range 3 {
		n.trainStep(x, y)
	}
	require.NoError(t, be.Sync())
	before := be.DriverCounts()
	n.trainStep(x, y)
	c := be.DriverCounts().Sub(before)
	t.Logf("one MLP step: %v", c)
	require.Zero(t, c.Blocking(), "blocking calls in a step: %v", c)
	require.Zero(t, c.Loads, "module loads in a warm step: %v", c)
	require.Positive(t, c.Launches)
}

// TestClipGradNormDoesNotBlock checks that clipping by the global norm,
// what `train --clip` does every step, runs on the device without a
// blocking copy, and clips.
func TestClipGradNormDoesNotBlock(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	g := tensor.NewRNG(5)
	var ps []nn.NamedParam
	for i, n := range []int{7, 300, 1} {
		p := autograd.Param(g.Normal(dev, device.Float32, 0, 1, n))
		p.Mul(p).Sum(false).Backward() // grad 2p
		ps = append(ps, nn.NamedParam{Name: string(rune('a' + i)), Var: p})
	}
	require.NoError(t, be.Sync())
	before := be.DriverCounts()
	norm := nn.ClipGradNorm(ps, 1)
	c := be.DriverCounts().Sub(before)
	t.Logf("ClipGradNorm over 3 parameters: %v", c)
	require.Zero(t, c.Blocking(), "blocking calls: %v", c)
	require.Greater(t, norm.Item(), 1.0)
	require.InDelta(t, 1, nn.GradNorm(ps).Item(), 1e-5)
}
