//go:build !race

// The race detector makes sync.Pool drop items on purpose, so these
// budgets hold only without it.

package cpu

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// heapBytesPerRun returns the Go heap bytes f allocates per run once
// warm: TotalAlloc over runs, the least of three rounds (a round that
// refilled a pool a collection emptied is discarded).
func heapBytesPerRun(runs int, f func()) float64 {
	f()
	best := -1.0
	for range 3 {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		for range runs {
			f()
		}
		runtime.ReadMemStats(&b)
		if by := float64(b.TotalAlloc-a.TotalAlloc) / float64(runs); best < 0 || by < best {
			best = by
		}
	}
	return best
}

// TestKernelScratchIsPooled checks that the kernels' temporaries come
// from pools: a column sum (reduceColumns' partials and lanes: 34 KB per
// call before) and an add of a transposed operand (mapChunks' gather
// buffer) allocate under 4 KB per call (walkers and closures).
func TestKernelScratchIsPooled(t *testing.T) {
	r := newRand(t)
	const rows, cols = 256, 128
	src := upload(t, device.Float32, randVals(r, device.Float32, rows*cols))
	sums := alloc(t, device.Float32, cols)
	colSum := device.Layout{Shape: []int{cols, rows}, Strides: []int{1, cols}}
	a := upload(t, device.Float32, randVals(r, device.Float32, 64*64))
	out := alloc(t, device.Float32, 64*64)
	at := device.Layout{Shape: []int{64, 64}, Strides: []int{1, 64}}
	for _, c := range []struct {
		name string
		f    func() error
	}{
		{"column sum", func() error { return shared.Reduce(device.Sum, sums, src, colSum, 1) }},
		{"transposed add", func() error {
			return shared.Binary(device.Add, 0, out, a, at, a, device.Contiguous([]int{64, 64}))
		}},
	} {
		var err error
		bytes := heapBytesPerRun(50, func() { err = c.f() })
		require.NoError(t, err)
		t.Logf("%s: %.0f bytes per call", c.name, bytes)
		require.Less(t, bytes, 4096.0, "%s allocates %.0f bytes per call", c.name, bytes)
	}
}
