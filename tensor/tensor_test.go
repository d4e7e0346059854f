package tensor_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

var cpu = device.CPUDevice

func seeded(t *testing.T) *tensor.RNG {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return tensor.NewRNG(seed)
}

// tensorError runs f and returns the *tensor.Error it panics with.
func tensorError(t *testing.T, f func()) *tensor.Error {
	t.Helper()
	err := tensor.Try(f)
	require.Error(t, err)
	var te *tensor.Error
	require.True(t, errors.As(err, &te), "want *tensor.Error, got %T", err)
	return te
}

func TestViewsShareStorage(t *testing.T) {
	x := tensor.New([]float32{0, 1, 2, 3, 4, 5}, 2, 3)
	tr := x.T()
	require.Equal(t, []int{3, 2}, tr.Shape())
	require.False(t, tr.IsContiguous())
	require.Equal(t, []float32{0, 3, 1, 4, 2, 5}, tr.Float32s())
	require.Equal(t, []float32{1, 2, 4, 5}, x.Narrow(1, 1, 2).Float32s())
	require.Equal(t, []float32{3, 4, 5}, x.Slice(0, -1, 2).Flatten().Float32s())
	require.Equal(t, []int{1, 2, 1, 3}, x.Unsqueeze(0).Unsqueeze(2).Shape())
	require.Equal(t, []int{2, 3}, x.Unsqueeze(0).Unsqueeze(2).Squeeze().Shape())
	require.Equal(t, []float32{0, 3, 1, 4, 2, 5}, x.Permute(1, 0).Contiguous().Float32s())

	// Writing through a view changes the base.
	x.Narrow(1, 0, 1).Fill(9)
	require.Equal(t, []float32{9, 1, 2, 9, 4, 5}, x.Float32s())
	x.Narrow(0, 1, 1).Assign(tensor.New([]float32{7, 8, 6}, 1, 3))
	require.Equal(t, []float32{9, 1, 2, 7, 8, 6}, x.Float32s())
}

func TestReshape(t *testing.T) {
	x := tensor.Arange(cpu, device.Float64, 24).Reshape(2, 3, 4)
	require.Equal(t, []int{6, 4}, x.Reshape(-1, 4).Shape())
	// A transposed tensor reshapes by copying, keeping row-major order.
	tr := x.Transpose(0, 2)
	want := tr.Contiguous().Float64s()
	require.Equal(t, want, tr.Reshape(24).Float64s())
	// Splitting a contiguous axis of a strided view needs no copy.
	n := x.Narrow(2, 1, 2)
	require.Equal(t, n.Contiguous().Float64s(), n.Reshape(2, 3, 2, 1).Contiguous().Float64s())
	te := tensorError(t, func() { x.Reshape(5, -1) })
	require.Contains(t, te.Error(), "Reshape")
	te = tensorError(t, func() { x.Reshape(7) })
	require.Contains(t, te.Error(), "has 7 elements")
}

func TestBroadcastingOps(t *testing.T) {
	a := tensor.New([]float32{1, 2, 3}, 3, 1)
	b := tensor.New([]float32{10, 20}, 2)
	require.Equal(t, []float32{11, 21, 12, 22, 13, 23}, a.Add(b).Float32s())
	require.Equal(t, []int{3, 2}, a.Mul(b).Shape())
	require.Equal(t, []float32{2, 3, 4}, a.AddScalar(1).Float32s())
	require.Equal(t, []float32{0, 1, 1}, a.GtScalar(1).Float32s())
	require.Equal(t, []float32{1, 1, 3}, tensor.Where(a.GtScalar(2), a, a.OnesLike()).Float32s())
	sum := tensor.Arange(cpu, device.Float32, 6).Reshape(2, 3).SumTo(1, 3)
	require.Equal(t, []float32{3, 5, 7}, sum.Float32s())
	te := tensorError(t, func() { tensor.New([]float32{1, 2, 3}).Add(tensor.New([]float32{1, 2})) })
	require.Contains(t, te.Error(), "[3] and [2] do not broadcast")
	require.Equal(t, "add", te.Op)
}

