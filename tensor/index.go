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
		panic(&Error{Op: "Concat", Msg: "needs at least one tensor"})
	}
	be := sameDevice("Concat", ts...)
	sameDType("Concat", ts...)
	first := ts[0]
	axis = first.axis("Concat", axis)
	shape := first.Shape()
	shape[axis] = 0
	for _, t := range ts {
		if t.Rank() != first.Rank() {
			fail("Concat", ts, "ranks differ")
		}
		for d := range shape {
			if d != axis && t.shape[d] != first.shape[d] {
				fail("Concat", ts, "shapes differ outside axis %d", axis)
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
		panic(&Error{Op: "Stack", Msg: "needs at least one tensor"})
	}
	us := make([]*Tensor, len(ts))
	for i, t := range ts {
		if !slices.Equal(t.shape, ts[0].shape) {
			fail("Stack", ts, "shapes differ")
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

// checkIndex panics unless idx is Int32 with values in [0, n).
func checkIndex(op string, t, idx *Tensor, n int) {
	if idx.dtype != device.Int32 {
		fail(op, []*Tensor{t, idx}, "index must be int32, got %v", idx.dtype)
	}
	for i, v := range idx.Int32s() {
		if v < 0 || int(v) >= n {
			fail(op, []*Tensor{t, idx}, "index %d at position %d is outside [0, %d)", v, i, n)
		}
	}
}

// IndexSelect picks the entries idx (Int32, 1-D) of axis.
func (t *Tensor) IndexSelect(axis int, idx *Tensor) *Tensor {
	nonNil("IndexSelect", t, idx)
	const op = "IndexSelect"
	be := sameDevice(op, t, idx)
	axis = t.axis(op, axis)
	if idx.Rank() != 1 {
		fail(op, []*Tensor{t, idx}, "index must be 1-D")
	}
	checkIndex(op, t, idx, t.shape[axis])
	src, ix := t.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	shape := t.Shape()
	shape[axis] = idx.shape[0]
	out := alloc(op, be, t.dtype, shape)
	check(op, be.IndexSelect(out.st.buf, src.st.buf, ix.st.buf, outer, n, inner, idx.shape[0]), t, idx, src, ix)
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
		fail(op, []*Tensor{t, idx, src}, "want 1-D index and src of shape %v", want)
	}
	checkIndex(op, t, idx, t.shape[axis])
	out := t.Clone()
	s, ix := src.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	check(op, be.IndexAdd(out.st.buf, s.st.buf, ix.st.buf, outer, n, inner, idx.shape[0]), t, idx, src, s, ix)
	return out
}

// Gather returns out[..., j, ...] = t[..., idx[..., j, ...], ...] along
// axis; idx (Int32) has t's shape except along axis.
func (t *Tensor) Gather(axis int, idx *Tensor) *Tensor {
	nonNil("Gather", t, idx)
	const op = "Gather"
	be := sameDevice(op, t, idx)
	axis = t.axis(op, axis)
	gatherShapes(op, t, idx, axis)
	checkIndex(op, t, idx, t.shape[axis])
	src, ix := t.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	out := alloc(op, be, t.dtype, idx.shape)
	check(op, be.Gather(out.st.buf, src.st.buf, ix.st.buf, outer, n, inner, idx.shape[axis]), t, idx, src, ix)
	return out
}

// ScatterAdd returns a copy of t with src added at t[..., idx[..., j, ...], ...]
// along axis: the adjoint of Gather. idx and src share a shape.
func (t *Tensor) ScatterAdd(axis int, idx, src *Tensor) *Tensor {
	nonNil("ScatterAdd", t, idx, src)
	const op = "ScatterAdd"
	be := sameDevice(op, t, idx, src)
	sameDType(op, t, src)
	axis = t.axis(op, axis)
	gatherShapes(op, t, idx, axis)
	if !slices.Equal(idx.shape, src.shape) {
		fail(op, []*Tensor{t, idx, src}, "index and src shapes differ")
	}
	checkIndex(op, t, idx, t.shape[axis])
	out := t.Clone()
	s, ix := src.Contiguous(), idx.Contiguous()
	outer, n, inner := blocks(t.shape, axis)
	check(op, be.ScatterAdd(out.st.buf, s.st.buf, ix.st.buf, outer, n, inner, idx.shape[axis]), t, idx, src, s, ix)
	return out
}

func gatherShapes(op string, t, idx *Tensor, axis int) {
	if idx.Rank() != t.Rank() {
		fail(op, []*Tensor{t, idx}, "index rank %d differs from tensor rank %d", idx.Rank(), t.Rank())
	}
	for d := range t.shape {
		if d != axis && idx.shape[d] != t.shape[d] {
			fail(op, []*Tensor{t, idx}, "index shape differs from the tensor's outside axis %d", axis)
		}
	}
}

// OneHot returns labels (Int32, any shape) as one-hot vectors of n
// classes in dtype dt, with a new last axis.
func OneHot(labels *Tensor, n int, dt device.DType) *Tensor {
	nonNil("OneHot", labels)
	if n < 0 {
		fail("OneHot", []*Tensor{labels}, "negative class count %d", n)
	}
	checkIndex("OneHot", labels, labels, n)
	classes := Arange(labels.Device(), dt, n)
	return labels.Cast(dt).Unsqueeze(-1).Eq(classes)
}
