package tensor

import (
	"github.com/tapegrad/tapegrad/device"
)

// reduce runs op over axes (all axes when none are given). The reduced
// axes are permuted last (a view, no copy) and the backend writes the
// kept axes contiguously.
func (t *Tensor) reduce(op device.ReduceOp, keepdim bool, axes []int) *Tensor {
	nonNil(op.String(), t)
	name := op.String()
	r := t.Rank()
	red := make([]bool, r)
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		a = t.axis(name, a)
		if red[a] {
			fail(ErrValue, name, []*Tensor{t}, "axis %d repeated in %v", a, axes)
		}
		red[a] = true
	}
	var perm, kept, outKeep []int
	nred := 0
	for i := range red {
		if !red[i] {
			perm = append(perm, i)
			kept = append(kept, t.shape[i])
			outKeep = append(outKeep, t.shape[i])
		} else {
			outKeep = append(outKeep, 1)
		}
	}
	for i := range red {
		if red[i] {
			perm = append(perm, i)
			nred++
		}
	}
	dt := t.dtype
	if op == device.ArgMax || op == device.ArgMin {
		dt = device.Int32
	}
	if op == device.Mean {
		requireFloat(name, t)
	}
	p := t.Permute(perm...)
	out := t.like(name, dt, kept)
	check(name, t.st.be.Reduce(op, out.st.buf, t.st.buf, p.layout(), nred), t)
	if keepdim {
		return out.Reshape(outKeep...)
	}
	return out
}

// ReduceOptions say what a reduction's With form (SumWith, MeanWith,
// MaxWith, MinWith, ArgMaxWith, ArgMinWith) reduces, by name instead of
// a bare boolean: the zero value reduces every axis to a scalar.
type ReduceOptions struct {
	// Axes are the axes to reduce (negative ones count from the end);
	// all of them when empty. ArgMax and ArgMin take exactly one.
	Axes []int
	// KeepDim keeps the reduced axes as size 1, so that the result
	// broadcasts against the input.
	KeepDim bool
}

// Sum adds t over axes (all when none are given), keeping reduced axes as
// size 1 when keepdim. SumWith says the same with named options.
func (t *Tensor) Sum(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Sum, keepdim, axes) }

// SumWith adds t over o.Axes.
func (t *Tensor) SumWith(o ReduceOptions) *Tensor { return t.reduce(device.Sum, o.KeepDim, o.Axes) }

// Mean averages t over axes (all when none are given). MeanWith says the
// same with named options.
func (t *Tensor) Mean(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Mean, keepdim, axes) }

// MeanWith averages t over o.Axes.
func (t *Tensor) MeanWith(o ReduceOptions) *Tensor { return t.reduce(device.Mean, o.KeepDim, o.Axes) }

// Max returns the maximum over axes (all when none are given). MaxWith
// says the same with named options.
func (t *Tensor) Max(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Max, keepdim, axes) }

// MaxWith returns the maximum over o.Axes.
func (t *Tensor) MaxWith(o ReduceOptions) *Tensor { return t.reduce(device.Max, o.KeepDim, o.Axes) }

// Min returns the minimum over axes (all when none are given). MinWith
// says the same with named options.
func (t *Tensor) Min(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Min, keepdim, axes) }

// MinWith returns the minimum over o.Axes.
func (t *Tensor) MinWith(o ReduceOptions) *Tensor { return t.reduce(device.Min, o.KeepDim, o.Axes) }

// ArgMax returns the Int32 position of the first maximum along axis.
// ArgMaxWith says the same with named options.
func (t *Tensor) ArgMax(axis int, keepdim bool) *Tensor {
	nonNil("ArgMax", t)
	return t.reduce(device.ArgMax, keepdim, []int{axis})
}

// ArgMaxWith returns the Int32 position of the first maximum along the
// one axis in o.Axes.
func (t *Tensor) ArgMaxWith(o ReduceOptions) *Tensor {
	nonNil("ArgMax", t)
	return t.ArgMax(o.oneAxis("ArgMax", t), o.KeepDim)
}

// ArgMin returns the Int32 position of the first minimum along axis.
// ArgMinWith says the same with named options.
func (t *Tensor) ArgMin(axis int, keepdim bool) *Tensor {
	nonNil("ArgMin", t)
	return t.reduce(device.ArgMin, keepdim, []int{axis})
}

// ArgMinWith returns the Int32 position of the first minimum along the
// one axis in o.Axes.
func (t *Tensor) ArgMinWith(o ReduceOptions) *Tensor {
	nonNil("ArgMin", t)
	return t.ArgMin(o.oneAxis("ArgMin", t), o.KeepDim)
}

// oneAxis returns the one axis of o for op (ArgMax, ArgMin), which takes
// exactly one, and panics with an ErrValue *Error naming op and t
// otherwise.
func (o ReduceOptions) oneAxis(op string, t *Tensor) int {
	if len(o.Axes) != 1 {
		fail(ErrValue, op, []*Tensor{t}, "takes exactly one axis, got %v", o.Axes)
	}
	return o.Axes[0]
}
