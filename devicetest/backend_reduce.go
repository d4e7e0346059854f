package devicetest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// reduceCase is a shape, how many trailing dims to reduce, and the layout.
type reduceCase struct {
	shape   []int
	nreduce int
	kind    viewKind
}

// reduceCases reach every strategy a GPU backend may pick: one element
// per row, short rows, rows longer than a block, a column reduction over
// many rows, a few very long rows (split across blocks), zero-length rows
// and no rows.
var reduceCases = []reduceCase{
	{[]int{7}, 1, contiguous},
	{[]int{}, 0, contiguous},
	{[]int{5, 3}, 0, shifted},
	{[]int{3, 5}, 1, flipped},
	{[]int{3, 5}, 2, permuted},
	{[]int{4, 6, 5}, 2, padded},
	{[]int{4, 6, 5}, 1, broadcast},
	{[]int{37, 300}, 1, contiguous},
	{[]int{3, 2000}, 1, shifted},
	{[]int{2, 3, 700}, 2, padded},
	{[]int{2100, 3}, 1, contiguous},
	{[]int{2100, 40}, 1, permuted},
	{[]int{1, 70001}, 1, contiguous},
	{[]int{2, 0}, 1, contiguous},
	{[]int{0, 5}, 1, contiguous},
}

// reduceInput draws few distinct values so that Max, Min and the Arg ops
// meet ties, and for floats puts NaNs in some rows.
func reduceInput(r *rand.Rand, op device.ReduceOp, dt device.DType) func(int) []float64 {
	return func(n int) []float64 {
		out := values(r, dt, n)
		if op == device.Sum || op == device.Mean {
			return out
		}
		for i := range out {
			out[i] = math.Round(out[i])
			if dt != device.Int32 && r.IntN(500) == 0 {
				out[i] = math.NaN()
			}
		}
		return out
	}
}

// reduceTol widens the float tolerance for sums: the CPU adds in float64
// in order, a GPU in a tree.
func reduceTol(op device.ReduceOp, dt device.DType) tol {
	switch {
	case op != device.Sum && op != device.Mean:
		return exact
	case compute(dt) == device.Float32:
		return tol{rel: 1e-5, abs: 1e-5}
	case dt == device.Float64:
		return tol{rel: 1e-12, abs: 1e-11}
	}
	return exact
}

// reduce covers every ReduceOp in every dtype it supports.
func (h *harness) reduce(t *testing.T) {
	for _, op := range device.ReduceOps() {
		for _, dt := range h.all() {
			if op == device.Mean && dt == device.Int32 {
				continue
			}
			t.Run(op.String()+"_"+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				out := dt
				if op == device.ArgMax || op == device.ArgMin {
					out = device.Int32
				}
				for _, c := range reduceCases {
					src, sl := h.input(t, r, dt, c.shape, c.kind, reduceInput(r, op, dt))
					rows := device.Numel(c.shape[:len(c.shape)-c.nreduce])
					dst := h.alloc(t, out, max(rows, 1))
					if h.run(t, func(be device.Backend, s side) error {
						return be.Reduce(op, dst.on(s), src.on(s), sl, c.nreduce)
					}) {
						h.compare(t, shapeName(c.shape)+" "+c.kind.String(), dst, rows, reduceTol(op, dt))
					}
				}
			})
		}
	}
}
