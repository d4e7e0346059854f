package cpu

import (
	"math"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tapegrad/tapegrad/device"
)

// The buffer cache: Free hands a buffer's array to a free list of its
// dtype and size class, and Alloc takes one from there before it asks the
// Go heap, so a training loop that releases its tape (autograd's
// ReleaseValues, Var.ReleaseGrad) reuses the same arrays every step
// instead of allocating, zeroing and collecting them.
//
// Why this is sound:
//   - Only the array (with its account, see account) moves to the list,
//     never the *Buffer: a freed Buffer keeps data == nil, so a stale
//     reference (a view of a released tensor) still fails with errFreed,
//     cannot see the array's next owner, and frees nothing a second time.
//   - Every kernel has returned, with all its goroutines joined, before
//     the method that ran it returns (the backend is synchronous), so
//     once Free is called no kernel of this backend still reads the array.
//     Free racing with an op on the same buffer is a caller's bug, as on
//     every device.
//   - Only buffers freed explicitly are cached. One the collector finds
//     dead goes back to the Go heap as before: recovering it would need a
//     finalizer (or a cleanup holding the array), which keeps the memory
//     for another cycle (see device.GarbageCollected).
//   - Reused memory is not cleared: Alloc's contract is an uninitialised
//     buffer, the tensor layer fills what it must (it has to on CUDA), and
//     the kernels that accumulate into an output clear it first.
//     TAPEGRAD_CPU_POISON=1 fills every new buffer with NaN (or a large
//     negative int32) to catch code that relies on zeroed memory.
//
// The cache is bounded: by CacheLimit bytes (a buffer past it goes to
// the collector), by the memory limit (a fresh allocation that does not
// fit beside the cache empties it first), and by use: after each garbage
// collection, arrays that sat unused in their list since the previous
// trim (at least trimIdle ago) are dropped, so memory a program stopped
// needing (a phase with other shapes) goes back to the heap after a
// second or two and a collection.

// classesPerOctave splits each power of two into this many size classes,
// so that a rounded-up array wastes at most a quarter of its request.
const classesPerOctave = 4

// numClasses covers every n for which sizeClass rounds.
const numClasses = 64 * classesPerOctave

// numDTypes counts the dtypes Alloc knows (device.Float32 .. Float16).
const numDTypes = 5

// sizeClass returns the free list of n > 0 elements and the capacity its
// arrays have: n itself up to 4, else n rounded up to a quarter of its
// power of two. ok is false where the capacity would not fit an int.
func sizeClass(n int) (class, capacity int, ok bool) {
	if n <= 4 {
		return n, n, n > 0
	}
	e := bits.Len(uint(n - 1)) // 2^(e-1) < n <= 2^e
	if e >= bits.UintSize-2 {
		return 0, 0, false
	}
	shift := e - 3
	q := (n + 1<<shift - 1) >> shift // 5..8 quarters of 2^(e-1)
	return e*classesPerOctave + q - 5, q << shift, true
}

// defaultCacheLimit is CacheLimit unless SetCacheLimit changed it.
const defaultCacheLimit = 1 << 30

// cacheLimit is the most bytes the cache holds.
var cacheLimit atomic.Int64

func init() { cacheLimit.Store(defaultCacheLimit) }

// SetCacheLimit sets the most bytes the CPU backend keeps in its cache of
// freed buffers and returns the previous limit; 0 turns the cache off
// (emptying it at the next free or allocation) and a negative value
// restores the default, 1 GiB. The cache never holds more than a quarter
// of the memory limit either (SetMemoryLimit).
func SetCacheLimit(bytes int64) int64 {
	if bytes < 0 {
		bytes = defaultCacheLimit
	}
	return cacheLimit.Swap(bytes)
}

// CacheLimit returns the limit SetCacheLimit sets.
func CacheLimit() int64 { return cacheLimit.Load() }

// poison makes Alloc fill every buffer with NaN (Int32: poisonInt32):
// set from TAPEGRAD_CPU_POISON for test runs.
var poison atomic.Bool

