package tensor

import (
	"github.com/tapegrad/tapegrad/device"
)

// MatMul returns the matrix product of t and u. Both need rank >= 1: 1-D
// operands are treated as a row (left) or column (right) vector and the
// added axis is dropped from the result, as NumPy's matmul; leading axes
// are batch axes and broadcast. Transposed views are used without a copy.
// The result has the operands' dtype; half operands accumulate in float32
// and round once (MatMulWith can keep the float32 sums instead).
func (t *Tensor) MatMul(u *Tensor) *Tensor { return t.MatMulWith(u, MatMulOptions{}) }

// MatMulOptions are the choices of MatMulWith beyond its operands.
type MatMulOptions struct {
	// Float32Out makes a product of BFloat16 or Float16 operands return
	// Float32: the float32 accumulators, unrounded (what autocast's matmul
	// and tensor cores give). Float32 operands give Float32 anyway;
	// Float64 ones are an error.
	Float32Out bool
	// TF32 lets a Float32 product round its operands to TF32 on backends
	// with such a mode (device.MatMulArgs.TF32, PyTorch's allow_tf32); the
	// others, the CPU among them, ignore it and compute in full float32.
	TF32 bool
}

// MatMulWith is MatMul with options.
func (t *Tensor) MatMulWith(u *Tensor, o MatMulOptions) *Tensor {
	nonNil("MatMul", t, u)
	be := sameDevice("MatMul", t, u)
	sameDType("MatMul", t, u)
	requireFloat("MatMul", t)
	outDT := t.dtype
	if o.Float32Out {
		if t.dtype == device.Float64 {
			fail(ErrDType, "MatMul", []*Tensor{t, u}, "a float32 result needs half or float32 operands, got %v", t.dtype)
		}
		outDT = device.Float32
	}
	if t.Rank() == 0 || u.Rank() == 0 {
		fail(ErrShape, "MatMul", []*Tensor{t, u}, "operands need rank >= 1")
	}
	a, b := t, u
	if a.Rank() == 1 {
		a = a.Unsqueeze(0)
	}
	if b.Rank() == 1 {
		b = b.Unsqueeze(1)
	}
	m, k := a.shape[a.Rank()-2], a.shape[a.Rank()-1]
	k2, n := b.shape[b.Rank()-2], b.shape[b.Rank()-1]
	if k != k2 {
		fail(ErrShape, "MatMul", []*Tensor{t, u}, "inner dimensions differ: %v @ %v", t.shape, u.shape)
	}
	batch, ok := BroadcastShapes(a.shape[:a.Rank()-2], b.shape[:b.Rank()-2])
	if !ok {
		fail(ErrShape, "MatMul", []*Tensor{t, u}, "batch dimensions %v and %v do not broadcast", a.shape[:a.Rank()-2], b.shape[:b.Rank()-2])
	}
	nb := numel("MatMul", []*Tensor{t, u}, batch)
	a = a.Expand(append(append([]int{}, batch...), m, k)...)
	b = b.Expand(append(append([]int{}, batch...), k, n)...)
	args := device.MatMulArgs{Batch: nb, M: m, N: n, K: k, TF32: o.TF32}
	ea, eb := a, b
	a = matOperand(a, &args.A, &args.AOffset, &args.AStride, &args.LDA, &args.TransA)
	b = matOperand(b, &args.B, &args.BOffset, &args.BStride, &args.LDB, &args.TransB)
	outShape := append(append([]int{}, batch...), m, n)
	out := alloc("MatMul", be, outDT, outShape)
	args.C = out.st.buf
	check("MatMul", be.MatMul(args), t, u, a, b)
	freeCopies(a, ea, b, eb)
	switch {
	case t.Rank() == 1 && u.Rank() == 1:
		return out.Reshape()
	case t.Rank() == 1:
		return out.Squeeze(out.Rank() - 2)
	case u.Rank() == 1:
		return out.Squeeze(out.Rank() - 1)
	}
	return out
}

// matOperand describes x (batch..., rows, cols) as a BLAS operand: one
// batch stride, a leading dimension and a transpose flag. Layouts BLAS
// cannot express are copied to contiguous first; the tensor actually used
// is returned.
func matOperand(x *Tensor, buf *device.Buffer, off, bstride, ld *int, trans *bool) *Tensor {
	r := x.Rank()
	rows, cols := x.shape[r-2], x.shape[r-1]
	rs, cs := x.strides[r-2], x.strides[r-1]
	bs, okBatch := batchStride(x.shape[:r-2], x.strides[:r-2])
	switch {
	case okBatch && (cs == 1 || cols == 1) && (rs >= cols || rows == 1):
		*ld, *trans = max(rs, cols, 1), false
	case okBatch && (rs == 1 || rows == 1) && (cs >= rows || cols == 1):
		*ld, *trans = max(cs, rows, 1), true
	default:
		x = x.Contiguous()
		bs, _ = batchStride(x.shape[:r-2], x.strides[:r-2])
		*ld, *trans = max(cols, 1), false
	}
	*buf, *off, *bstride = x.st.buf, x.offset, bs
	return x
}

// batchStride reports whether batch axes (shape, strides) step through
// memory with one stride (0 when everything broadcasts), and that stride.
func batchStride(shape, strides []int) (int, bool) {
	s, have := 0, false
	expect := 0
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] == 1 {
			continue
		}
		if !have {
			s, have, expect = strides[i], true, strides[i]*shape[i]
			continue
		}
		if strides[i] != expect {
			return 0, false
		}
		expect *= shape[i]
	}
	return s, true
}
