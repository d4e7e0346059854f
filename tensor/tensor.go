package tensor

import (
	"runtime"
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// Tensor is a strided view of a buffer on one device. Tensors are
// immutable through ops (each op returns a new tensor); the few in-place
// methods (Assign, Fill, the optimizer steps) say so.
type Tensor struct {
	dtype   device.DType
	shape   []int
	strides []int
	offset  int
	st      *storage
}

// storage is a buffer shared by a tensor and its views; on a device the
// collector cannot see, it goes back to its backend when the last of them
// is collected.
type storage struct {
	buf device.Buffer
	be  device.Backend
}

// Elem is the set of Go element types a tensor can be built from: a
// device.BF16 or device.F16 slice holds the 16-bit patterns of a BFloat16
// or Float16 tensor (device.BF16s and device.F16s round float32s to them;
// New(float32s).Cast(dt) does the same on the device).
type Elem interface {
	float32 | float64 | int32 | device.BF16 | device.F16
}

func dtypeOf[T Elem]() device.DType {
	var z T
	switch any(z).(type) {
	case float64:
		return device.Float64
	case int32:
		return device.Int32
	case device.BF16:
		return device.BFloat16
	case device.F16:
		return device.Float16
	}
	return device.Float32
}

func backendOf(op string, dev device.Device) device.Backend {
	be, err := device.Open(dev)
	if err != nil {
		panic(&Error{Op: op, Msg: "cannot open device " + dev.String(), Kind: ErrDevice, Err: err})
	}
	return be
}

// numel returns the number of elements of shape, panicking with an
// *Error naming op and operands when a dimension is negative or the count
// would not fit an int (device.CheckedNumel): every shape a tensor can
// take passes here first, so later products of its dims cannot wrap.
func numel(op string, operands []*Tensor, shape []int) int {
	n, ok := device.CheckedNumel(shape)
	if !ok {
		if slices.ContainsFunc(shape, func(d int) bool { return d < 0 }) {
			fail(ErrShape, op, operands, "negative dimension in shape %v", shape)
		}
		fail(ErrShape, op, operands, "shape %v has more elements than an int can count", shape)
	}
	return n
}

// inlineRank is the largest rank whose shape and strides alloc keeps in
// the tensor's own allocation.
const inlineRank = 4

// block is what alloc makes in one heap allocation: the storage, the
// first tensor viewing it, and room for that tensor's shape and strides.
// Views made later point into it, which keeps it alive.
type block struct {
	st   storage
	t    Tensor
	dims [2 * inlineRank]int
}

// freeBuffer is the cleanup of a device buffer's storage.
type freeBuffer struct {
	be  device.Backend
	buf device.Buffer
}

// alloc returns a new contiguous tensor of shape on be; its contents are
// undefined. It costs one allocation besides the backend's (the queueing
// of an op is on every op's path).
func alloc(op string, be device.Backend, dt device.DType, shape []int) *Tensor {
	buf, err := be.Alloc(dt, numel(op, nil, shape))
	if err != nil {
		panic(&Error{Op: op, Msg: "allocating " + fmtShape(shape) + " " + dt.String() + " on " + be.Device().String(), Err: err})
	}
	b := &block{st: storage{buf: buf, be: be}}
	if gc, ok := be.(device.GarbageCollected); !ok || !gc.GarbageCollected() {
		// Device memory is invisible to the collector: hand it back when
		// the last view of it is gone. A cleanup, unlike a finalizer, runs
		// even though the block points to itself.
		runtime.AddCleanup(&b.st, func(f freeBuffer) { f.be.Free(f.buf) }, freeBuffer{be, buf})
	}
	r := len(shape)
	var dims []int
	if r <= inlineRank {
		dims = b.dims[: 2*r : 2*r]
	} else {
		dims = make([]int, 2*r)
	}
	copy(dims, shape)
	strides := dims[r:]
	stride := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = stride
		stride *= shape[i]
	}
	b.t = Tensor{dtype: dt, shape: dims[:r:r], strides: strides, st: &b.st}
	return &b.t
}

