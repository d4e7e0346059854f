package cpu

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tapegrad/tapegrad/device"
)

// Buffer is CPU memory: a Go slice of its dtype. The garbage collector owns
// the memory; Free drops the reference and the byte count and hands the
// slice to the backend's cache (cache.go).
type Buffer struct {
	dt   device.DType
	n    int
	data any // []float32, []float64, []int32, []device.BF16 or []device.F16; nil once freed
	acct *account
}

// account is a buffer's entry in the live-bytes counter, settled by Free
// or, for a buffer dropped without Free, by a cleanup once the collector
// has reclaimed it. It is separate from the Buffer and its array so that
// the cleanup can settle it without keeping the data alive for another
// cycle the way a finalizer would.
//
// An array of at least smallArray bytes carries the cleanup itself, and
// its account: both go to the cache with it and serve the array's next
// buffer, so Alloc registers a cleanup (a lock on the runtime's list of
// the span's specials) only for a new array. With a cleanup on every
// Buffer, registering it took a third of the dispatch of an add whose
// result is released (1.1 against 0.66 µs at 256 elements). A smaller
// array leaves the cleanup on its Buffer and takes a new account each
// time: the runtime may batch the tiniest with other objects and never
// run their cleanups, and a span of small ones holds hundreds, whose
// cleanups made a dropped 4-element add slower (1.26 against 1.07 µs).
type account struct {
	be    *Backend
	bytes atomic.Int64
	freed atomic.Bool
	array bool // the cleanup is on the array, and the account travels with it
}

// smallArray is the size in bytes below which an array's buffer, not the
// array, carries the cleanup.
const smallArray = 64

// settle removes the buffer from the counters, once.
func (a *account) settle() bool {
	if !a.freed.CompareAndSwap(false, true) {
		return false
	}
	a.be.track(-a.bytes.Load())
	return true
}

// DType returns the element type.
func (b *Buffer) DType() device.DType { return b.dt }

// Len returns the number of elements allocated (also after Free).
func (b *Buffer) Len() int { return b.n }

// bytes returns the buffer's size for the memory counters.
func (b *Buffer) bytes() int64 { return int64(b.n) * int64(b.dt.Size()) }

// slice returns b's elements; T must be b's dtype (callers check first).
func slice[T elem](b *Buffer) []T { return b.data.([]T) }

// isInt reports whether T is int32, for the few kernels where integers
// convert or divide differently.
func isInt[T num]() bool {
	var z T
	_, ok := any(z).(int32)
	return ok
}

// Alloc returns a buffer of n elements: an array the cache holds for
// n's size class when there is one (its contents are whatever the last
// owner left), else a new zeroed Go slice (see cache.go). A new array
// that the memory limit (SetMemoryLimit) has no room for, beside the
// cache, first empties the cache; one that still does not fit fails with
// an error wrapping device.ErrOutOfMemory before any memory is taken: Go
// would otherwise end the process ("fatal error: out of memory") or panic
// in make.
func (be *Backend) Alloc(dt device.DType, n int) (device.Buffer, error) {
	if n < 0 {
		return nil, opError("Alloc", "negative length %d", n)
	}
	if dt > device.Float16 {
		return nil, opError("Alloc", "unknown dtype %v", dt)
	}
	be.cache.allocs.Add(1)
	b := &Buffer{dt: dt, n: n}
	class, capacity, pooled := sizeClass(n)
	if pooled {
		b.data, b.acct = be.cache.get(dt, class, capacity, n)
	}
	if b.data != nil {
		be.cache.hits.Add(1)
	} else {
		if !pooled {
			capacity = n
		}
		if bytes, ok := dt.Bytes(capacity); ok && int64(bytes) > memLimit.Load()-be.live.Load()-be.cache.bytes.Load() {
			be.cache.empty()
		}
		if err := be.admitRounded(dt, n, capacity); err != nil {
			return nil, err
		}
		b.data = makeSlice(dt, n, capacity)
	}
	if poison.Load() {
		fillPoison(b.data)
	}
	if b.acct == nil {
		b.acct = &account{be: be}
		if p := arrayStart(b.data); p != nil && capacity*dt.Size() >= smallArray {
			b.acct.array = true
			runtime.AddCleanup(p, settleAccount, b.acct)
		} else {
			runtime.AddCleanup(b, settleAccount, b.acct)
		}
	} else {
		b.acct.freed.Store(false) // the array's account, serving its next buffer
	}
	b.acct.bytes.Store(b.bytes())
	be.track(b.bytes())
	return b, nil
}

