package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestSortAndTopK checks sorting (stable on ties, both directions, on an
// inner axis), top-k and the gradient through them, on the CPU and on
// cudasim.
func TestSortAndTopK(t *testing.T) {
	for _, dev := range []device.Device{device.CPUDevice, device.CUDASimDevice} {
		x := autograd.Param(tensor.NewOn(dev, []float64{3, 1, 2, 1, 5, -4, 0, 5}, 2, 4))
		s, idx := x.Sort(1, false)
		require.Equal(t, []float64{1, 1, 2, 3, -4, 0, 5, 5}, s.Value().Float64s(), dev)
		require.Equal(t, []int32{1, 3, 2, 0, 1, 2, 0, 3}, idx.Int32s(), "stable: equal values keep their order")
		d, idx := x.Sort(1, true)
		require.Equal(t, []float64{3, 2, 1, 1, 5, 5, 0, -4}, d.Value().Float64s())
		require.Equal(t, []int32{0, 2, 1, 3, 0, 3, 2, 1}, idx.Int32s())
		_, idx = x.Sort(0, false)
		require.Equal(t, []int32{0, 1, 1, 0, 1, 0, 0, 1}, idx.Int32s(), "along axis 0")

		top, at := x.TopK(2, -1, true)
		require.Equal(t, []float64{3, 2, 5, 5}, top.Value().Float64s())
		require.Equal(t, []int32{0, 2, 0, 3}, at.Int32s())
		w := autograd.Const(tensor.NewOn(dev, []float64{1, 10, 100, 1000}, 2, 2))
		top.Mul(w).Sum(false).Backward()
		require.Equal(t, []float64{1, 0, 10, 0, 100, 0, 0, 1000}, x.Grad().Float64s())
		low, _ := x.TopK(1, 1, false)
		require.Equal(t, []float64{1, -4}, low.Value().Float64s())
	}
}

// TestSortLongRowGradient sorts a row of 10000 (the O(n²) composition
// needed 10⁸ comparisons for it) with NaNs and ties, and checks the
// order (NaNs first, ties in input order) and the gradient: each weight
// goes back to where its value came from.
func TestSortLongRowGradient(t *testing.T) {
	const n = 10000
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	xv, wv := make([]float64, n), make([]float64, n)
	for i := range xv {
		xv[i], wv[i] = math.Round(r.NormFloat64()*4), r.NormFloat64() // many ties
	}
	xv[17], xv[4000] = math.NaN(), math.NaN()
	x := autograd.Param(tensor.NewOn(device.CPUDevice, xv, 1, n))
	w := tensor.NewOn(device.CPUDevice, wv, 1, n)
	s, idx := x.Sort(1, true)
	s.Mul(autograd.Const(w)).Sum(false).Backward()
	sv, iv, gv := s.Value().Float64s(), idx.Int32s(), x.Grad().Float64s()
	require.True(t, math.IsNaN(sv[0]) && math.IsNaN(sv[1]), "NaNs first when descending")
	require.Equal(t, []int32{17, 4000}, iv[:2], "in their order")
	for j := 3; j < n; j++ {
		require.True(t, sv[j-1] > sv[j] || sv[j-1] == sv[j] && iv[j-1] < iv[j], "position %d: %v@%d then %v@%d", j, sv[j-1], iv[j-1], sv[j], iv[j])
	}
	for j, p := range iv {
		require.Equal(t, wv[j], gv[p], "gradient of sorted position %d", j)
	}
}

// TestSortScalarAndEmpty checks the edges of Sort and TopK's gradients:
// a rank-0 input sorts to itself (gradient 1), and k = 0 keeps nothing
// (gradient 0), as torch.sort and torch.topk.
func TestSortScalarAndEmpty(t *testing.T) {
	x := autograd.Param(tensor.NewScalar(2.5))
	s, idx := x.Sort(0, true)
	require.Equal(t, []int32{0}, idx.Int32s())
	s.MulScalar(3).Backward()
	require.Equal(t, []float64{3}, x.Grad().Float64s())

	m := autograd.Param(tensor.New([]float64{4, -1, 7, 2, 0.5, 3}, 2, 3))
	top, _ := m.TopK(0, 1, true)
	require.Equal(t, []int{2, 0}, top.Shape())
	top.Sum(false).Backward()
	require.Equal(t, make([]float64, 6), m.Grad().Float64s())
}
