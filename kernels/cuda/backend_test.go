package cuda_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
)

// TestConformance runs the backend suite on the registered cudasim device,
// BFloat16 and Float16 included (halfConformance).
func TestConformance(t *testing.T) {
	devicetest.Backend(t, device.MustOpen(device.CUDASimDevice), halfConformance()...)
}

// halfConformance opts the suite into BFloat16 and Float16, except under
// the race detector: the half kernels are the float32 ones with other
// loads and stores, launched the same way, so the race pass would learn
// nothing new from them, and they about double the suite's time there
// (about 75 s more, most of it in the four half MatMul variants).
func halfConformance() []devicetest.Option {
	if raceEnabled {
		return nil
	}
	return []devicetest.Option{devicetest.WithDTypes(device.BFloat16, device.Float16)}
}

// TestConformanceSmallGrid runs it again with every 1-D launch capped at
// two blocks, so that each grid-stride loop takes many turns.
func TestConformanceSmallGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if raceEnabled {
		// The grid cap tests grid-stride loops, not concurrency, which
		// TestConformance already covers under the race detector.
		t.Skip("race detector: TestConformance covers the concurrency")
	}
	devicetest.Backend(t, cuda.NewWithGridCap(device.CUDASimDevice, cudasim.New(), 2))
}

func TestInfo(t *testing.T) {
	b := device.MustOpen(device.CUDASimDevice)
	info := b.Info()
	require.Equal(t, "cudasim", info.Name)
	require.Equal(t, "7.0", info.Compute)
	require.Positive(t, info.SMs)
	require.Positive(t, info.TotalMemory)
	require.Contains(t, info.Note, "cudasim")
	require.NoError(t, b.Sync())
}