// settleAccount is the cleanup of a buffer's array (or of the Buffer).
func settleAccount(a *account) { a.settle() }

// memLimit is the most bytes live CPU buffers may hold.
var memLimit atomic.Int64

func init() { memLimit.Store(physicalMemory()) }

// SetMemoryLimit sets the most bytes the CPU backend's live buffers may
// hold together and returns the previous limit; bytes <= 0 restores the
// default, the machine's physical memory (no limit where it is unknown).
// An allocation past the limit, after a garbage collection, fails with
// device.ErrOutOfMemory.
func SetMemoryLimit(bytes int64) int64 {
	if bytes <= 0 {
		bytes = physicalMemory()
	}
	return memLimit.Swap(bytes)
}

// MemoryLimit returns the limit SetMemoryLimit sets.
func MemoryLimit() int64 { return memLimit.Load() }

// physicalMemory returns MemTotal from /proc/meminfo, or math.MaxInt64
// where that cannot be read.
func physicalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return math.MaxInt64
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 && kb <= math.MaxInt64/1024 {
				return kb * 1024
			}
		}
	}
	return math.MaxInt64
}

// admitWait bounds how long a request over the limit waits, after a
// collection, for cleanups to take dead buffers off the live count.
const admitWait = 50 * time.Millisecond

// admit checks a request of n elements of dt against the memory limit.
// The common case costs one atomic load. The live count includes buffers
// that are garbage but not yet reclaimed, so a request over the limit
// first runs a collection; the live buffers then hold at most the smaller
// of the live count and the heap the collector found live, and the count
// falls as cleanups settle dead buffers, which admit waits for (up to
// admitWait) before it gives up.
func (be *Backend) admit(dt device.DType, n int) error { return be.admitRounded(dt, n, n) }

// admitRounded is admit for a request of n elements that takes an array
// of capacity elements (n rounded up to its size class).
func (be *Backend) admitRounded(dt device.DType, n, capacity int) error {
	limit := memLimit.Load()
	bytes, ok := dt.Bytes(capacity)
	if ok && int64(bytes) <= limit-be.live.Load() {
		return nil
	}
	if ok && int64(bytes) <= limit {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		heap := int64(math.MaxInt64)
		if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() < math.MaxInt64 {
			heap = int64(s[0].Value.Uint64())
		}
		for deadline := time.Now().Add(admitWait); ; time.Sleep(time.Millisecond) {
			if int64(bytes) <= limit-min(heap, be.live.Load()) {
				return nil
			}
			if time.Now().After(deadline) {
				break
			}
		}
	}
	size := "more than an int can count"
	if b, ok := dt.Bytes(n); ok {
		size = strconv.Itoa(b)
	}
	return fmt.Errorf("cpu: Alloc: %w: %d %v elements (%s bytes) requested with %d bytes live; the limit is %d bytes (physical memory unless cpu.SetMemoryLimit changed it)",
		device.ErrOutOfMemory, n, dt, size, be.live.Load(), limit)
}

// track adds delta bytes to the live count and raises the peak to match.
func (be *Backend) track(delta int64) {
	live := be.live.Add(delta)
	for {
		peak := be.peak.Load()
		if live <= peak || be.peak.CompareAndSwap(peak, live) {
			return
		}
	}
}

// Free ends b: its array goes to the cache for the next Alloc of its
// size class (or to the collector past the cache's limits), and b can no
// longer be used. Freeing twice, or a buffer of another backend, is a
// no-op.
func (be *Backend) Free(b device.Buffer) {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil || cb.data == nil || cb.acct == nil || !cb.acct.settle() {
		return
	}
	data, acct := cb.data, cb.acct
	cb.data = nil
	if !acct.array {
		acct = nil // its cleanup is on cb: the array's next buffer takes a new one
	}
	if class, capacity, ok := sizeClass(cb.n); ok && cb.acct.be == be && capOf(data) == capacity {
		be.cache.put(cb.dt, class, capacity, data, cb.n, acct)
	}
}

