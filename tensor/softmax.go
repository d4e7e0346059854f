package tensor

import (
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// rowsLast moves axis last and returns the contiguous [rows, cols] form,
// plus the permutation that undoes it.
func (t *Tensor) rowsLast(op string, axis int) (x *Tensor, rows, cols int, undo []int) {
	axis = t.axis(op, axis)
	r := t.Rank()
	perm := make([]int, 0, r)
	for i := 0; i < r; i++ {
		if i != axis {
			perm = append(perm, i)
		}
	}
	perm = append(perm, axis)
	undo = make([]int, r)
	for i, p := range perm {
		undo[p] = i
	}
	x = t.Permute(perm...).Contiguous()
	cols = t.shape[axis]
	rows = 0
	if cols > 0 {
		rows = t.Numel() / cols
	}
	return x, rows, cols, undo
}

// fromRows undoes rowsLast on a contiguous result.
func fromRows(y *Tensor, undo []int) *Tensor {
	if undo[len(undo)-1] == len(undo)-1 {
		return y
	}
	return y.Permute(undo...).Contiguous()
}

func (t *Tensor) softmax(op string, axis int, log bool) *Tensor {
	nonNil(op, t)
	requireFloat(op, t)
	if t.Rank() == 0 {
		return t.Reshape(1).softmax(op, rankZeroAxis(op, t, axis), log).Reshape()
	}
	x, rows, cols, undo := t.rowsLast(op, axis)
	y := x.like(op, t.dtype, x.shape)
	check(op, t.st.be.Softmax(y.st.buf, x.st.buf, rows, cols, log), t, x)
	freeCopies(x, t)
	out := fromRows(y, undo)
	freeCopies(y, out) // the rows-last result, when moving the axis back copied it
	return out
}

// rankZeroAxis checks the axis of a softmax over a rank-0 tensor t, which
// is taken as one row of one element: 0 or -1, as PyTorch accepts.
func rankZeroAxis(op string, t *Tensor, axis int) int {
	if axis != 0 && axis != -1 {
		fail(ErrIndex, op, []*Tensor{t}, "axis %d out of range for rank 0 (use 0 or -1)", axis)
	}
	return 0
}

// Softmax returns exp(t)/Σexp(t) along axis, computed max-subtracted. A
// rank-0 tensor is one row of one element (axis 0 or -1): its softmax is
// 1 and its log-softmax 0.
func (t *Tensor) Softmax(axis int) *Tensor { return t.softmax("Softmax", axis, false) }

// LogSoftmax returns t - log Σexp(t) along axis, computed stably.
func (t *Tensor) LogSoftmax(axis int) *Tensor { return t.softmax("LogSoftmax", axis, true) }

// SoftmaxBackward returns the gradient of (log-)softmax along axis at its
// output y for output gradient dy: the fused VJP kernel.
func SoftmaxBackward(y, dy *Tensor, axis int, log bool) *Tensor {
	nonNil("SoftmaxBackward", y, dy)
	const op = "SoftmaxBackward"
	sameDevice(op, y, dy)
	sameDType(op, y, dy)
	if !slices.Equal(y.shape, dy.shape) {
		fail(ErrShape, op, []*Tensor{y, dy}, "y and dy shapes differ")
	}
	if y.Rank() == 0 {
		axis = rankZeroAxis(op, y, axis)
		return SoftmaxBackward(y.Reshape(1), dy.Reshape(1), axis, log).Reshape()
	}
	yr, rows, cols, undo := y.rowsLast(op, axis)
	dyr, _, _, _ := dy.rowsLast(op, axis)
	dx := yr.like(op, y.dtype, yr.shape)
	check(op, y.st.be.SoftmaxBackward(dx.st.buf, yr.st.buf, dyr.st.buf, rows, cols, log), y, dy, yr, dyr)
	freeCopies(yr, y, dyr, dy)
	out := fromRows(dx, undo)
	freeCopies(dx, out)
	return out
}

// checkLabels panics unless labels is Int32 [rows]. The backend checks
// the values (see checkIndex).
func checkLabels(op string, logits, labels *Tensor, rows int) {
	if labels.dtype != device.Int32 || labels.Rank() != 1 || labels.shape[0] != rows {
		fail(ErrDType, op, []*Tensor{logits, labels}, "labels must be int32 [%d]", rows)
	}
}

// CrossEntropy returns the per-row loss -Σ_c t_c log softmax(logits)_c of
// logits [rows, classes] against Int32 labels [rows], with targets
// t = (1-smoothing)*onehot + smoothing/classes: the fused log-softmax +
// NLL kernel.
func CrossEntropy(logits, labels *Tensor, smoothing float64) *Tensor {
	nonNil("CrossEntropy", logits, labels)
	const op = "CrossEntropy"
	sameDevice(op, logits, labels)
	requireFloat(op, logits)
	if logits.Rank() != 2 {
		fail(ErrShape, op, []*Tensor{logits, labels}, "logits must be [rows, classes]")
	}
	rows, cols := logits.shape[0], logits.shape[1]
	checkLabels(op, logits, labels, rows)
	x, l := logits.Contiguous(), labels.Contiguous()
	loss := x.like(op, logits.dtype, []int{rows})
	check(op, logits.st.be.CrossEntropy(loss.st.buf, x.st.buf, l.st.buf, rows, cols, smoothing), logits, labels, x, l)
	freeCopies(x, logits, l, labels)
	return loss
}

// CrossEntropyBackward returns d loss / d logits for the per-row loss
// gradient dloss [rows]: dloss[r]*(softmax(logits)[r]-t[r]).
func CrossEntropyBackward(logits, labels, dloss *Tensor, smoothing float64) *Tensor {
	nonNil("CrossEntropyBackward", logits, labels, dloss)
	const op = "CrossEntropyBackward"
	sameDevice(op, logits, labels, dloss)
	sameDType(op, logits, dloss)
	requireFloat(op, logits)
	if logits.Rank() != 2 {
		fail(ErrShape, op, []*Tensor{logits, labels, dloss}, "logits must be [rows, classes]")
	}
	rows, cols := logits.shape[0], logits.shape[1]
	checkLabels(op, logits, labels, rows)
	if dloss.Rank() != 1 || dloss.shape[0] != rows {
		fail(ErrShape, op, []*Tensor{logits, labels, dloss}, "dloss must be [%d]", rows)
	}
	x, l, g := logits.Contiguous(), labels.Contiguous(), dloss.Contiguous()
	dx := x.like(op, logits.dtype, x.shape)
	check(op, logits.st.be.CrossEntropyBackward(dx.st.buf, x.st.buf, l.st.buf, g.st.buf, rows, cols, smoothing), logits, labels, dloss, x, l, g)
	freeCopies(x, logits, l, labels, g, dloss)
	return dx
}
