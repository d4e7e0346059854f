package cuda_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
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