func TestReduceAndArg(t *testing.T) {
	x := tensor.New([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 2, 4)
	require.Equal(t, []float64{9, 22}, x.Sum(false, 1).Float64s())
	require.Equal(t, []int{2, 1}, x.Sum(true, 1).Shape())
	require.Equal(t, 31.0, x.Sum(false).Item())
	require.Equal(t, []float64{5, 9, 4, 6}, x.Max(false, 0).Float64s())
	require.Equal(t, []int32{2, 1}, x.ArgMax(1, false).Int32s())
	require.InDelta(t, 31.0/8, x.Mean(false).Item(), 1e-12)
	te := tensorError(t, func() { x.Sum(false, 2) })
	require.Contains(t, te.Error(), "axis 2 out of range")
}

func TestMatMulLayouts(t *testing.T) {
	g := seeded(t)
	a := g.Normal(cpu, device.Float64, 0, 1, 4, 3)
	b := g.Normal(cpu, device.Float64, 0, 1, 3, 5)
	ref := naiveMatMul(a.Float64s(), b.Float64s(), 4, 3, 5)
	require.InDeltaSlice(t, ref, a.MatMul(b).Float64s(), 1e-12)
	// Transposed views go to the backend without a copy and agree.
	require.InDeltaSlice(t, ref, a.T().Contiguous().T().MatMul(b.T().Contiguous().T()).Float64s(), 1e-12)
	// Batched with a broadcast batch axis.
	bb := tensor.Stack(0, b, b.MulScalar(2))
	out := a.MatMul(bb)
	require.Equal(t, []int{2, 4, 5}, out.Shape())
	require.InDeltaSlice(t, ref, out.Narrow(0, 0, 1).Float64s(), 1e-12)
	// Vectors.
	v := g.Normal(cpu, device.Float64, 0, 1, 3)
	require.Equal(t, []int{4}, a.MatMul(v).Shape())
	require.Equal(t, []int{}, v.MatMul(v).Shape())
	te := tensorError(t, func() { a.MatMul(a) })
	require.Contains(t, te.Error(), "inner dimensions differ")
}

func naiveMatMul(a, b []float64, m, k, n int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				c[i*n+j] += a[i*k+p] * b[p*n+j]
			}
		}
	}
	return c
}

func TestSoftmaxAndCrossEntropy(t *testing.T) {
	x := tensor.New([]float64{1, 2, 3, 1, 1, 1}, 2, 3)
	s := x.Softmax(1).Float64s()
	z := math.Exp(1) + math.Exp(2) + math.Exp(3)
	require.InDelta(t, math.Exp(3)/z, s[2], 1e-12)
	require.InDelta(t, 1.0/3, s[4], 1e-12)
	require.InDeltaSlice(t, x.Softmax(0).Float64s(), x.T().Softmax(1).T().Contiguous().Float64s(), 1e-12)
	labels := tensor.New([]int32{2, 0})
	loss := tensor.CrossEntropy(x, labels, 0).Float64s()
	require.InDelta(t, math.Log(z)-3, loss[0], 1e-12)
	te := tensorError(t, func() { tensor.CrossEntropy(x, tensor.New([]int32{3, 0}), 0) })
	require.Contains(t, te.Error(), "label 3 at position 0 is outside [0, 3)")
}

