package tensor_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestNewOnCopiesOnce: NewOn's only copy of the data is the backend's
// Write (a batch upload made a second, garbage copy before), and the
// tensor does not share the caller's slice.
func TestNewOnCopiesOnce(t *testing.T) {
	g := seeded(t)
	data := g.Normal(cpu, device.Float32, 0, 1, 1<<14).Float32s() // 64 KiB
	want := append([]float32(nil), data...)
	x := tensor.NewOn(cpu, data, len(data))
	data[0], data[len(data)-1] = 42, 43
	require.Equal(t, want, x.Float32s(), "a copy, not the caller's slice")
	x.Release()

	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range 10 {
		tensor.NewOn(cpu, data, len(data)).Release() // the buffer comes from the CPU's cache
	}
	runtime.ReadMemStats(&b)
	per := float64(b.TotalAlloc-a.TotalAlloc) / 10
	require.Less(t, per, 8e3, "NewOn of 64 KiB allocates %.0f bytes of Go heap", per)
}
