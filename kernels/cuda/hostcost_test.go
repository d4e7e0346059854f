package cuda

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// hostOp is one backend call of a common kind.
type hostOp struct {
	name string
	run  func() error
}

// hostOps returns one op of each common kind on a backend over the Null
// driver, each run once so that its module is loaded: what the host pays
// per op when the device is free.
func hostOps(tb testing.TB) []hostOp {
	b := New(device.Device{Kind: device.CUDA}, &driver.Null{})
	alloc := func(dt device.DType, n int) device.Buffer {
		x, err := b.Alloc(dt, n)
		require.NoError(tb, err)
		return x
	}
	const n = 1 << 12
	x, y, z := alloc(device.Float32, n), alloc(device.Float32, n), alloc(device.Float32, n)
	w, rows := alloc(device.Float32, 64*64), alloc(device.Float32, 64)
	idx := alloc(device.Int32, 16)
	h := alloc(device.BFloat16, n)
	l := device.Contiguous([]int{64, 64})
	row := device.Layout{Shape: []int{64, 64}, Strides: []int{0, 1}}
	ops := []hostOp{
		{"add", func() error { return b.Binary(device.Add, 0, z, x, l, y, l) }},
		{"bias-add", func() error { return b.Binary(device.Add, 0, z, x, l, y, row) }},
		{"relu", func() error { return b.Unary(device.ReLU, 0, z, x, l) }},
		{"matmul", func() error {
			return b.MatMul(device.MatMulArgs{Batch: 1, M: 64, N: 64, K: 64, A: x, LDA: 64, B: y, LDB: 64, C: w})
		}},
		{"matmul-tf32", func() error {
			return b.MatMul(device.MatMulArgs{Batch: 1, M: 64, N: 64, K: 64, A: x, LDA: 64, B: y, LDB: 64, C: w, TF32: true})
		}},
		{"matmul-bf16", func() error {
			return b.MatMul(device.MatMulArgs{Batch: 1, M: 64, N: 64, K: 64, A: h, LDA: 64, B: h, LDB: 64, C: w})
		}},
		{"sum-rows", func() error { return b.Reduce(device.Sum, rows, x, l, 1) }},
		{"softmax", func() error { return b.Softmax(z, x, 64, 64, false) }},
		{"index-select", func() error { return b.IndexSelect(z, x, idx, 1, 64, 64, 16) }},
		{"alloc+free", func() error {
			t, err := b.Alloc(device.Float32, n)
			b.Free(t)
			return err
		}},
	}
	for _, op := range ops {
		require.NoError(tb, op.run(), op.name)
	}
	return ops
}

// TestHostAllocsPerOp bounds the Go allocations of one op over the Null
// driver (issue 10: at most 3; packed arguments, kernel lookup by name
// parts and array-backed layouts leave none but alloc's *Buffer).
func TestHostAllocsPerOp(t *testing.T) {
	for _, op := range hostOps(t) {
		var err error
		allocs := testing.AllocsPerRun(100, func() { err = op.run() })
		require.NoError(t, err, op.name)
		t.Logf("%s: %v allocs/op", op.name, allocs)
		require.LessOrEqual(t, allocs, 3.0, "%s: Go allocations per op", op.name)
	}
}

// BenchmarkHostCost times one op over the Null driver: the backend's host
// cost per op, without the device.
func BenchmarkHostCost(b *testing.B) {
	for _, op := range hostOps(b) {
		b.Run(op.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := op.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
