package cpu

import (
	"math/bits"
	"sync"

	"github.com/tapegrad/tapegrad/device"
)

// Every op on BFloat16 or Float16 buffers runs its float32 kernel: the
// half operands are widened (exactly) into float32 scratch, the float32
// kernel computes, and its outputs are rounded to nearest even into the
// half buffers. So half results are the float32 results rounded once, and
// reductions, softmax, losses and matmul accumulate in float32 or better,
// as PyTorch does on the CPU. Only Fill, Copy and Cast touch the 16-bit
// patterns directly (memory.go, half.go).

// role says what an op does with one of its buffers.
type role uint8

const (
	in    role = iota // read: widened into the scratch
	out               // written: fresh scratch, rounded back
	inout             // read and written (accumulators, optimizer state)
)

// halfArg is one buffer of an op run through onHalf.
type halfArg struct {
	b    device.Buffer
	role role
	what string // how errors name it
	// The elements used, by one of: a layout the op reads b through (its
	// extent is widened and the layout shifted to match); a span [lo,
	// lo+n) (span set; outputs use [0, n)); else the whole buffer.
	l     *device.Layout
	span  bool
	lo, n int
	// passFloat lets a Float32 or Float64 buffer stand here unchanged:
	// a comparison's mask, a mixed-precision MatMul's float32 C.
	passFloat bool
}

// halfOf returns the dtype of the first half buffer among bs.
func halfOf(bs ...device.Buffer) (device.DType, bool) {
	for _, b := range bs {
		if cb, ok := b.(*Buffer); ok && cb != nil && cb.dt.IsHalf() {
			return cb.dt, true
		}
	}
	return 0, false
}

// onHalf runs kernel, a call of the float32 op, on float32 stand-ins for
// the buffers of dtype dt among args, and rounds the outputs back. Int32
// buffers (indices, labels, masks) pass through unchanged, and so do
// Float32/Float64 ones where the arg allows; any other dtype is an
// error, as mixing dtypes is in the float32 kernels. ls[i] is args[i]'s
// layout, shifted onto its stand-in.
func (be *Backend) onHalf(op string, dt device.DType, args []halfArg, kernel func(bs []device.Buffer, ls []device.Layout) error) error {
	type writeBack struct {
		dst, tmp *Buffer
		lo       int
	}
	bs := make([]device.Buffer, len(args))
	ls := make([]device.Layout, len(args))
	var backs []writeBack
	defer func() {
		for i, a := range args {
			if bs[i] != nil && bs[i] != a.b {
				putHalfScratch(bs[i].(*Buffer))
			}
		}
	}()
	for i, a := range args {
		cb, err := asBuffer(op, a.b)
		if err != nil {
			return err
		}
		if a.l != nil {
			ls[i] = *a.l
		}
		if cb.dt != dt {
			if cb.dt == device.Int32 || a.passFloat && !cb.dt.IsHalf() {
				bs[i] = cb
				continue
			}
			return opError(op, "got a %v %s, want %v", cb.dt, a.what, dt)
		}
		lo, n := 0, cb.Len()
		switch {
		case a.l != nil:
			if err := checkLayout(op, cb, *a.l, a.what); err != nil {
				return err
			}
			n = 0
			if a.l.Size() > 0 {
				l, h := extent(*a.l)
				lo, n = l, h-l+1
				ls[i].Offset -= lo
			}
		case a.span:
			if a.lo < 0 || a.n < 0 {
				return opError(op, "negative range [%d, +%d) of %s", a.lo, a.n, a.what)
			}
			if err := need(op, cb, a.lo+a.n, a.what); err != nil {
				return err
			}
			lo, n = a.lo, a.n
		}
		tmp, err := be.halfScratch(n)
		if err != nil {
			return err
		}
		bs[i] = tmp
		if a.role != out {
			widenSpan(slice[float32](tmp), cb, lo)
		}
		if a.role != in {
			backs = append(backs, writeBack{cb, tmp, lo})
		}
	}
	if err := kernel(bs, ls); err != nil {
		return err
	}
	for _, w := range backs {
		narrowSpan(w.dst, w.lo, slice[float32](w.tmp))
	}
	return nil
}