// Write copies host data into dst.
func (*Backend) Write(dst device.Buffer, src any) error {
	d, err := asBuffer("Write", dst)
	if err != nil {
		return err
	}
	switch s := src.(type) {
	case []float32:
		return hostCopy("Write", d, s, false)
	case []float64:
		return hostCopy("Write", d, s, false)
	case []int32:
		return hostCopy("Write", d, s, false)
	case []device.BF16:
		return hostCopy("Write", d, s, false)
	case []device.F16:
		return hostCopy("Write", d, s, false)
	}
	return opError("Write", "host data is %T, want []float32, []float64, []int32, []device.BF16 or []device.F16", src)
}

// Read copies src into host memory dst.
func (*Backend) Read(dst any, src device.Buffer) error {
	s, err := asBuffer("Read", src)
	if err != nil {
		return err
	}
	switch d := dst.(type) {
	case []float32:
		return hostCopy("Read", s, d, true)
	case []float64:
		return hostCopy("Read", s, d, true)
	case []int32:
		return hostCopy("Read", s, d, true)
	case []device.BF16:
		return hostCopy("Read", s, d, true)
	case []device.F16:
		return hostCopy("Read", s, d, true)
	}
	return opError("Read", "host data is %T, want []float32, []float64, []int32, []device.BF16 or []device.F16", dst)
}

// hostCopy copies between b and host, which must match in type and length.
func hostCopy[T elem](op string, b *Buffer, host []T, toHost bool) error {
	data, ok := b.data.([]T)
	if !ok || len(host) != b.n {
		return opError(op, "host slice is %T of length %d, buffer is %v of length %d", host, len(host), b.dt, b.n)
	}
	if toHost {
		copy(host, data)
	} else {
		copy(data, host)
	}
	return nil
}

// Fill sets every element dl addresses to v, converted as Cast converts
// (to a half type through float32, as PyTorch does).
func (*Backend) Fill(dst device.Buffer, dl device.Layout, v float64) error {
	d, err := asBuffer("Fill", dst)
	if err != nil {
		return err
	}
	if err := checkLayout("Fill", d, dl, "dst"); err != nil {
		return err
	}
	switch d.dt {
	case device.Float32:
		fill(slice[float32](d), dl, float32(v))
	case device.Float64:
		fill(slice[float64](d), dl, v)
	case device.BFloat16:
		fill(slice[device.BF16](d), dl, device.BF16FromFloat32(float32(v)))
	case device.Float16:
		fill(slice[device.F16](d), dl, device.F16FromFloat32(float32(v)))
	default:
		fill(slice[int32](d), dl, toInt32(v))
	}
	return nil
}

func fill[T elem](dst []T, dl device.Layout, v T) {
	if dl.Size() == 0 {
		return
	}
	tmpl := newWalker(dl.Shape, dl)
	parallelFor(dl.Size(), 1, func(lo, hi int) {
		w := tmpl
		w.seek(lo)
		for pos := lo; pos < hi; {
			r := min(w.run(), hi-pos)
			for i, off, s := 0, w.off[0], w.inner(0); i < r; i, off = i+1, off+s {
				dst[off] = v
			}
			w.advance(r)
			pos += r
		}
	})
}

// Copy copies src to dst element by element through both layouts. When
// src and dst are views of one buffer whose elements may overlap (an
// assignment of x[:-1] to x[1:], say), src is first read into a temporary,
// so the result is as if every element were read before any is written.
func (*Backend) Copy(dst device.Buffer, dl device.Layout, src device.Buffer, sl device.Layout) error {
	s, err := asBuffer("Copy", src)
	if err != nil {
		return err
	}
	bs, err := buffers("Copy", s.dt, dst)
	if err != nil {
		return err
	}
	d := bs[0]
	if err := sameShape("Copy", dl, sl); err != nil {
		return err
	}
	if err := checkLayout("Copy", d, dl, "dst"); err != nil {
		return err
	}
	if err := checkLayout("Copy", s, sl, "src"); err != nil {
		return err
	}
	if sl.Size() == 0 {
		return nil
	}
	switch s.dt {
	case device.Float32:
		copyView(slice[float32](d), dl, slice[float32](s), sl, d == s)
	case device.Float64:
		copyView(slice[float64](d), dl, slice[float64](s), sl, d == s)
	case device.BFloat16:
		copyView(slice[device.BF16](d), dl, slice[device.BF16](s), sl, d == s)
	case device.Float16:
		copyView(slice[device.F16](d), dl, slice[device.F16](s), sl, d == s)
	default:
		copyView(slice[int32](d), dl, slice[int32](s), sl, d == s)
	}
	return nil
}

