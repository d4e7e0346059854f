package cuda

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Elementwise kernels come in two forms: <op>_vec_<dt> when every operand
// is contiguous and 16-byte aligned (one thread per 16-byte pack), and
// <op>_<dt>, which walks Strided descriptors of the collapsed layouts
// (one thread per element).

// floatOnly rejects Int32 for the float-only ops.
func floatOnly(op string, dt device.DType) error {
	if !dt.IsFloat() {
		return opErr(op, "not supported for %v", dt)
	}
	return nil
}

// Unary computes dst[i] = op(src[i]; p) for float dtypes with kernel
// <op>_<dt> or <op>_vec_<dt> (unary.cu).
func (b *Backend) Unary(op device.UnaryOp, p float64, dst device.Buffer, src device.Buffer, sl device.Layout) error {
	name := "Unary " + op.String()
	if op >= device.UnaryOp(len(device.UnaryOps())) {
		return opErr(name, "unknown op %d", op)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.buf(name, src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	d, err := b.buf(name, dst, s.dt, "dst")
	if err != nil {
		return err
	}
	if err := floatOnly(name, s.dt); err != nil {
		return err
	}
	if err := checkLayout(name, sl, s.n, "src"); err != nil {
		return err
	}
	n := sl.Size()
	if err := need(name, d, n, "dst"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	c := collapse(sl.Shape, sl)[0]
	kern, sfx, ps := op.String(), s.dt.Suffix(), scalar(s.dt, p)
	if c.contiguous() && aligned(d.ptr) && aligned(s.at(c.offset)) {
		return b.launch(modUnary, kern+"_vec_"+sfx, b.grid1D(vecItems(n, s.dt)), d.ptr, s.at(c.offset), int64(n), ps)
	}
	return b.launch(modUnary, kern+"_"+sfx, b.grid1D(n), d.ptr, s.ptr, c.bytes(), int64(n), ps)
}

// Binary computes dst[i] = op(a[i], b[i]; p) with kernel <op>_<dt> or
// <op>_vec_<dt> (binary.cu). Int32 supports the arithmetic and comparison
// ops. A comparison may write into a dst of another dtype (as the CPU
// backend allows): it runs in the inputs' dtype into scratch and is cast.
//
// An int32 division by zero writes 0 and sets a device status word; the
// error is returned by the next Sync or Read, not by Binary.
func (b *Backend) Binary(op device.BinaryOp, p float64, dst device.Buffer, a device.Buffer, al device.Layout, bb device.Buffer, bl device.Layout) error {
	name := "Binary " + op.String()
	if op >= device.BinaryOp(len(device.BinaryOps())) {
		return opErr(name, "unknown op %d", op)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	x, err := b.buf(name, a, dtypeOf(a), "a")
	if err != nil {
		return err
	}
	y, err := b.buf(name, bb, x.dt, "b")
	if err != nil {
		return err
	}
	d, err := b.buf(name, dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	if d.dt != x.dt && !op.IsCompare() {
		return opErr(name, "dst is %v, inputs are %v", d.dt, x.dt)
	}
	if x.dt == device.Int32 && op > device.Ge {
		return opErr(name, "not supported for %v", x.dt)
	}
	if err := sameShape(name, al, bl); err != nil {
		return err
	}
	if err := checkLayout(name, al, x.n, "a"); err != nil {
		return err
	}
	if err := checkLayout(name, bl, y.n, "b"); err != nil {
		return err
	}
	n := al.Size()
	if err := need(name, d, n, "dst"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if d.dt == x.dt {
		return b.binary(op, p, d, x, al, y, bl, n)
	}
	tmp, err := b.scratch(x.dt, n)
	if err != nil {
		return err
	}
	defer b.release(tmp)
	if err := b.binary(op, p, tmp, x, al, y, bl, n); err != nil {
		return err
	}
	return b.cast(d, tmp, flat(n), n)
}

// binary launches one binary kernel into contiguous d; the caller holds b.mu.
func (b *Backend) binary(op device.BinaryOp, p float64, d, x *Buffer, al device.Layout, y *Buffer, bl device.Layout, n int) error {
	c := collapse(al.Shape, al, bl)
	kern, sfx := op.String(), x.dt.Suffix()
	var last any = scalar(x.dt, p)
	if op == device.Div && x.dt == device.Int32 {
		w, err := b.statusWord()
		if err != nil {
			return err
		}
		last = w
	}
	if c[0].contiguous() && c[1].contiguous() && aligned(d.ptr) && aligned(x.at(c[0].offset)) && aligned(y.at(c[1].offset)) {
		return b.launch(modBinary, kern+"_vec_"+sfx, b.grid1D(vecItems(n, x.dt)), d.ptr, x.at(c[0].offset), y.at(c[1].offset), int64(n), last)
	}
	return b.launch(modBinary, kern+"_"+sfx, b.grid1D(n), d.ptr, x.ptr, c[0].bytes(), y.ptr, c[1].bytes(), int64(n), last)
}

// Where computes dst[i] = cond[i] != 0 ? a[i] : b[i] with kernel where_<dt>
// or where_vec_<dt> (binary.cu); every dtype, all buffers sharing it.
func (b *Backend) Where(dst device.Buffer, cond device.Buffer, cl device.Layout, a device.Buffer, al device.Layout, bb device.Buffer, bl device.Layout) error {
	const name = "Where"
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf(name, dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	ins := make([]*Buffer, 3)
	ls := []device.Layout{cl, al, bl}
	for i, x := range []device.Buffer{cond, a, bb} {
		what := []string{"cond", "a", "b"}[i]
		if ins[i], err = b.buf(name, x, d.dt, what); err != nil {
			return err
		}
		if err := checkLayout(name, ls[i], ins[i].n, what); err != nil {
			return err
		}
	}
	if err := sameShape(name, ls...); err != nil {
		return err
	}
	n := cl.Size()
	if err := need(name, d, n, "dst"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	c := collapse(cl.Shape, ls...)
	sfx := d.dt.Suffix()
	vec := aligned(d.ptr)
	ptrs := make([]driver.DevPtr, 3)
	for i := range ins {
		ptrs[i] = ins[i].at(c[i].offset)
		vec = vec && c[i].contiguous() && aligned(ptrs[i])
	}
	if vec {
		return b.launch(modBinary, "where_vec_"+sfx, b.grid1D(vecItems(n, d.dt)), d.ptr, ptrs[0], ptrs[1], ptrs[2], int64(n))
	}
	return b.launch(modBinary, "where_"+sfx, b.grid1D(n), d.ptr,
		ins[0].ptr, c[0].bytes(), ins[1].ptr, c[1].bytes(), ins[2].ptr, c[2].bytes(), int64(n))
}