// freeCopies hands the buffers of an op's temporaries back to their
// backend as soon as the op is queued, instead of leaving them to the
// garbage collector: pairs are (copy, original), and a copy is freed only
// when it has a storage of its own (Contiguous of a dense tensor returns
// the tensor itself). On a device this is stream-ordered: the kernels
// reading the copy were queued first, and later work reusing the block
// runs after them. The copies must not be used afterwards.
func freeCopies(pairs ...*Tensor) {
	for i := 0; i+1 < len(pairs); i += 2 {
		c, orig := pairs[i], pairs[i+1]
		if c != nil && orig != nil && c.st != orig.st {
			c.st.be.Free(c.st.buf)
		}
	}
}

// like allocates a contiguous tensor on t's device.
func (t *Tensor) like(op string, dt device.DType, shape []int) *Tensor {
	nonNil(op, t)
	return alloc(op, t.st.be, dt, shape)
}

// DType returns the element type.
func (t *Tensor) DType() device.DType {
	nonNil("DType", t)
	return t.dtype
}

// Shape returns a copy of the dimensions: an empty, non-nil slice for a
// rank-0 tensor, so that NewOn(dev, data, t.Shape()...) rebuilds a scalar
// as a scalar (a nil shape would mean 1-D).
func (t *Tensor) Shape() []int {
	nonNil("Shape", t)
	return append([]int{}, t.shape...)
}

// Strides returns a copy of the element strides (non-nil, as Shape).
func (t *Tensor) Strides() []int {
	nonNil("Strides", t)
	return append([]int{}, t.strides...)
}

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int {
	nonNil("Rank", t)
	return len(t.shape)
}

// Dim returns the size of axis (negative counts from the end).
func (t *Tensor) Dim(axis int) int {
	nonNil("Dim", t)
	return t.shape[t.axis("Dim", axis)]
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int {
	nonNil("Numel", t)
	return device.Numel(t.shape)
}

// Device returns where the tensor lives.
func (t *Tensor) Device() device.Device {
	nonNil("Device", t)
	return t.st.be.Device()
}

// Backend returns the backend that runs t's ops.
func (t *Tensor) Backend() device.Backend {
	nonNil("Backend", t)
	return t.st.be
}

// IsContiguous reports whether t is in row-major order without gaps.
func (t *Tensor) IsContiguous() bool {
	nonNil("IsContiguous", t)
	return t.layout().IsContiguous()
}

// layout returns t's view of its buffer.
func (t *Tensor) layout() device.Layout {
	return device.Layout{Shape: t.shape, Strides: t.strides, Offset: t.offset}
}

// view returns a tensor sharing t's storage with a new geometry.
func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	return &Tensor{dtype: t.dtype, shape: shape, strides: strides, offset: offset, st: t.st}
}

// axis normalises a possibly negative axis, panicking when out of range.
func (t *Tensor) axis(op string, a int) int {
	r := len(t.shape)
	if a < -r || a >= r {
		fail(ErrIndex, op, []*Tensor{t}, "axis %d out of range for rank %d", a, r)
	}
	if a < 0 {
		a += r
	}
	return a
}

// sameDevice panics unless all tensors share one device and returns its
// backend.
func sameDevice(op string, ts ...*Tensor) device.Backend {
	be := ts[0].st.be
	for _, u := range ts[1:] {
		if u.st.be != be {
			fail(ErrDevice, op, ts, "operands are on different devices (%v and %v); move one with To", ts[0].Device(), u.Device())
		}
	}
	return be
}

// sameDType panics unless all tensors share one dtype.
func sameDType(op string, ts ...*Tensor) {
	for _, u := range ts[1:] {
		if u.dtype != ts[0].dtype {
			fail(ErrDType, op, ts, "dtypes differ (%v and %v); convert one with Cast", ts[0].dtype, u.dtype)
		}
	}
}

func requireFloat(op string, ts ...*Tensor) {
	for _, u := range ts {
		if !u.dtype.IsFloat() {
			fail(ErrDType, op, ts, "needs a float tensor, got %v", u.dtype)
		}
	}
}