func init() { poison.Store(os.Getenv("TAPEGRAD_CPU_POISON") == "1") }

// poisonInt32 is what a poisoned Int32 buffer holds: far outside any
// index or label range.
const poisonInt32 = -0x5a5a5a5b

// entry is a cached array: data holds a slice of some length n (the
// boxed value a Buffer had, reused as is for the same n), acct the account
// its cleanup settles (nil when its buffers carry the cleanup).
type entry struct {
	data any
	n    int
	acct *account
}

// freeList is one dtype's arrays of one size class, used last in, first
// out; low is the fewest it held since the last trim.
type freeList struct {
	arrays []entry
	low    int
}

// cache is a Backend's free lists; its zero value is empty and ready.
type cache struct {
	mu      sync.Mutex
	lists   [numDTypes][numClasses]freeList
	armed   bool      // a trim waits for the next garbage collection
	trimmed time.Time // when the last trim dropped what sat idle

	bytes          atomic.Int64 // held by the lists
	allocs, hits   atomic.Int64 // Alloc calls, and those the cache served
	dropped        atomic.Int64 // bytes the limits or trims gave back to the heap
	disableTrimGCs bool         // tests: no trim at garbage collections
}

// get returns a cached array of class for dt, resliced to n, and its
// account, or nil.
func (c *cache) get(dt device.DType, class, capacity, n int) (any, *account) {
	c.mu.Lock()
	l := &c.lists[dt][class]
	k := len(l.arrays) - 1
	if k < 0 {
		c.mu.Unlock()
		return nil, nil
	}
	e := l.arrays[k]
	l.arrays[k] = entry{}
	l.arrays = l.arrays[:k]
	l.low = min(l.low, k)
	c.mu.Unlock()
	c.bytes.Add(-int64(capacity) * int64(dt.Size()))
	if e.n == n {
		return e.data, e.acct
	}
	return reslice(e.data, n), e.acct
}

// put caches data, an array of class and capacity for dt, with its
// account (see account), and reports whether it did (false: over the
// limit).
func (c *cache) put(dt device.DType, class, capacity int, data any, n int, acct *account) bool {
	size := int64(capacity) * int64(dt.Size())
	limit := min(cacheLimit.Load(), memLimit.Load()/4)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes.Load()+size > limit {
		if c.bytes.Load() > limit {
			c.emptyLocked() // the limit was lowered
		}
		c.dropped.Add(size)
		return false
	}
	c.bytes.Add(size)
	l := &c.lists[dt][class]
	l.arrays = append(l.arrays, entry{data, n, acct})
	c.armLocked()
	return true
}

// empty drops every cached array.
func (c *cache) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emptyLocked()
}

func (c *cache) emptyLocked() {
	for d := range c.lists {
		for k := range c.lists[d] {
			c.dropLocked(device.DType(d), k, len(c.lists[d][k].arrays))
		}
	}
}

// trimIdle is the least time an array sits unused in the cache before a
// collection drops it: a long step (a CNN's takes a third of a second on
// two cores) may see several collections, and an array it takes once per
// step must survive them.
var trimIdle atomic.Int64

func init() { trimIdle.Store(int64(time.Second)) }

// trim drops, from every list, the arrays that stayed unused since the
// last trim (the bottom low of the stack) when that was trimIdle ago,
// and re-arms while anything is left.
func (c *cache) trim() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	now := time.Now()
	if now.Sub(c.trimmed) < time.Duration(trimIdle.Load()) {
		c.armLocked()
		return
	}
	c.trimmed = now
	for d := range c.lists {
		for k := range c.lists[d] {
			l := &c.lists[d][k]
			c.dropLocked(device.DType(d), k, l.low)
			l.low = len(l.arrays)
		}
	}
	c.armLocked()
}

// armLocked makes the next collection trim c while c holds anything.
func (c *cache) armLocked() {
	if !c.armed && c.bytes.Load() > 0 && !c.disableTrimGCs {
		c.armed = true
		armTrim(c)
	}
}

