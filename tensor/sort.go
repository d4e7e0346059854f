package tensor

import "github.com/tapegrad/tapegrad/device"

// Sort, TopK and Cumsum run the backend's kernel when it has one
// (device.Sorter, device.Scanner) and otherwise a composition of ordinary
// ops, which gives the same results on every device, only slower: a sort
// ranks each element by comparing it with the others in its row (O(n²)
// time and memory per row of n, fine for the rows of a few thousand that
// top-k over classes sees), a cumulative sum takes log₂ n shifted adds.

// Sort returns t sorted along axis, ascending or descending, and the
// Int32 positions along axis the values came from, as
// torch.sort(stable=True): equal elements keep their order, NaN sorts
// above every number (last ascending, first descending). Every dtype
// sorts; a rank-0 tensor is one row of one element (axis 0 or -1).
func (t *Tensor) Sort(axis int, descending bool) (vals, idx *Tensor) {
	return t.sortFirst("Sort", axis, -1, descending)
}

// ArgSort returns the positions of Sort: the Int32 indices that sort t
// along axis, as torch.argsort(stable=True).
func (t *Tensor) ArgSort(axis int, descending bool) *Tensor {
	_, idx := t.sortFirst("ArgSort", axis, -1, descending)
	return idx
}

// TopK returns the k largest (or, when largest is false, smallest)
// elements along axis, in sorted order, and their Int32 positions, as
// torch.topk(sorted=True); of equal elements the earlier comes first,
// and NaN counts as the largest.
func (t *Tensor) TopK(k, axis int, largest bool) (vals, idx *Tensor) {
	const op = "TopK"
	nonNil(op, t)
	n := 1
	if t.Rank() > 0 {
		n = t.shape[t.axis(op, axis)]
	}
	if k < 0 || k > n {
		fail(ErrIndex, op, []*Tensor{t}, "k = %d outside [0, %d] on axis %d", k, n, axis)
	}
	return t.sortFirst(op, axis, k, largest)
}

// sortFirst sorts t along axis and keeps the first k of each row (all of
// them when k < 0).
func (t *Tensor) sortFirst(op string, axis, k int, descending bool) (vals, idx *Tensor) {
	nonNil(op, t)
	if t.Rank() == 0 {
		v, i := t.Reshape(1).sortFirst(op, rankZeroAxis(op, t, axis), k, descending)
		if v.Numel() == 1 {
			v, i = v.Reshape(), i.Reshape()
		}
		return v, i
	}
	x, rows, n, undo := t.rowsLast(op, axis)
	if k < 0 {
		k = n
	}
	shape := append(x.Shape()[:x.Rank()-1], k)
	if s, ok := t.st.be.(device.Sorter); ok {
		vals, idx = x.like(op, t.dtype, shape), x.like(op, device.Int32, shape)
		check(op, s.Sort(vals.st.buf, idx.st.buf, x.st.buf, rows, n, k, descending), t, x)
	} else {
		idx = argSortRows(x, descending).Narrow(-1, 0, k).Contiguous()
		vals = x.Gather(-1, idx)
	}
	freeCopies(x, t)
	outV, outI := fromRows(vals, undo), fromRows(idx, undo)
	freeCopies(vals, outV, idx, outI) // the rows-last results, where moving the axis back copied them
	return outV, outI
}

// argSortRows is the composition behind Sort on a backend without a
// Sorter: the Int32 positions that sort each row of x along its last axis.
// Element i goes to rank #{j : j sorts before i}, where j sorts before i
// when it is smaller (larger, descending) or equal and earlier; a NaN is
// equal to NaN and above every number.
func argSortRows(x *Tensor, descending bool) *Tensor {
	n := x.shape[x.Rank()-1]
	xi, xj := x.Unsqueeze(-1), x.Unsqueeze(-2) // [.., i, j]
	less, eq := xj.Lt(xi), xj.Eq(xi)
	if descending {
		less = xj.Gt(xi)
	}
	if x.dtype.IsFloat() {
		num := x.Eq(x) // 1 for a number, 0 for NaN
		nan := num.RSubScalar(1)
		ni, nj := nan.Unsqueeze(-1), nan.Unsqueeze(-2)
		if descending {
			less = less.Add(nj.Mul(num.Unsqueeze(-1))) // a NaN j before a number i
		} else {
			less = less.Add(ni.Mul(num.Unsqueeze(-2))) // a number j before a NaN i
		}
		eq = eq.Add(ni.Mul(nj))
	}
	// Counting in Int32: half masks are exact, their sums past 256 not.
	ar := x.positions("ArgSort", n)
	earlier := ar.Reshape(1, n).Lt(ar.Reshape(n, 1)) // [i, j]: j < i
	before := less.Cast(device.Int32).Add(eq.Cast(device.Int32).Mul(earlier))
	rank := before.Sum(false, -1)                  // [.., i]: where element i goes
	at := rank.Unsqueeze(-1).Eq(ar.Reshape(1, n))  // [.., i, r]
	return at.Mul(ar.Reshape(n, 1)).Sum(false, -2) // [.., r]: the i of rank r
}

// positions returns the Int32 tensor 0, 1, ..., n-1 on t's backend.
func (t *Tensor) positions(op string, n int) *Tensor {
	h := make([]int32, n)
	for i := range h {
		h[i] = int32(i)
	}
	out := t.like(op, device.Int32, []int{n})
	check(op, out.st.be.Write(out.st.buf, h), out)
	return out
}

// Cumsum returns the running sums of t along axis, as torch.cumsum:
// out[.., j, ..] = Σ_{i<=j} t[.., i, ..]. Half tensors accumulate in
// float32 or better, Int32 wraps. A rank-0 tensor is one row of one
// element (axis 0 or -1).
func (t *Tensor) Cumsum(axis int) *Tensor {
	const op = "Cumsum"
	nonNil(op, t)
	if t.Rank() == 0 {
		return t.Reshape(1).Cumsum(rankZeroAxis(op, t, axis)).Reshape()
	}
	s, ok := t.st.be.(device.Scanner)
	if !ok {
		return t.cumsumComposed(t.axis(op, axis))
	}
	x, rows, n, undo := t.rowsLast(op, axis)
	y := x.like(op, t.dtype, x.shape)
	check(op, s.Cumsum(y.st.buf, x.st.buf, rows, n), t, x)
	freeCopies(x, t)
	out := fromRows(y, undo)
	freeCopies(y, out)
	return out
}

// cumsumComposed is Cumsum on a backend without a Scanner: after step s
// each element holds the sum of the 2s elements up to it (Hillis and
// Steele's scan), so log₂ n shifted adds finish a row of n.
func (t *Tensor) cumsumComposed(axis int) *Tensor {
	y := t
	if t.dtype.IsHalf() {
		y = t.Cast(device.Float32)
	}
	n := t.shape[axis]
	for s := 1; s < n; s *= 2 {
		shifted := Concat(axis, y.Narrow(axis, 0, s).ZerosLike(), y.Narrow(axis, 0, n-s))
		y = y.Add(shifted)
	}
	switch {
	case t.dtype.IsHalf():
		return y.Cast(t.dtype)
	case y == t:
		return t.Contiguous() // a row of at most one: nothing to add
	}
	return y
}
