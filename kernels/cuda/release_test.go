package cuda_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/tensor"
)

// quietGC turns the Go collector and the allocator's pressure
// collections off for the test, after emptying the cache, so that only
// deterministic frees return memory.
func quietGC(t *testing.T, be *cuda.Backend) {
	runtime.GC()
	require.NoError(t, be.EmptyCache())
	old := debug.SetGCPercent(-1)
	be.SetGCPressure(1 << 50)
	t.Cleanup(func() { debug.SetGCPercent(old); be.SetGCPressure(0) })
}

// TestMLPStepFreesWhatItMakes trains the MLP on cudasim with the garbage
// collector off. A step that owns its memory (Backward with
// ReleaseValues, ReleaseGrad after the update, the loss released after
// reading it) hands every buffer it made back before it ends: the live
// bytes return to the same level, no fresh device allocation and no
// collection happens once warm, and every reused block is read only
// after it is written again (cudasim's initcheck faults otherwise). A
// plain Backward, for comparison, leaves the forward values to the
// collector.
func TestMLPStepFreesWhatItMakes(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	quietGC(t, be)
	xs, ys := batches(5, 1, 64, 10, 3)
	x, y := xs[0].To(dev), ys[0].To(dev)

	plain := newMLP(dev, 6, 10, 32, 3)
	plain.trainStep(x, y)
	before := be.Memory().Live
	plain.trainStep(x, y)
	left := be.Memory().Live - before
	// What a plain step leaves: the forward values (three 64x32 hidden
	// tensors, two 64x3 logits, the per-row and mean losses) and the four
	// Params' gradients ZeroGrad drops. The backward pass itself (its
	// rules' temporaries, the intermediate gradients) leaves nothing.
	bin := func(floats int) int64 { return int64((floats*4 + 511) / 512 * 512) }
	forward := 3*bin(64*32) + 2*bin(64*3) + bin(64) + bin(1)
	grads := bin(10*32) + bin(32) + bin(32*3) + bin(3)
	t.Logf("a plain step leaves %d bytes to the collector", left)
	require.Equal(t, forward+grads, left)

	n := newMLP(dev, 6, 10, 32, 3)
	n.release = true
	for range 3 {
		n.trainStep(x, y).Value().Release()
	}
	require.NoError(t, be.Sync())
	mem, counts := be.Memory(), be.DriverCounts()
	for s := range 10 {
		loss := n.trainStep(x, y)
		require.False(t, loss.Value().Released())
		loss.Value().Release()
		require.Equal(t, mem.Live, be.Memory().Live, "live bytes changed at step %d", s)
	}
	require.NoError(t, be.Sync())
	after, c := be.Memory(), be.DriverCounts().Sub(counts)
	t.Logf("10 owned steps: %v; memory %+v", c, after)
	require.Zero(t, c.Allocs, "fresh device allocations")
	require.Equal(t, mem.Collections, after.Collections)
	require.Equal(t, mem.PeakReserved, after.PeakReserved)
}

// TestScalarOperandFreedAtOnce checks that the rank-0 operand MulScalar
// and friends make on the device goes back to the cache when the op is
// queued: only the result stays live.
func TestScalarOperandFreedAtOnce(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev).(*cuda.Backend)
	quietGC(t, be)
	x := tensor.NewRNG(18).Normal(dev, device.Float32, 0, 1, 32, 32)
	before := be.Memory().Live
	y := x.MulScalar(3).RSubScalar(1)
	z := y.Float32s()
	require.Equal(t, int64(2*32*32*4), be.Memory().Live-before, "two results")
	require.InDelta(t, 1-3*x.Float32s()[5], z[5], 1e-6)
}