// copyView is Copy for one dtype; same says that dst and src are one
// buffer.
func copyView[T elem](dst []T, dl device.Layout, src []T, sl device.Layout, same bool) {
	if same {
		dlo, dhi := extent(dl)
		if slo, shi := extent(sl); slo <= dhi && dlo <= shi {
			tmp := make([]T, sl.Size())
			tl := device.Contiguous(sl.Shape)
			copyStrided(tmp, tl, src, sl)
			src, sl = tmp, tl
		}
	}
	copyStrided(dst, dl, src, sl)
}

// copyStrided copies the non-empty layout sl of src to dl of dst.
func copyStrided[T elem](dst []T, dl device.Layout, src []T, sl device.Layout) {
	size := dl.Size()
	if dl.IsContiguous() && sl.IsContiguous() {
		parallelFor(size, 1, func(lo, hi int) {
			copy(dst[dl.Offset+lo:dl.Offset+hi], src[sl.Offset+lo:sl.Offset+hi])
		})
		return
	}
	tmpl := newWalker(dl.Shape, dl, sl)
	parallelFor(size, 1, func(lo, hi int) {
		w := tmpl
		w.seek(lo)
		for pos := lo; pos < hi; {
			r := min(w.run(), hi-pos)
			d, s, ds, ss := w.off[0], w.off[1], w.inner(0), w.inner(1)
			if ds == 1 && ss == 1 {
				copy(dst[d:d+r], src[s:s+r])
			} else {
				for i := 0; i < r; i, d, s = i+1, d+ds, s+ss {
					dst[d] = src[s]
				}
			}
			w.advance(r)
			pos += r
		}
	})
}

// Cast converts src into the contiguous dst, which may have any dtype.
// Floats round to nearest (ties to even) when narrowed, to a half type
// through float32 as PyTorch does (so a float64 or int32 source rounds
// twice); float to Int32 truncates toward
// zero, saturates at the int32 range and maps NaN to 0 (CUDA's
// cvt.rzi.sat, so backends agree on inputs Go leaves undefined).
func (*Backend) Cast(dst device.Buffer, src device.Buffer, sl device.Layout) error {
	d, err := asBuffer("Cast", dst)
	if err != nil {
		return err
	}
	s, err := asBuffer("Cast", src)
	if err != nil {
		return err
	}
	if err := checkLayout("Cast", s, sl, "src"); err != nil {
		return err
	}
	if err := need("Cast", d, sl.Size(), "dst"); err != nil {
		return err
	}
	switch s.dt {
	case device.Float32:
		castFrom[float32](d, s, sl)
	case device.Float64:
		castFrom[float64](d, s, sl)
	case device.BFloat16:
		castFromHalf[device.BF16](d, s, sl)
	case device.Float16:
		castFromHalf[device.F16](d, s, sl)
	default:
		castFrom[int32](d, s, sl)
	}
	return nil
}

func castFrom[T num](d, s *Buffer, sl device.Layout) {
	switch d.dt {
	case device.Float32:
		castTo(slice[float32](d), slice[T](s), sl)
	case device.Float64:
		castTo(slice[float64](d), slice[T](s), sl)
	case device.BFloat16:
		castToHalf(slice[device.BF16](d), slice[T](s), sl)
	case device.Float16:
		castToHalf(slice[device.F16](d), slice[T](s), sl)
	default:
		castTo(slice[int32](d), slice[T](s), sl)
	}
}

func castTo[D, T num](dst []D, src []T, sl device.Layout) {
	if sl.Size() == 0 {
		return
	}
	toInt := isInt[D]()
	mapChunks(1, []input[T]{{src, sl}}, func(lo int, xs [][]T) {
		out := dst[lo : lo+len(xs[0])]
		if toInt {
			for i, v := range xs[0] {
				out[i] = D(toInt32(float64(v)))
			}
			return
		}
		for i, v := range xs[0] {
			out[i] = D(v)
		}
	})
}

// toInt32 truncates v toward zero, saturating at the int32 range, with NaN
// giving 0.
func toInt32(v float64) int32 {
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