func TestIndexing(t *testing.T) {
	x := tensor.New([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	idx := tensor.New([]int32{2, 0, 2})
	require.Equal(t, []float32{4, 5, 0, 1, 4, 5}, x.IndexSelect(0, idx).Float32s())
	acc := x.ZerosLike().IndexAdd(0, idx, x.IndexSelect(0, idx))
	require.Equal(t, []float32{0, 1, 0, 0, 8, 10}, acc.Float32s())
	g := tensor.New([]int32{1, 0, 0, 0, 1, 1}, 3, 2)
	require.Equal(t, []float32{1, 0, 2, 2, 5, 5}, x.Gather(1, g).Float32s())
	require.Equal(t, []float32{0, 1, 0, 1, 0, 0}, tensor.OneHot(tensor.New([]int32{1, 0}), 3, device.Float32).Float32s())
	cat := tensor.Concat(1, x, x.MulScalar(10))
	require.Equal(t, []float32{0, 1, 0, 10, 2, 3, 20, 30, 4, 5, 40, 50}, cat.Float32s())
	te := tensorError(t, func() { x.IndexSelect(0, tensor.New([]int32{3})) })
	require.Contains(t, te.Error(), "index 3 at position 0 is outside [0, 3)")
}

func TestRandomIsSeeded(t *testing.T) {
	a := tensor.NewRNG(7).Uniform(cpu, device.Float32, -1, 1, 100)
	b := tensor.NewRNG(7).Uniform(cpu, device.Float32, -1, 1, 100)
	require.Equal(t, a.Float32s(), b.Float32s())
	g := tensor.NewRNG(7)
	g.Uniform(cpu, device.Float32, -1, 1, 40)
	require.Equal(t, a.Float32s()[40:60], g.Uniform(cpu, device.Float32, -1, 1, 20).Float32s())
	n := tensor.NewRNG(1).Normal(cpu, device.Float64, 2, 3, 10000).Float64s()
	var mean float64
	for _, v := range n {
		mean += v / float64(len(n))
	}
	require.InDelta(t, 2, mean, 0.1)
}

func TestMixedDevicesAndDTypes(t *testing.T) {
	a := tensor.New([]float32{1, 2})
	te := tensorError(t, func() { a.Add(tensor.New([]float64{1, 2})) })
	require.Contains(t, te.Error(), "dtypes differ (float32 and float64)")
	if _, err := device.Open(device.CUDASimDevice); err != nil {
		t.Skipf("no second device linked to test device mixing: %v", err)
	}
	te = tensorError(t, func() { a.Add(a.To(device.CUDASimDevice)) })
	require.Contains(t, te.Error(), "different devices (cpu and cudasim)")
}

func TestString(t *testing.T) {
	x := tensor.New([]float32{1, 2.5, 3, 4}, 2, 2)
	require.Equal(t, "tensor([[  1, 2.5],\n        [  3,   4]], dtype=float32, device=cpu)", x.String())
	require.Equal(t, "tensor(7, dtype=int32, device=cpu)", tensor.New([]int32{7}, []int{}...).String())
	big := tensor.Zeros(cpu, device.Float32, 2000).String()
	require.Contains(t, big, "0, 0, 0, ..., 0, 0, 0]")
}

func TestConvHelpers(t *testing.T) {
	x := tensor.Arange(cpu, device.Float64, 16).Reshape(1, 1, 4, 4)
	p := tensor.Conv2dGeometry("test", x, 2, 2, 2, 0)
	out, idx := tensor.MaxPool2d(x, p)
	require.Equal(t, []float64{5, 7, 13, 15}, out.Float64s())
	require.Equal(t, []int32{5, 7, 13, 15}, idx.Int32s())
	require.Equal(t, []float64{2.5, 4.5, 10.5, 12.5}, tensor.AvgPool2d(x, p).Float64s())
	cols := tensor.Im2Col(x, p)
	require.Equal(t, []int{1, 4, 4}, cols.Shape())
	require.Equal(t, x.Float64s(), tensor.Col2Im(cols, p).Float64s())
}

func TestMaxPoolBackwardChecksPositions(t *testing.T) {
	x := tensor.Arange(cpu, device.Float32, 16).Reshape(1, 1, 4, 4)
	p := tensor.Conv2dGeometry("test", x, 2, 2, 2, 0)
	out, idx := tensor.MaxPool2d(x, p)
	require.Equal(t, []float32{0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1},
		tensor.MaxPool2dBackward(out.OnesLike(), idx, p).Float32s())
	te := tensorError(t, func() { tensor.MaxPool2dBackward(out, idx.Cast(device.Float32), p) })
	require.Contains(t, te.Error(), "positions must be int32")
	te = tensorError(t, func() { tensor.MaxPool2dBackward(out, idx.Reshape(4), p) })
	require.Contains(t, te.Error(), "expected shape [1 1 2 2]")
}
