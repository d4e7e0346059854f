package tensor

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/device"
)

func itoa(i int) string { return strconv.Itoa(i) }

func fmtShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Reshape returns t with a new shape holding the same elements in
// row-major order; one dimension may be -1 (inferred). It is a view when
// t's layout allows, else a copy.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	nonNil("Reshape", t)
	shape = slices.Clone(shape)
	infer := -1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			fail(ErrShape, "Reshape", []*Tensor{t}, "bad target shape %v", shape)
		}
	}
	rest := shape
	if infer >= 0 {
		rest = slices.Delete(slices.Clone(shape), infer, infer+1)
	}
	known := numel("Reshape", []*Tensor{t}, rest)
	n := t.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			fail(ErrShape, "Reshape", []*Tensor{t}, "cannot infer -1 in %v from %d elements", shape, n)
		}
		shape[infer] = n / known
	} else if known != n {
		fail(ErrShape, "Reshape", []*Tensor{t}, "target shape %v has %d elements, tensor has %d", shape, known, n)
	}
	if st, ok := reshapeStrides(t.shape, t.strides, shape); ok {
		return t.view(shape, st, t.offset)
	}
	c := t.Contiguous()
	return c.view(shape, device.RowMajorStrides(shape), c.offset)
}

// reshapeStrides finds strides for newShape that address the same
// elements as (shape, strides) in row-major order without a copy, the way
// NumPy's attempt_nocopy_reshape does: each run of old dims that is
// contiguous among itself maps onto a run of new dims.
func reshapeStrides(shape, strides, newShape []int) ([]int, bool) {
	var os, ost []int
	for i, d := range shape {
		if d != 1 {
			os = append(os, d)
			ost = append(ost, strides[i])
		}
	}
	ns := make([]int, len(newShape))
	if device.Numel(shape) == 0 {
		return device.RowMajorStrides(newShape), true
	}
	oi, ni := 0, 0
	for ni < len(newShape) && oi < len(os) {
		np, op := newShape[ni], os[oi]
		nj, oj := ni+1, oi+1
		for np != op {
			if np < op {
				np *= newShape[nj]
				nj++
			} else {
				op *= os[oj]
				oj++
			}
		}
		for k := oi; k < oj-1; k++ {
			if ost[k] != os[k+1]*ost[k+1] {
				return nil, false
			}
		}
		ns[nj-1] = ost[oj-1]
		for k := nj - 1; k > ni; k-- {
			ns[k-1] = ns[k] * newShape[k]
		}
		ni, oi = nj, oj
	}
	for ; ni < len(newShape); ni++ {
		ns[ni] = 1
	}
	for k := range newShape {
		if newShape[k] == 1 {
			if k+1 < len(newShape) {
				ns[k] = ns[k+1] * newShape[k+1]
			} else {
				ns[k] = 1
			}
		}
	}
	return ns, true
}

// Flatten reshapes t to 1-D.
func (t *Tensor) Flatten() *Tensor { return t.Reshape(-1) }

// Permute returns a view with axes reordered: axis i of the result is
// axis axes[i] of t.
func (t *Tensor) Permute(axes ...int) *Tensor {
	nonNil("Permute", t)
	if len(axes) != t.Rank() {
		fail(ErrShape, "Permute", []*Tensor{t}, "got %d axes for rank %d", len(axes), t.Rank())
	}
	seen := make([]bool, t.Rank())
	shape := make([]int, t.Rank())
	st := make([]int, t.Rank())
	for i, a := range axes {
		a = t.axis("Permute", a)
		if seen[a] {
			fail(ErrValue, "Permute", []*Tensor{t}, "axis %d repeated in %v", a, axes)
		}
		seen[a] = true
		shape[i], st[i] = t.shape[a], t.strides[a]
	}
	return t.view(shape, st, t.offset)
}

// Transpose returns a view with axes a and b swapped.
func (t *Tensor) Transpose(a, b int) *Tensor {
	nonNil("Transpose", t)
	a, b = t.axis("Transpose", a), t.axis("Transpose", b)
	axes := make([]int, t.Rank())
	for i := range axes {
		axes[i] = i
	}
	axes[a], axes[b] = b, a
	return t.Permute(axes...)
}

// T returns the transpose of the last two axes.
func (t *Tensor) T() *Tensor {
	nonNil("T", t)
	if t.Rank() < 2 {
		fail(ErrShape, "T", []*Tensor{t}, "needs rank >= 2")
	}
	return t.Transpose(-2, -1)
}

// Narrow returns a view of length elements of axis starting at start.
func (t *Tensor) Narrow(axis, start, length int) *Tensor {
	nonNil("Narrow", t)
	axis = t.axis("Narrow", axis)
	if start < 0 || length < 0 || start+length > t.shape[axis] {
		fail(ErrIndex, "Narrow", []*Tensor{t}, "range [%d, %d) outside axis %d of size %d", start, start+length, axis, t.shape[axis])
	}
	shape := t.Shape()
	shape[axis] = length
	return t.view(shape, t.Strides(), t.offset+start*t.strides[axis])
}