// halfPools recycle the float32 stand-ins by size class (a power of
// two): a fresh Go slice would be zeroed and collected on every op, which
// cost more than the conversions themselves, and every stand-in is fully
// written (widened, or an output the kernel overwrites) before it is read.
// They are transient and not counted in Memory, like the temporaries of
// the float32 kernels.
var halfPools [64]sync.Pool

// halfScratch returns a float32 buffer of n elements, contents undefined.
// A new one must fit under the memory limit, as Alloc's do, so a half op
// too large for the machine fails with device.ErrOutOfMemory.
func (be *Backend) halfScratch(n int) (*Buffer, error) {
	class := bits.Len(uint(n))
	var data []float32
	if p, ok := halfPools[class].Get().(*[]float32); ok {
		data = (*p)[:n]
	} else {
		if err := be.admit(device.Float32, 1<<class-1); err != nil {
			return nil, err
		}
		data = make([]float32, n, 1<<class-1)
	}
	return &Buffer{dt: device.Float32, n: n, data: data, acct: &account{be: be}}, nil
}

// putHalfScratch returns a stand-in from halfScratch to its pool.
func putHalfScratch(b *Buffer) {
	data := b.data.([]float32)
	b.data = nil
	halfPools[bits.Len(uint(cap(data)))].Put(&data)
}

// widenSpan widens len(dst) elements of the half buffer b from lo.
func widenSpan(dst []float32, b *Buffer, lo int) {
	parallelFor(len(dst), 1, func(i, j int) {
		switch s := b.data.(type) {
		case []device.BF16:
			widen(dst[i:j], s[lo+i:lo+j])
		case []device.F16:
			widen(dst[i:j], s[lo+i:lo+j])
		}
	})
}

// narrowSpan rounds src into the half buffer b from lo.
func narrowSpan(b *Buffer, lo int, src []float32) {
	parallelFor(len(src), 2, func(i, j int) {
		switch d := b.data.(type) {
		case []device.BF16:
			narrow(d[lo+i:lo+j], src[i:j])
		case []device.F16:
			narrow(d[lo+i:lo+j], src[i:j])
		}
	})
}

// whole returns in-args for the whole of each buffer.
func whole(what string, bs ...device.Buffer) []halfArg {
	out := make([]halfArg, len(bs))
	for i, b := range bs {
		out[i] = halfArg{b: b, what: what}
	}
	return out
}

// call adapts a float32 kernel of plain buffers to onHalf's callback.
func call(f func(bs []device.Buffer) error) func([]device.Buffer, []device.Layout) error {
	return func(bs []device.Buffer, _ []device.Layout) error { return f(bs) }
}

func (be *Backend) unaryHalf(dt device.DType, name string, op device.UnaryOp, p float64, dst, src device.Buffer, sl device.Layout) error {
	args := []halfArg{{b: src, what: "src", l: &sl}, {b: dst, role: out, what: "dst", span: true, n: sl.Size()}}
	return be.onHalf(name, dt, args, func(bs []device.Buffer, ls []device.Layout) error {
		return be.Unary(op, p, bs[1], bs[0], ls[0])
	})
}

func (be *Backend) binaryHalf(dt device.DType, name string, op device.BinaryOp, p float64, dst, a device.Buffer, al device.Layout, b device.Buffer, bl device.Layout) error {
	if err := sameShape(name, al, bl); err != nil {
		return err
	}
	cmp := op.IsCompare()
	args := []halfArg{
		{b: a, what: "a", l: &al, passFloat: cmp},
		{b: b, what: "b", l: &bl, passFloat: cmp},
		{b: dst, role: out, what: "dst", span: true, n: al.Size(), passFloat: cmp},
	}
	return be.onHalf(name, dt, args, func(bs []device.Buffer, ls []device.Layout) error {
		return be.Binary(op, p, bs[2], bs[0], ls[0], bs[1], ls[1])
	})
}

func (be *Backend) whereHalf(dt device.DType, dst, cond device.Buffer, cl device.Layout, a device.Buffer, al device.Layout, b device.Buffer, bl device.Layout) error {
	if err := sameShape("Where", cl, al); err != nil {
		return err
	}
	if err := sameShape("Where", cl, bl); err != nil {
		return err
	}
	args := []halfArg{
		{b: cond, what: "cond", l: &cl}, {b: a, what: "a", l: &al}, {b: b, what: "b", l: &bl},
		{b: dst, role: out, what: "dst", span: true, n: cl.Size()},
	}
	return be.onHalf("Where", dt, args, func(bs []device.Buffer, ls []device.Layout) error {
		return be.Where(bs[3], bs[0], ls[0], bs[1], ls[1], bs[2], ls[2])
	})
}

