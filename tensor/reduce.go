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

// Sum adds t over axes (all when none are given), keeping reduced axes as
// size 1 when keepdim.
func (t *Tensor) Sum(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Sum, keepdim, axes) }

// Mean averages t over axes (all when none are given).
func (t *Tensor) Mean(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Mean, keepdim, axes) }

// Max returns the maximum over axes (all when none are given).
func (t *Tensor) Max(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Max, keepdim, axes) }

// Min returns the minimum over axes (all when none are given).
func (t *Tensor) Min(keepdim bool, axes ...int) *Tensor { return t.reduce(device.Min, keepdim, axes) }

// ArgMax returns the Int32 position of the first maximum along axis.
func (t *Tensor) ArgMax(axis int, keepdim bool) *Tensor {
	nonNil("ArgMax", t)
	return t.reduce(device.ArgMax, keepdim, []int{axis})
}

// ArgMin returns the Int32 position of the first minimum along axis.
func (t *Tensor) ArgMin(axis int, keepdim bool) *Tensor {
	nonNil("ArgMin", t)
	return t.reduce(device.ArgMin, keepdim, []int{axis})
}
