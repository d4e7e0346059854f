package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Gather and ScatterAdd take an index smaller than the tensor outside
// axis, as PyTorch's gather and scatter_add do: the index reads (writes)
// the leading part of those axes. Checked against host loops, on a
// transposed (strided) tensor, along each axis.
func TestGatherSmallerIndex(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	rng := tensor.NewRNG(seed)
	var x *tensor.Tensor
	for axis := range 3 {
		shape := []int{2 + r.IntN(3), 2 + r.IntN(3), 2 + r.IntN(3)}
		x = rng.Normal(cpu, device.Float64, 0, 1, shape[2], shape[1], shape[0]).Permute(2, 1, 0)
		ishape := make([]int, 3)
		for d := range ishape {
			ishape[d] = 1 + r.IntN(shape[d]) // smaller or equal outside axis
		}
		ishape[(axis+1)%3] = shape[(axis+1)%3] - 1 // at least one shorter
		ishape[axis] = 1 + r.IntN(4)
		ih := make([]int32, ishape[0]*ishape[1]*ishape[2])
		for i := range ih {
			ih[i] = int32(r.IntN(shape[axis]))
		}
		idx := tensor.New(ih, ishape...)
		src := rng.Normal(cpu, device.Float64, 0, 1, ishape...)

		xv, sv := x.Contiguous().Float64s(), src.Float64s()
		at := func(s []int, i, j, k int) int { return (i*s[1]+j)*s[2] + k }
		gather := make([]float64, len(ih))
		scatter := append([]float64(nil), xv...)
		for i := range ishape[0] {
			for j := range ishape[1] {
				for k := range ishape[2] {
					p := []int{i, j, k}
					p[axis] = int(ih[at(ishape, i, j, k)])
					gather[at(ishape, i, j, k)] = xv[at(shape, p[0], p[1], p[2])]
					scatter[at(shape, p[0], p[1], p[2])] += sv[at(ishape, i, j, k)]
				}
			}
		}
		g := x.Gather(axis, idx)
		require.Equal(t, ishape, g.Shape())
		require.Equal(t, gather, g.Float64s(), "gather along %d of %v with index %v", axis, shape, ishape)
		s := x.ScatterAdd(axis, idx, src)
		require.Equal(t, shape, s.Shape())
		require.InDeltaSlice(t, scatter, s.Float64s(), 1e-12, "scatter-add along %d of %v with index %v", axis, shape, ishape)
	}
	x = rng.Normal(cpu, device.Float64, 0, 1, 2, 3)
	te := tensorError(t, func() { x.Gather(1, tensor.New([]int32{0, 0, 0}, 3, 1)) })
	require.Contains(t, te.Error(), "index shape [3 1] is larger than the tensor's [2 3] outside axis 1")
}