func (be *Backend) reduceHalf(dt device.DType, name string, op device.ReduceOp, dst, src device.Buffer, sl device.Layout, nreduce int) error {
	if nreduce < 0 || nreduce > sl.Rank() {
		return opError(name, "cannot reduce %d dims of a rank-%d layout", nreduce, sl.Rank())
	}
	outer := device.Numel(sl.Shape[:sl.Rank()-nreduce])
	args := []halfArg{{b: src, what: "src", l: &sl}, {b: dst, role: out, what: "dst", span: true, n: outer}}
	return be.onHalf(name, dt, args, func(bs []device.Buffer, ls []device.Layout) error {
		return be.Reduce(op, bs[1], bs[0], ls[0], nreduce)
	})
}

// matMulHalf runs a product of half A and B in float32: the elements
// each operand spans are widened, the float32 GEMM accumulates, and C is
// rounded to A's type or, when C is Float32, receives the sums unrounded.
func (be *Backend) matMulHalf(dt device.DType, a device.MatMulArgs) error {
	const name = "MatMul"
	if a.Batch < 0 || a.M < 0 || a.N < 0 || a.K < 0 {
		return opError(name, "negative size: batch %d, %d×%d×%d", a.Batch, a.M, a.N, a.K)
	}
	args := []halfArg{
		{b: a.A, what: "A", span: true},
		{b: a.B, what: "B", span: true},
		{b: a.C, role: out, what: "C", span: true, n: a.Batch * a.M * a.N, passFloat: true},
	}
	if a.Batch > 0 && a.M > 0 && a.N > 0 && a.K > 0 {
		for i, op := range []struct {
			off, stride, ld, rows, cols int
		}{
			{a.AOffset, a.AStride, a.LDA, a.M, a.K},
			{a.BOffset, a.BStride, a.LDB, a.K, a.N},
		} {
			rows, cols := op.rows, op.cols
			if i == 0 && a.TransA || i == 1 && a.TransB {
				rows, cols = cols, rows
			}
			if op.off < 0 || op.stride < 0 || op.ld < 0 {
				return opError(name, "%s has negative offset %d, batch stride %d or leading dimension %d", args[i].what, op.off, op.stride, op.ld)
			}
			args[i].lo, args[i].n = op.off, (a.Batch-1)*op.stride+(rows-1)*op.ld+cols
		}
	}
	if c, ok := a.C.(*Buffer); ok && c != nil && c.dt == device.Float64 {
		return opError(name, "C is float64; half inputs write %v or float32", dt)
	}
	return be.onHalf(name, dt, args, func(bs []device.Buffer, _ []device.Layout) error {
		f := a
		f.A, f.B, f.C = bs[0], bs[1], bs[2]
		f.AOffset, f.BOffset = 0, 0
		return be.MatMul(f)
	})
}

// plainHalf runs op, whose buffers are plain (contiguous, no layouts),
// on float32 stand-ins: outs are read and written whole (an output may be
// longer than the op writes, and what it does not write must survive),
// ins are read. Callers list outs first.
func (be *Backend) plainHalf(op string, dt device.DType, outs, ins []device.Buffer, f func(bs []device.Buffer) error) error {
	args := whole("output", outs...)
	for i := range args {
		args[i].role = inout
	}
	args = append(args, whole("input", ins...)...)
	return be.onHalf(op, dt, args, call(f))
}

// randHalf draws float32s and rounds them: a Uniform draw just below hi
// may round to hi, as PyTorch's half-precision uniform_ does.
func (be *Backend) randHalf(dt device.DType, dst device.Buffer, n int, dist device.Dist, seed, offset uint64, a, b float64) error {
	args := []halfArg{{b: dst, role: out, what: "dst", span: true, n: n}}
	return be.onHalf("Rand", dt, args, call(func(bs []device.Buffer) error {
		return be.Rand(bs[0], n, dist, seed, offset, a, b)
	}))
}
