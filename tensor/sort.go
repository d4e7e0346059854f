package tensor

import "github.com/tapegrad/tapegrad/device"

// ArgSort returns the Int32 positions that sort t along axis, ascending
// or descending, stable (equal elements keep their order), as
// torch.argsort(stable=True); NaNs are not supported. It ranks every
// element by comparing it with the others in its row, which costs
// O(n²) time and memory per row of n, on any device without a
// synchronisation: fine for the rows of a few thousand that top-k over
// classes or tokens sees, not a general-purpose sort.
func (t *Tensor) ArgSort(axis int, descending bool) *Tensor {
	const op = "ArgSort"
	nonNil(op, t)
	requireFloat(op, t)
	if t.Rank() == 0 {
		return Zeros(t.Device(), device.Int32)
	}
	axis = t.axis(op, axis)
	last := t.Rank() - 1
	x := t.Transpose(axis, last)
	n := x.shape[last]
	// before[.., i, j]: element j sorts before element i.
	xi, xj := x.Unsqueeze(-1), x.Unsqueeze(-2)
	less := xj.Lt(xi)
	if descending {
		less = xj.Gt(xi)
	}
	ar := Arange(t.Device(), t.dtype, n)
	earlier := ar.Reshape(1, n).Lt(ar.Reshape(n, 1)) // [i, j]: j < i
	before := less.Add(xj.Eq(xi).Mul(earlier))
	rank := before.Sum(false, -1) // [.., n]: where element i goes
	// idx[.., r] = the i whose rank is r.
	at := rank.Unsqueeze(-1).Eq(ar.Reshape(1, n)) // [.., i, r]
	idx := at.Mul(ar.Reshape(n, 1)).Sum(false, -2).Cast(device.Int32)
	return idx.Transpose(axis, last).Contiguous()
}