// dense reports whether t covers its whole buffer in row-major order from
// its start: the form kernels that take plain buffers need, and the one
// the fused in-place optimizer updates write.
func (t *Tensor) dense() bool {
	return t.offset == 0 && t.layout().IsContiguous() && t.st.buf.Len() == t.Numel()
}

// To returns t on dev: t itself when it is already there, else a copy
// through host memory.
func (t *Tensor) To(dev device.Device) *Tensor {
	nonNil("To", t)
	if t.Device() == dev {
		return t
	}
	be := backendOf("To", dev)
	src := t.Contiguous()
	out := alloc("To", be, t.dtype, t.shape)
	var err error
	switch t.dtype {
	case device.Float32:
		err = transfer[float32](out, src)
	case device.Float64:
		err = transfer[float64](out, src)
	case device.Int32:
		err = transfer[int32](out, src)
	case device.BFloat16:
		err = transfer[device.BF16](out, src)
	case device.Float16:
		err = transfer[device.F16](out, src)
	}
	check("To", err, t, src)
	freeCopies(src, t)
	return out
}

// transfer copies the contiguous src into out on another device through
// a host slice of their dtype (half types travel as their bit patterns).
func transfer[T Elem](out, src *Tensor) error {
	h := make([]T, src.Numel())
	if err := src.st.be.Read(h, src.st.buf); err != nil {
		return err
	}
	return out.st.be.Write(out.st.buf, h)
}

// hostCopy returns t's elements in row-major order as a []T of t's dtype.
func hostCopy[T Elem](t *Tensor) []T {
	src := t.Contiguous()
	h := make([]T, t.Numel())
	check("host copy", src.st.be.Read(h, src.st.buf), t, src)
	freeCopies(src, t)
	return h
}

// Float32s copies t to host memory in row-major order, converting to
// float32 if t has another dtype.
func (t *Tensor) Float32s() []float32 {
	nonNil("Float32s", t)
	if t.dtype != device.Float32 {
		return t.Cast(device.Float32).Float32s()
	}
	return hostCopy[float32](t)
}

// Float64s copies t to host memory as float64s.
func (t *Tensor) Float64s() []float64 {
	nonNil("Float64s", t)
	if t.dtype != device.Float64 {
		return t.Cast(device.Float64).Float64s()
	}
	return hostCopy[float64](t)
}

// BF16s copies t to host memory as bfloat16 bit patterns, converting
// (rounding to nearest even) if t has another dtype.
func (t *Tensor) BF16s() []device.BF16 {
	nonNil("BF16s", t)
	if t.dtype != device.BFloat16 {
		return t.Cast(device.BFloat16).BF16s()
	}
	return hostCopy[device.BF16](t)
}

// F16s copies t to host memory as float16 bit patterns, converting
// (rounding to nearest even) if t has another dtype.
func (t *Tensor) F16s() []device.F16 {
	nonNil("F16s", t)
	if t.dtype != device.Float16 {
		return t.Cast(device.Float16).F16s()
	}
	return hostCopy[device.F16](t)
}

// Int32s copies t to host memory as int32s (floats truncate toward zero).
func (t *Tensor) Int32s() []int32 {
	nonNil("Int32s", t)
	if t.dtype != device.Int32 {
		return t.Cast(device.Int32).Int32s()
	}
	return hostCopy[int32](t)
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float64 {
	nonNil("Item", t)
	if t.Numel() != 1 {
		fail(ErrShape, "Item", []*Tensor{t}, "needs exactly one element, have %d", t.Numel())
	}
	return t.Float64s()[0]
}

// At returns the element of t at one position per axis (negative ones
// count from the end), copying that element alone to the host.
func (t *Tensor) At(pos ...int) float64 {
	if len(pos) != t.Rank() {
		fail(ErrIndex, "At", []*Tensor{t}, "needs %d positions, one per axis, got %d", t.Rank(), len(pos))
	}
	return t.index("At", pos).Item()
}
