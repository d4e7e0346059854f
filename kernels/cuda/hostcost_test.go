package cuda

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// hostOps returns a backend over the Null driver and one op of each
// common kind on it: what the host pays per op when the device is free.
func hostOps(tb testing.TB) map[string]func() error {
	b := New(device.Device{Kind: device.CUDA}, &driver.Null{})
	alloc := func(n int) device.Buffer {
		x, err := b.Alloc(device.Float32, n)
		require.NoError(tb, err)
		return x
	}
	const n = 1 << 12
	x, y, z := alloc(n), alloc(n), alloc(n)
	l := device.Contiguous([]int{64, 64})
	row := device.Layout{Shape: []int{64, 64}, Strides: []int{0, 1}}
	w := alloc(64 * 64)
	return map[string]func() error{
		"add":      func() error { return b.Binary(device.Add, 0, z, x, l, y, l) },
		"bias-add": func() error { return b.Binary(device.Add, 0, z, x, l, y, row) },
		"relu":     func() error { return b.Unary(device.ReLU, 0, z, x, l) },
		"alloc+free": func() error {
			t, err := b.Alloc(device.Float32, n)
			b.Free(t)
			return err
		},
		"matmul": func() error {
			return b.MatMul(device.MatMulArgs{Batch: 1, M: 64, N: 64, K: 64, A: x, LDA: 64, B: y, LDB: 64, C: w})
		},
	}
}

// BenchmarkHostCost times one op over the Null driver: the backend's host
// cost per op, without the device.
func BenchmarkHostCost(b *testing.B) {
	for name, op := range hostOps(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
