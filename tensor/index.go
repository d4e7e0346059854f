package tensor

import (
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// Concat joins tensors of equal dtype, device and shape (but for axis)
// along axis.
func Concat(axis int, ts ...*Tensor) *Tensor {
	nonNil("Concat", ts...)
	if len(ts) == 0 {
		panic(&Error{Op: "Concat", Msg: "needs at least one tensor", Kind: ErrValue})
	}
	be := sameDevice("Concat", ts...)
	sameDType("Concat", ts...)
	first := ts[0]
	axis = first.axis("Concat", axis)
	shape := first.Shape()
	shape[axis] = 0
	for _, t := range ts {
		if t.Rank() != first.Rank() {
			fail(ErrShape, "Concat", ts, "ranks differ")
		}
		for d := range shape {
			if d != axis && t.shape[d] != first.shape[d] {
				fail(ErrShape, "Concat", ts, "shapes differ outside axis %d", axis)
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := alloc("Concat", be, first.dtype, shape)
	at := 0
	for _, t := range ts {
		dst := out.Narrow(axis, at, t.shape[axis])
		check("Concat", be.Copy(out.st.buf, dst.layout(), t.st.buf, t.layout()), t)
		at += t.shape[axis]
	}
	return out
}

// Stack joins tensors of equal shape along a new axis.
func Stack(axis int, ts ...*Tensor) *Tensor {
	nonNil("Stack", ts...)
	if len(ts) == 0 {
		panic(&Error{Op: "Stack", Msg: "needs at least one tensor", Kind: ErrValue})
	}
	us := make([]*Tensor, len(ts))
	for i, t := range ts {
		if !slices.Equal(t.shape, ts[0].shape) {
			fail(ErrShape, "Stack", ts, "shapes differ")
		}
		us[i] = t.Unsqueeze(axis)
	}
	return Concat(axis, us...)
}

// blocks returns t's shape as [outer, n, inner] around axis.
func blocks(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < axis:
			outer *= d
		case i > axis:
			inner *= d
		}
	}
	return outer, shape[axis], inner
}

// checkIndex panics unless idx is Int32. The values are range-checked by
// the backend, where they live: the CPU fails the op, an asynchronous
// device reports the first bad index at the next Sync or Read (reading the
// indices back here would stall it on every call).
func checkIndex(op string, t, idx *Tensor) {
	if idx.dtype != device.Int32 {
		fail(ErrDType, op, []*Tensor{t, idx}, "index must be int32, got %v", idx.dtype)
	}
}

// IndexSelect picks the entries idx (Int32, 1-D) of axis.
func (t *Tensor) IndexSelect(axis int, idx *Tensor) *Tensor {
	nonNil("IndexSelect", t, idx)
	const op = "IndexSelect"
	be := sameDevice(op, t, idx)
	axis = t.axis(op, axis)
	if idx.Rank() != 1 {
		fail(ErrShape, op, []*Tensor{t, idx}, "index must be 1-D")
	}
	checkIndex(op, t, idx)
	src, ix := t.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	shape := t.Shape()
	shape[axis] = idx.shape[0]
	out := alloc(op, be, t.dtype, shape)
	check(op, be.IndexSelect(out.st.buf, src.st.buf, ix.st.buf, outer, n, inner, idx.shape[0]), t, idx, src, ix)
	freeCopies(src, t, ix, idx)
	return out
}

// IndexAdd returns a copy of t with src's entries added at positions idx
// (Int32, 1-D) of axis; repeated indices accumulate. It is the adjoint of
// IndexSelect.
func (t *Tensor) IndexAdd(axis int, idx, src *Tensor) *Tensor {
	nonNil("IndexAdd", t, idx, src)
	const op = "IndexAdd"
	be := sameDevice(op, t, idx, src)
	sameDType(op, t, src)
	axis = t.axis(op, axis)
	want := t.Shape()
	if idx.Rank() == 1 {
		want[axis] = idx.shape[0]
	}
	if idx.Rank() != 1 || !slices.Equal(src.shape, want) {
		fail(ErrShape, op, []*Tensor{t, idx, src}, "want 1-D index and src of shape %v", want)
	}
	checkIndex(op, t, idx)
	out := t.Clone()
	s, ix := src.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	check(op, be.IndexAdd(out.st.buf, s.st.buf, ix.st.buf, outer, n, inner, idx.shape[0]), t, idx, src, s, ix)
	freeCopies(s, src, ix, idx)
	return out
}

// Gather returns out[..., j, ...] = t[..., idx[..., j, ...], ...] along
// axis; idx (Int32) has t's rank, and outside axis no axis longer than
// t's (a shorter one reads the leading part, as PyTorch's gather). The
// output has idx's shape.
func (t *Tensor) Gather(axis int, idx *Tensor) *Tensor {
	nonNil("Gather", t, idx)
	const op = "Gather"
	be := sameDevice(op, t, idx)
	axis = t.axis(op, axis)
	gatherShapes(op, t, idx, axis)
	checkIndex(op, t, idx)
	part := t.leading(idx.shape, axis)
	src, ix := part.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(part.shape, axis)
	out := alloc(op, be, t.dtype, idx.shape)
	check(op, be.Gather(out.st.buf, src.st.buf, ix.st.buf, outer, n, inner, idx.shape[axis]), t, idx, src, ix)
	freeCopies(src, part, ix, idx)
	return out
}

// ScatterAdd returns a copy of t with src added at t[..., idx[..., j, ...], ...]
// along axis: the adjoint of Gather. idx and src share a shape, which
// outside axis may be shorter than t's, as for Gather.
func (t *Tensor) ScatterAdd(axis int, idx, src *Tensor) *Tensor {
	nonNil("ScatterAdd", t, idx, src)
	const op = "ScatterAdd"
	be := sameDevice(op, t, idx, src)
	sameDType(op, t, src)
	axis = t.axis(op, axis)
	gatherShapes(op, t, idx, axis)
	if !slices.Equal(idx.shape, src.shape) {
		fail(ErrShape, op, []*Tensor{t, idx, src}, "index and src shapes differ")
	}
	checkIndex(op, t, idx)
	out := t.Clone()
	// The kernel takes a dense [outer, n, inner] block: with a shorter
	// index, that is a copy of the part it touches, written back after.
	dst := out.leading(idx.shape, axis)
	part := dst
	if dst != out {
		part = dst.Clone()
	}
	s, ix := src.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(part.shape, axis)
	check(op, be.ScatterAdd(part.st.buf, s.st.buf, ix.st.buf, outer, n, inner, idx.shape[axis]), t, idx, src, s, ix)
	if part != out {
		dst.Assign(part)
		freeCopies(part, out)
	}
	freeCopies(s, src, ix, idx)
	return out
}

// gatherShapes panics unless idx fits t for Gather and ScatterAdd along
// axis: the same rank, and no axis but axis longer than t's.
func gatherShapes(op string, t, idx *Tensor, axis int) {
	if idx.Rank() != t.Rank() {
		fail(ErrShape, op, []*Tensor{t, idx}, "index rank %d differs from tensor rank %d", idx.Rank(), t.Rank())
	}
	for d := range t.shape {
		if d != axis && idx.shape[d] > t.shape[d] {
			fail(ErrShape, op, []*Tensor{t, idx}, "index shape %v is larger than the tensor's %v outside axis %d", idx.shape, t.shape, axis)
		}
	}
}

// leading returns the view of t's first shape[d] elements along every
// axis d but axis (t itself when that is all of t): the part of t an
// index of that shape reaches.
func (t *Tensor) leading(shape []int, axis int) *Tensor {
	v := t
	for d, n := range shape {
		if d != axis && n != t.shape[d] {
			v = v.Narrow(d, 0, n)
		}
	}
	return v
}

// Index returns the view of t at the given positions of its leading axes
// (negative ones count from the end), without those axes, as t[i, j] in
// NumPy: one position per axis gives a rank-0 view of that element.
func (t *Tensor) Index(pos ...int) *Tensor { return t.index("Index", pos) }

func (t *Tensor) index(op string, pos []int) *Tensor {
	if len(pos) > t.Rank() {
		fail(ErrIndex, op, []*Tensor{t}, "%d positions for rank %d", len(pos), t.Rank())
	}
	off := t.offset
	for d, i := range pos {
		n := t.shape[d]
		if i < -n || i >= n {
			fail(ErrIndex, op, []*Tensor{t}, "position %d is outside axis %d of size %d", i, d, n)
		}
		if i < 0 {
			i += n
		}
		off += i * t.strides[d]
	}
	return t.view(t.Shape()[len(pos):], t.Strides()[len(pos):], off)
}

// OneHot returns labels (Int32, any shape) as one-hot vectors of n
// classes in dtype dt, with a new last axis. A label outside [0, n) is an
// error from ScatterAdd, which builds the result (on an asynchronous
// device, at the next Sync or Read).
func OneHot(labels *Tensor, n int, dt device.DType) *Tensor {
	nonNil("OneHot", labels)
	checkIndex("OneHot", labels, labels)
	if n < 0 {
		fail(ErrValue, "OneHot", []*Tensor{labels}, "negative class count %d", n)
	}
	idx := labels.Unsqueeze(-1)
	out := Zeros(labels.Device(), dt, append(labels.Shape(), n)...)
	return out.ScatterAdd(-1, idx, Ones(labels.Device(), dt, idx.Shape()...))
}
