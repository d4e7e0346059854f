package cuda_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestMLPStepDriverCounts counts what training steps of the MLP ask of the
// driver once warm: no sync and no device-to-host copy (labels are
// range-checked on the device), no module load, and no fresh device
// allocation: with the GC pressure threshold at a few steps' worth of
// buffers, dead tensors come back to the cache when it runs dry, and the
// memory held stays flat. Without the threshold a step took 18 fresh
// allocations until Go's own GC ran.
func TestMLPStepDriverCounts(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	be.SetGCPressure(256 << 10)
	t.Cleanup(func() { be.SetGCPressure(0) })
	// Start from an empty cache: earlier tests share this backend.
	runtime.GC()
	require.NoError(t, be.EmptyCache())
	xs, ys := batches(3, 1, 64, 10, 3)
	n := newMLP(dev, 4, 10, 32, 3)
	x, y := xs[0].To(dev), ys[0].To(dev)
	for range 20 {
		n.trainStep(x, y)
	}
	require.NoError(t, be.Sync())
	before, mem := be.DriverCounts(), be.Memory()
	const steps = 20
	for range steps {
		n.trainStep(x, y)
	}
	c := be.DriverCounts().Sub(before)
	after := be.Memory()
	t.Logf("%d MLP steps: %v; memory before %+v, after %+v", steps, c, mem, after)
	require.Zero(t, c.Blocking(), "blocking calls in the steps: %v", c)
	require.Zero(t, c.Loads, "module loads in warm steps: %v", c)
	require.Zero(t, c.Allocs, "fresh device allocations in warm steps: %v", c)
	require.Equal(t, mem.PeakReserved, after.PeakReserved, "the memory held grew")
	require.Positive(t, after.Collections-mem.Collections, "no collection in %d steps", steps)
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

// TestTemporariesFreedAtOnce checks that the copies an op makes of its
// operands (here softmax along axis 0, which works on rows: a transposed
// copy in, a rows-last result, then the copy back) return to the cache as
// soon as the op is queued: the op leaves only its output live.
func TestTemporariesFreedAtOnce(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev)
	x := tensor.NewRNG(9).Normal(dev, device.Float32, 0, 1, 64, 64)
	settle := func() int64 {
		for range 3 {
			runtime.GC()
		}
		require.NoError(t, be.Sync())
		return be.Memory().Live
	}
	before := settle()
	y := x.Softmax(0)
	grown := be.Memory().Live - before
	require.Equal(t, int64(64*64*4), grown, "live device bytes after the op: only its output should remain")
	runtime.KeepAlive(y)
}
