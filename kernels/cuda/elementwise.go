package cuda

import (
	"fmt"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Elementwise kernels come in two forms: <op>_vec_<dt> when every operand
// is contiguous and 16-byte aligned (one thread per 16-byte pack), and
// <op>_<dt>, which walks Strided descriptors of the collapsed layouts
// (one thread per element).

// Op names as errors give them ("Binary Add"), built once so that no
// call concatenates one.
var (
	unaryNames  = opNames("Unary ", device.UnaryOps())
	binaryNames = opNames("Binary ", device.BinaryOps())
	reduceNames = opNames("Reduce ", device.ReduceOps())
)

// opNames prefixes the name of each op.
func opNames[Op fmt.Stringer](prefix string, ops []Op) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = prefix + op.String()
	}
	return out
}

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
	if op >= device.UnaryOp(len(unaryNames)) {
		return opErr("Unary "+op.String(), "unknown op %d", op)
	}
	name := unaryNames[op]
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
	kern, sfx := op.String(), s.dt.Suffix()
	a := b.args()
	if c.contiguous() && aligned(d.ptr) && aligned(s.at(c.offset)) {
		a.Ptr(d.ptr)
		a.Ptr(s.at(c.offset))
		a.Int64(int64(n))
		putScalar(a, s.dt, p)
		items := vecItems(n, s.dt)
		if s.dt.IsHalf() {
			items = (n + 3) / 4 // unary.cu: 4 halves per access
		}
		return b.launch(modUnary, kname{kern, "_vec_", sfx}, b.grid1D(items))
	}
	a.Ptr(d.ptr)
	a.Ptr(s.ptr)
	c.put(a)
	a.Int64(int64(n))
	putScalar(a, s.dt, p)
	return b.launch(modUnary, kname{kern, "_", sfx}, b.grid1D(n))
}

// Binary computes dst[i] = op(a[i], b[i]; p) with kernel <op>_<dt> or
// <op>_vec_<dt> (binary.cu). Int32 supports the arithmetic and comparison
// ops. A comparison may write into a dst of another dtype (as the CPU
// backend allows): it runs in the inputs' dtype into scratch and is cast.
//
// An int32 division by zero writes 0 and sets a device status word; the
// error is returned by the next Sync or Read, not by Binary.
func (b *Backend) Binary(op device.BinaryOp, p float64, dst device.Buffer, a device.Buffer, al device.Layout, bb device.Buffer, bl device.Layout) error {
	if op >= device.BinaryOp(len(binaryNames)) {
		return opErr("Binary "+op.String(), "unknown op %d", op)
	}
	name := binaryNames[op]
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
	var status driver.DevPtr
	if op == device.Div && x.dt == device.Int32 {
		w, err := b.statusWord()
		if err != nil {
			return err
		}
		status = w
	}
	// last is the kernel's final parameter: the status word of an int32
	// division, the op's scalar otherwise.
	last := func(a *driver.Args) {
		if status != 0 {
			a.Ptr(status)
		} else {
			putScalar(a, x.dt, p)
		}
	}
	a := b.args()
	if c[0].contiguous() && c[1].contiguous() && aligned(d.ptr) && aligned(x.at(c[0].offset)) && aligned(y.at(c[1].offset)) {
		a.Ptr(d.ptr)
		a.Ptr(x.at(c[0].offset))
		a.Ptr(y.at(c[1].offset))
		a.Int64(int64(n))
		last(a)
		return b.launch(modBinary, kname{kern, "_vec_", sfx}, b.grid1D(vecItems(n, x.dt)))
	}
	a.Ptr(d.ptr)
	a.Ptr(x.ptr)
	c[0].put(a)
	a.Ptr(y.ptr)
	c[1].put(a)
	a.Int64(int64(n))
	last(a)
	return b.launch(modBinary, kname{kern, "_", sfx}, b.grid1D(n))
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
	var ins [3]*Buffer
	ls := [3]device.Layout{cl, al, bl}
	xs := [3]device.Buffer{cond, a, bb}
	whats := [3]string{"cond", "a", "b"}
	for i, x := range xs {
		if ins[i], err = b.buf(name, x, d.dt, whats[i]); err != nil {
			return err
		}
		if err := checkLayout(name, ls[i], ins[i].n, whats[i]); err != nil {
			return err
		}
	}
	if err := sameShape(name, ls[:]...); err != nil {
		return err
	}
	n := cl.Size()
	if err := need(name, d, n, "dst"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	c := collapse(cl.Shape, ls[:]...)
	sfx := d.dt.Suffix()
	vec := aligned(d.ptr)
	var ptrs [3]driver.DevPtr
	for i := range ins {
		ptrs[i] = ins[i].at(c[i].offset)
		vec = vec && c[i].contiguous() && aligned(ptrs[i])
	}
	args := b.args()
	args.Ptr(d.ptr)
	if vec {
		for _, p := range ptrs {
			args.Ptr(p)
		}
		args.Int64(int64(n))
		return b.launch(modBinary, kname{"where_vec_", sfx}, b.grid1D(vecItems(n, d.dt)))
	}
	for i := range ins {
		args.Ptr(ins[i].ptr)
		c[i].put(args)
	}
	args.Int64(int64(n))
	return b.launch(modBinary, kname{"where_", sfx}, b.grid1D(n))
}
