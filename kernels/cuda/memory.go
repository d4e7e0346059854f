package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Buffer is device memory holding Len elements of one dtype.
type Buffer struct {
	owner *Backend
	dt    device.DType
	n     int
	ptr   driver.DevPtr // 0 for an empty buffer
	size  int           // bytes reserved by the allocator
	freed bool          // guarded by owner.mu
}

// DType returns the element type.
func (b *Buffer) DType() device.DType { return b.dt }

// Len returns the number of elements.
func (b *Buffer) Len() int { return b.n }

// at is the device address of element i.
func (b *Buffer) at(i int) driver.DevPtr {
	return b.ptr + driver.DevPtr(i*b.dt.Size())
}

// errFreed is wrapped by errors about buffers used after Free.
var errFreed = errors.New("buffer used after Free")

// putScalar appends v as the kernel parameter type of dt (int32
// truncates toward zero and saturates, NaN giving 0, as Cast does). The
// half kernels compute in float32 and take their scalars as float32.
func putScalar(a *driver.Args, dt device.DType, v float64) {
	switch dt {
	case device.Float32, device.BFloat16, device.Float16:
		a.Float32(float32(v))
	case device.Float64:
		a.Float64(v)
	default:
		a.Int32(saturate(v))
	}
}

// saturate converts v to int32 as Cast does.
func saturate(v float64) int32 {
	switch {
	case v != v:
		return 0
	case v >= math.MaxInt32:
		return math.MaxInt32
	case v <= math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}

// buf checks that x is a live buffer of this backend with dtype dt.
// The caller holds b.mu.
func (b *Backend) buf(op string, x device.Buffer, dt device.DType, what string) (*Buffer, error) {
	cb, ok := x.(*Buffer)
	switch {
	case x == nil || (ok && cb == nil):
		return nil, opErr(op, "%s is a nil buffer", what)
	case !ok:
		return nil, opErr(op, "%s of type %T is not a %v buffer", what, x, b.dev)
	case cb.owner != b:
		return nil, opErr(op, "%s belongs to %v, not %v", what, cb.owner.dev, b.dev)
	case cb.freed:
		return nil, fmt.Errorf("cuda: %s: %s: %w", op, what, errFreed)
	case cb.dt != dt:
		return nil, opErr(op, "%s is %v, want %v", what, cb.dt, dt)
	}
	return cb, nil
}

// need checks that x holds at least n elements.
func need(op string, x *Buffer, n int, what string) error {
	if n < 0 {
		return opErr(op, "negative size %d for %s", n, what)
	}
	if x.n < n {
		return opErr(op, "%s needs %d elements, buffer has %d", what, n, x.n)
	}
	return nil
}

// Alloc returns an uninitialised buffer of n elements from the caching
// allocator. When the device is full it empties the cache, runs a GC so
// that finalizers return dead buffers, and retries once.
func (b *Backend) Alloc(dt device.DType, n int) (device.Buffer, error) {
	if n < 0 {
		return nil, opErr("Alloc", "negative length %d", n)
	}
	if !dt.IsFloat() && dt != device.Int32 {
		return nil, opErr("Alloc", "unknown dtype %v", dt)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.scratch(dt, n)
}

// DefaultGCPressure is the least device garbage, in bytes, that makes the
// backend run a garbage collection (see SetGCPressure).
const DefaultGCPressure = 64 << 20

// SetGCPressure sets how many bytes the allocator may hand out since the
// last garbage collection before a request the cache cannot serve makes
// the backend collect first: p = max(bytes, half of what was live right
// after that collection); or p/2 when two blocks of the requested size
// went out since (a training step's garbage of that size is waiting).
//
// Device buffers of tensors nobody references come back when the Go
// garbage collector finds them, but the collector is paced by the Go heap,
// which a GPU training loop barely touches: without this, device garbage
// could pile up for hundreds of steps. With it the cache is restocked
// whenever it runs dry after the threshold's worth of allocations, so a
// steady training loop stops asking the driver for memory and holds about
// its live bytes plus the threshold. Smaller values collect more often;
// 0 restores the default.
func (b *Backend) SetGCPressure(bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bytes <= 0 {
		bytes = DefaultGCPressure
	}
	b.gcPressure = bytes
}

// reserve gets bytes from the allocator. When the cache cannot serve the
// request and the driver has given out more than the pressure threshold
// since the last collection, it collects garbage first; when the device is
// full it empties the cache, collects, and retries once. The caller holds
// b.mu, which is released while the GC runs so that finalizers can Free.
func (b *Backend) reserve(bytes int) (driver.DevPtr, int, error) {
	if bytes > 0 && !b.alloc.cached(bytes) && b.alloc.worthCollecting(bytes, b.gcPressure) {
		b.collectLocked()
	}
	p, size, err := b.alloc.get(bytes)
	if err == nil {
		return p, size, nil
	}
	if !errors.Is(err, driver.ErrOutOfMemory) {
		return 0, 0, fmt.Errorf("cuda: allocate %d bytes: %w", bytes, err)
	}
	b.collectLocked()
	if p, size, err = b.alloc.get(bytes); err == nil {
		return p, size, nil
	}
	if !errors.Is(err, driver.ErrOutOfMemory) {
		return 0, 0, fmt.Errorf("cuda: allocate %d bytes: %w", bytes, err)
	}
	st := b.alloc.st
	return 0, 0, fmt.Errorf("cuda: %w: %d bytes requested (%d reserved) with %d live, %d cached, peak %d, after emptying the cache and a GC: %w",
		ErrOutOfMemory, bytes, binSize(bytes), st.Live, st.Cached, st.Peak, err)
}

// EmptyCache returns every cached block to the driver (as PyTorch's
// torch.cuda.empty_cache): live buffers are untouched, and the next
// allocations ask the driver again.
func (b *Backend) EmptyCache() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.alloc.release()
}

// collectLocked runs a garbage collection with b.mu released, so that the
// finalizers of dead tensors can return their buffers to the cache.
func (b *Backend) collectLocked() {
	b.mu.Unlock()
	b.collect()
	b.mu.Lock()
	b.alloc.collected()
}

// scratch allocates a temporary buffer for one op. The caller holds b.mu
// and hands the buffer back with release as soon as the kernels using it
// are queued: later work that reuses the block runs after them in stream
// order.
func (b *Backend) scratch(dt device.DType, n int) (*Buffer, error) {
	bytes, ok := dt.Bytes(n)
	if !ok || bytes > maxRequest {
		return nil, fmt.Errorf("cuda: %w: %d %v elements are more bytes than an int can count", ErrOutOfMemory, n, dt)
	}
	p, size, err := b.reserve(bytes)
	if err != nil {
		return nil, err
	}
	return &Buffer{owner: b, dt: dt, n: n, ptr: p, size: size}, nil
}

// release returns a scratch buffer; the caller holds b.mu.
func (b *Backend) release(x *Buffer) {
	x.freed = true
	b.alloc.put(x.ptr, x.size)
}

// Free returns x to the allocator's cache. Freeing twice, or freeing a
// buffer of another backend, does nothing.
func (b *Backend) Free(x device.Buffer) {
	cb, ok := x.(*Buffer)
	if !ok || cb == nil || cb.owner != b {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !cb.freed {
		b.release(cb)
	}
}

// hostBytes views a host slice of dtype dt and length n as bytes.
func hostBytes(op string, host any, dt device.DType, n int) ([]byte, error) {
	var p unsafe.Pointer
	var got int
	var hdt device.DType
	switch h := host.(type) {
	case []float32:
		p, got, hdt = unsafe.Pointer(unsafe.SliceData(h)), len(h), device.Float32
	case []float64:
		p, got, hdt = unsafe.Pointer(unsafe.SliceData(h)), len(h), device.Float64
	case []int32:
		p, got, hdt = unsafe.Pointer(unsafe.SliceData(h)), len(h), device.Int32
	case []device.BF16:
		p, got, hdt = unsafe.Pointer(unsafe.SliceData(h)), len(h), device.BFloat16
	case []device.F16:
		p, got, hdt = unsafe.Pointer(unsafe.SliceData(h)), len(h), device.Float16
	default:
		return nil, opErr(op, "host data is %T, want a []float32, []float64, []int32, []device.BF16 or []device.F16", host)
	}
	if hdt != dt {
		return nil, opErr(op, "host data is %v, buffer is %v", hdt, dt)
	}
	if got != n {
		return nil, opErr(op, "host data has %d elements, buffer has %d", got, n)
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*byte)(p), n*dt.Size()), nil
}

// Write copies host data into dst.
func (b *Backend) Write(dst device.Buffer, src any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf("Write", dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	h, err := hostBytes("Write", src, d.dt, d.n)
	if err != nil || len(h) == 0 {
		return err
	}
	if err := b.drv.CopyHtoD(d.ptr, h); err != nil {
		return fmt.Errorf("cuda: copy %d bytes to device: %w", len(h), err)
	}
	return nil
}

// Read copies src into host memory. It waits for the kernels that write
// src and reports an int32 division by zero since the last Sync or Read.
func (b *Backend) Read(dst any, src device.Buffer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.buf("Read", src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	h, err := hostBytes("Read", dst, s.dt, s.n)
	if err != nil {
		return err
	}
	if len(h) > 0 {
		if err := b.drv.CopyDtoH(h, s.ptr); err != nil {
			return fmt.Errorf("cuda: copy %d bytes from device: %w", len(h), err)
		}
	}
	return b.checkStatus()
}

// dtypeOf is x's dtype, or Float32 for a nil buffer (which buf rejects).
func dtypeOf(x device.Buffer) device.DType {
	if cb, ok := x.(*Buffer); ok && cb != nil {
		return cb.dt
	}
	return device.Float32
}

// Fill sets every element dl addresses to v (converted as Cast would).
// Kernels fill_vec_<dt> (contiguous, aligned) or fill_<dt> (strided).
func (b *Backend) Fill(dst device.Buffer, dl device.Layout, v float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf("Fill", dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	if err := checkLayout("Fill", dl, d.n, "dst"); err != nil {
		return err
	}
	n := dl.Size()
	if n == 0 {
		return nil
	}
	s := collapse(dl.Shape, dl)[0]
	sfx := d.dt.Suffix()
	a := b.args()
	if s.contiguous() && aligned(d.at(s.offset)) {
		a.Ptr(d.at(s.offset))
		a.Int64(int64(n))
		putScalar(a, d.dt, v)
		return b.launch(modMemory, kname{"fill_vec_", sfx}, b.grid1D(vecItems(n, d.dt)))
	}
	a.Ptr(d.ptr)
	s.put(a)
	a.Int64(int64(n))
	putScalar(a, d.dt, v)
	return b.launch(modMemory, kname{"fill_", sfx}, b.grid1D(n))
}

// Copy copies src to dst through their layouts: a device-to-device copy
// when both are contiguous, else kernel copy_<dt>.
func (b *Backend) Copy(dst device.Buffer, dl device.Layout, src device.Buffer, sl device.Layout) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf("Copy", dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	s, err := b.buf("Copy", src, d.dt, "src")
	if err != nil {
		return err
	}
	return b.copy("Copy", d, dl, s, sl)
}

// copy is Copy once the buffers are checked; the caller holds b.mu.
func (b *Backend) copy(op string, d *Buffer, dl device.Layout, s *Buffer, sl device.Layout) error {
	if err := sameShape(op, dl, sl); err != nil {
		return err
	}
	if err := checkLayout(op, dl, d.n, "dst"); err != nil {
		return err
	}
	if err := checkLayout(op, sl, s.n, "src"); err != nil {
		return err
	}
	n := dl.Size()
	if n == 0 {
		return nil
	}
	c := collapse(dl.Shape, dl, sl)
	if c[0].contiguous() && c[1].contiguous() {
		if err := b.drv.CopyDtoD(d.at(c[0].offset), s.at(c[1].offset), n*d.dt.Size()); err != nil {
			return fmt.Errorf("cuda: copy %d bytes on device: %w", n*d.dt.Size(), err)
		}
		return nil
	}
	a := b.args()
	a.Ptr(d.ptr)
	c[0].put(a)
	a.Ptr(s.ptr)
	c[1].put(a)
	a.Int64(int64(n))
	return b.launch(modMemory, kname{"copy_", d.dt.Suffix()}, b.grid1D(n))
}

// Cast converts src into contiguous dst of another dtype with kernel
// cast_<from>_<to> (float to int32 truncates toward zero, saturating, NaN
// giving 0); the same dtype is a Copy.
func (b *Backend) Cast(dst device.Buffer, src device.Buffer, sl device.Layout) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf("Cast", dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	s, err := b.buf("Cast", src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	if s.dt == d.dt {
		return b.copy("Cast", d, device.Contiguous(sl.Shape), s, sl)
	}
	if err := checkLayout("Cast", sl, s.n, "src"); err != nil {
		return err
	}
	n := sl.Size()
	if err := need("Cast", d, n, "dst"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return b.cast(d, s, collapse(sl.Shape, sl)[0], n)
}

// cast launches cast_<from>_<to>; the caller holds b.mu.
func (b *Backend) cast(d, s *Buffer, sl strided, n int) error {
	a := b.args()
	a.Ptr(d.ptr)
	a.Ptr(s.ptr)
	sl.put(a)
	a.Int64(int64(n))
	return b.launch(modMemory, kname{"cast_", s.dt.Suffix(), "_", d.dt.Suffix()}, b.grid1D(n))
}

// aligned reports whether p allows 16-byte vector access.
func aligned(p driver.DevPtr) bool { return p%16 == 0 }

// vecItems is the number of threads' worth of work of a vectorised kernel
// over n elements: one 16-byte pack each.
func vecItems(n int, dt device.DType) int {
	return (n*dt.Size() + 15) / 16
}