// dropLocked drops the first m arrays of list k of dt.
func (c *cache) dropLocked(dt device.DType, k, m int) {
	l := &c.lists[dt][k]
	m = min(m, len(l.arrays))
	if m == 0 {
		return
	}
	_, capacity, _ := sizeClass(l.arrays[0].n)
	size := int64(m) * int64(capacity) * int64(dt.Size())
	c.bytes.Add(-size)
	c.dropped.Add(size)
	rest := copy(l.arrays, l.arrays[m:])
	clear(l.arrays[rest:])
	l.arrays = l.arrays[:rest]
	l.low = min(l.low, rest)
}

// trimSentinel is garbage the moment it is made; its cleanup runs after
// the next garbage collection. It holds a pointer so that the runtime
// never batches it with other tiny objects (whose cleanups may not run).
type trimSentinel struct {
	_ *int
	_ [2]int64
}

// armTrim makes the next garbage collection trim c.
func armTrim(c *cache) {
	runtime.AddCleanup(new(trimSentinel), (*cache).trim, c)
}

// EmptyCache drops every buffer the cache holds back to the Go heap (as
// PyTorch's torch.cuda.empty_cache does for a GPU); live buffers are
// untouched.
func (be *Backend) EmptyCache() { be.cache.empty() }

// makeSlice returns a zeroed slice of dt of length n and capacity c, or
// nil for an unknown dtype.
func makeSlice(dt device.DType, n, c int) any {
	switch dt {
	case device.Float32:
		return make([]float32, n, c)
	case device.Float64:
		return make([]float64, n, c)
	case device.Int32:
		return make([]int32, n, c)
	case device.BFloat16:
		return make([]device.BF16, n, c)
	case device.Float16:
		return make([]device.F16, n, c)
	}
	return nil
}

// reslice returns data, a slice of a dtype Alloc knows, with length n.
func reslice(data any, n int) any {
	switch s := data.(type) {
	case []float32:
		return s[:n]
	case []float64:
		return s[:n]
	case []int32:
		return s[:n]
	case []device.BF16:
		return s[:n]
	case []device.F16:
		return s[:n]
	}
	panic("cpu: reslice of an unknown array type")
}

// arrayStart returns a pointer to the first byte of data's array, or nil
// when it has none (capacity 0).
func arrayStart(data any) *byte {
	if capOf(data) == 0 {
		return nil
	}
	var p unsafe.Pointer
	switch s := data.(type) {
	case []float32:
		p = unsafe.Pointer(unsafe.SliceData(s))
	case []float64:
		p = unsafe.Pointer(unsafe.SliceData(s))
	case []int32:
		p = unsafe.Pointer(unsafe.SliceData(s))
	case []device.BF16:
		p = unsafe.Pointer(unsafe.SliceData(s))
	case []device.F16:
		p = unsafe.Pointer(unsafe.SliceData(s))
	}
	return (*byte)(p)
}

// capOf returns the capacity of data, a slice of a dtype Alloc knows
// (0 for anything else).
func capOf(data any) int {
	switch s := data.(type) {
	case []float32:
		return cap(s)
	case []float64:
		return cap(s)
	case []int32:
		return cap(s)
	case []device.BF16:
		return cap(s)
	case []device.F16:
		return cap(s)
	}
	return 0
}

// fillPoison fills a new buffer for TAPEGRAD_CPU_POISON.
func fillPoison(data any) {
	nan32 := math.Float32frombits(0x7fa5a5a5)
	switch s := data.(type) {
	case []float32:
		for i := range s {
			s[i] = nan32
		}
	case []float64:
		for i := range s {
			s[i] = math.Float64frombits(0x7ff4a5a5a5a5a5a5)
		}
	case []int32:
		for i := range s {
			s[i] = poisonInt32
		}
	case []device.BF16:
		for i := range s {
			s[i] = device.BF16(0x7fa5)
		}
	case []device.F16:
		for i := range s {
			s[i] = device.F16(0x7e5a)
		}
	}
}