// Slice returns a view of elements [start, end) of axis; negative bounds
// count from the end.
func (t *Tensor) Slice(axis, start, end int) *Tensor {
	nonNil("Slice", t)
	axis = t.axis("Slice", axis)
	n := t.shape[axis]
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 || end > n || start > end {
		fail(ErrIndex, "Slice", []*Tensor{t}, "bad range [%d, %d) for axis %d of size %d", start, end, axis, n)
	}
	return t.Narrow(axis, start, end-start)
}

// Expand returns a view broadcast to shape: size-1 axes repeat (stride 0)
// and new leading axes are added, as NumPy's broadcast_to.
func (t *Tensor) Expand(shape ...int) *Tensor {
	nonNil("Expand", t)
	if len(shape) < t.Rank() {
		fail(ErrShape, "Expand", []*Tensor{t}, "target %v has fewer axes than the tensor", shape)
	}
	numel("Expand", []*Tensor{t}, shape)
	st := make([]int, len(shape))
	lead := len(shape) - t.Rank()
	for i := range shape {
		if i < lead {
			continue
		}
		d := t.shape[i-lead]
		switch {
		case d == shape[i]:
			st[i] = t.strides[i-lead]
		case d == 1:
			st[i] = 0
		default:
			fail(ErrShape, "Expand", []*Tensor{t}, "cannot expand axis %d of size %d to %d (target %v)", i-lead, d, shape[i], shape)
		}
	}
	return t.view(slices.Clone(shape), st, t.offset)
}

// broadcastLayout is t's geometry broadcast to shape (which must be t's
// shape or one it broadcasts to): t's own layout when the shapes match,
// which costs no allocation, else Expand's strides without a new tensor.
func (t *Tensor) broadcastLayout(op string, shape []int) device.Layout {
	if slices.Equal(t.shape, shape) {
		return t.layout()
	}
	st := make([]int, len(shape))
	lead := len(shape) - len(t.shape)
	for i := lead; i < len(shape); i++ {
		switch d := t.shape[i-lead]; {
		case d == shape[i]:
			st[i] = t.strides[i-lead]
		case d != 1:
			fail(ErrShape, op, []*Tensor{t}, "cannot broadcast axis %d of size %d to %d (target %v)", i-lead, d, shape[i], shape)
		}
	}
	return device.Layout{Shape: shape, Strides: st, Offset: t.offset}
}

// Squeeze removes the given size-1 axes, or every size-1 axis when none
// are given.
func (t *Tensor) Squeeze(axes ...int) *Tensor {
	nonNil("Squeeze", t)
	drop := make([]bool, t.Rank())
	if len(axes) == 0 {
		for i, d := range t.shape {
			drop[i] = d == 1
		}
	}
	for _, a := range axes {
		a = t.axis("Squeeze", a)
		if t.shape[a] != 1 {
			fail(ErrShape, "Squeeze", []*Tensor{t}, "axis %d has size %d, not 1", a, t.shape[a])
		}
		drop[a] = true
	}
	var shape, st []int
	for i := range t.shape {
		if !drop[i] {
			shape = append(shape, t.shape[i])
			st = append(st, t.strides[i])
		}
	}
	return t.view(shape, st, t.offset)
}

// Unsqueeze inserts a size-1 axis at position axis (-1 appends).
func (t *Tensor) Unsqueeze(axis int) *Tensor {
	nonNil("Unsqueeze", t)
	r := t.Rank() + 1
	if axis < -r || axis >= r {
		fail(ErrIndex, "Unsqueeze", []*Tensor{t}, "axis %d out of range for result rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	inner := 1
	if axis < t.Rank() {
		inner = t.strides[axis] * t.shape[axis]
	}
	shape := slices.Insert(t.Shape(), axis, 1)
	st := slices.Insert(t.Strides(), axis, inner)
	return t.view(shape, st, t.offset)
}

// Contiguous returns t if it is row-major from the start of its own
// buffer, else a contiguous copy.
func (t *Tensor) Contiguous() *Tensor {
	nonNil("Contiguous", t)
	if t.dense() {
		return t
	}
	out := t.like("Contiguous", t.dtype, t.shape)
	check("Contiguous", t.st.be.Copy(out.st.buf, out.layout(), t.st.buf, t.layout()), t)
	return out
}

// Clone returns a contiguous copy of t that shares nothing with it.
func (t *Tensor) Clone() *Tensor {
	nonNil("Clone", t)
	out := t.like("Clone", t.dtype, t.shape)
	check("Clone", t.st.be.Copy(out.st.buf, out.layout(), t.st.buf, t.layout()), t)
	return out
}

// Assign copies src into t in place (t may be a view; src broadcasts to
// t's shape). It is how a slice of a bigger tensor is written.
func (t *Tensor) Assign(src *Tensor) {
	nonNil("Assign", t, src)
	sameDevice("Assign", t, src)
	sameDType("Assign", t, src)
	s := src.Expand(t.shape...)
	check("Assign", t.st.be.Copy(t.st.buf, t.layout(), s.st.buf, s.layout()), t, src)
}

// Fill sets every element of t (which may be a view) to v, in place.
func (t *Tensor) Fill(v float64) {
	nonNil("Fill", t)
	check("Fill", t.st.be.Fill(t.st.buf, t.layout(), v), t)
}
