package cuda

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// TestSortLaunches counts the launches of a sort over the Null driver:
// a row of 100000 sorts in 20 (tiles, 12 global steps for the strides of
// 2048 and more, two a launch, 6 shared-memory merges, the gather),
// where a launch per network step took 155; its first 10 take two
// (sort_topk: 49 chunks, then their 784 candidates), its first 256 three
// (12544 candidates, then 1792); a first 300 is no longer selected and
// costs the sort's 20; a row of 2049 sorts in 4; the first 10 of 2^20,
// three (512 chunks, 8192 candidates, 64).
func TestSortLaunches(t *testing.T) {
	b := New(device.Device{Kind: device.CUDA}, &driver.Null{})
	for _, c := range []struct{ n, k, launches int }{
		{100000, 100000, 20}, {100000, 10, 2}, {100000, topKMax, 3}, {100000, topKMax + 44, 20},
		{2049, 2049, 4}, {2048, 2048, 1}, {1 << 20, 10, 3},
	} {
		src, err := b.Alloc(device.Float32, c.n)
		require.NoError(t, err)
		vals, err := b.Alloc(device.Float32, c.k)
		require.NoError(t, err)
		idx, err := b.Alloc(device.Int32, c.k)
		require.NoError(t, err)
		before := b.DriverCounts()
		require.NoError(t, b.Sort(vals, idx, src, 1, c.n, c.k, true))
		require.EqualValues(t, c.launches, b.DriverCounts().Sub(before).Launches, "first %d of %d", c.k, c.n)
		for _, x := range []device.Buffer{src, vals, idx} {
			b.Free(x)
		}
	}
}
