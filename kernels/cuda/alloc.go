package cuda

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ErrOutOfMemory is wrapped by the error of an allocation the device could
// not satisfy even after the cache was emptied and a GC ran, or whose byte
// count does not fit an int. It is device.ErrOutOfMemory, so one errors.Is
// test serves every backend; the driver's own error (driver.ErrOutOfMemory)
// is wrapped too.
var ErrOutOfMemory = device.ErrOutOfMemory

// Pools of the caching allocator, after PyTorch's: every request rounds
// up to a multiple of blockRound bytes. Small ones (at most smallMax)
// come from per-size free lists, one driver allocation per block. Large
// ones are carved, best fit, out of segments: a request under segmentMin
// takes a segmentSmall segment (so blocks of other large sizes fit beside
// it), a bigger one a segment of its size rounded to segmentRound (or,
// when the device has no room for that, exactly its size). A free block
// is split when more than smallMax would be left over, and merges with
// its free neighbours when freed, so freed blocks of one shape serve
// requests of another.
const (
	blockRound   = 512
	smallMax     = 1 << 20
	segmentSmall = 20 << 20 // the segment of a large request below segmentMin
	segmentMin   = 10 << 20
	segmentRound = 2 << 20
)

// maxRequest is the largest request the allocator can round without
// wrapping.
const maxRequest = math.MaxInt - segmentRound

// binSize is the number of bytes a request of n bytes is rounded to, at
// most maxRequest (callers refuse larger ones).
func binSize(n int) int {
	if n <= 0 {
		return 0
	}
	return (n + blockRound - 1) / blockRound * blockRound
}

// segmentSize is the driver allocation a large request of size bytes
// (already rounded) makes when no free block fits it.
func segmentSize(size int) int {
	if size < segmentMin {
		return segmentSmall
	}
	return (size + segmentRound - 1) / segmentRound * segmentRound
}

// block is a piece of a large segment, free or handed out; prev and next
// are its neighbours in the segment, in address order (nil at the ends).
type block struct {
	ptr        driver.DevPtr
	size       int
	free       bool
	prev, next *block
}

// allocator is a caching allocator: freed blocks wait in the pools for
// the next request instead of going back to the driver, whose
// allocations synchronise the device. The caller serialises access
// (Backend.mu).
type allocator struct {
	drv  driver.Driver
	free map[int][]driver.DevPtr // the small pool, by size
	// pool holds the free large blocks, sorted by size then address (best
	// fit is a binary search); used maps the handed-out ones by address.
	pool []*block
	used map[driver.DevPtr]*block
	st   device.MemStats
	// handed counts the bytes handed out (from the cache or the driver)
	// since the last garbage collection the backend ran: how far device
	// garbage may have grown since; handedBin counts them by size.
	// kept is what was live right after that collection.
	handed, kept int64
	handedBin    map[int]int64
	// undef, when the driver tracks written bytes (cudasim), marks a
	// reused block unwritten, as a fresh one is.
	undef driver.Undefiner
}

// cached reports whether a request of n bytes would be served from the
// cache.
func (a *allocator) cached(n int) bool {
	size := binSize(n)
	if size <= smallMax {
		return len(a.free[size]) > 0
	}
	return len(a.pool) > 0 && a.pool[len(a.pool)-1].size >= size
}

// worthCollecting reports whether a request of n bytes that the cache
// cannot serve should wait for a garbage collection rather than take new
// device memory, under pressure threshold p: when p bytes went out since
// the last collection, or when at least two blocks of this very size did
// (so its garbage is likely waiting) and p/2 bytes in all (so a growing
// live set does not collect at every request, and a steady loop collects
// at most once per p/2 bytes).
func (a *allocator) worthCollecting(n int, p int64) bool {
	p = max(p, a.kept/2)
	size := int64(binSize(n))
	return a.handed >= p || (a.handedBin[int(size)] >= 2*size && a.handed >= p/2)
}

// collected resets the counters after a garbage collection.
func (a *allocator) collected() {
	a.handed, a.kept = 0, a.st.Live
	clear(a.handedBin)
	a.st.Collections++
}

func newAllocator(drv driver.Driver) allocator {
	return allocator{drv: drv, free: map[int][]driver.DevPtr{}, used: map[driver.DevPtr]*block{}, handedBin: map[int]int64{}}
}

// get returns a block of at least binSize(n) bytes and its size, from the
// cache when one is free. When the driver is out of memory it empties
// the cache and tries once more; any other failure (a device fault) is
// returned as it is. A request of 0 bytes gets the null pointer.
func (a *allocator) get(n int) (driver.DevPtr, int, error) {
	size := binSize(n)
	if size == 0 {
		return 0, 0, nil
	}
	a.st.Allocs++
	if size > smallMax {
		return a.getLarge(size)
	}
	if l := a.free[size]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		a.st.Cached -= int64(size)
		a.st.CacheHits++
		a.hand(size)
		return p, size, a.reuse(p, size)
	}
	p, err := a.fresh(size, size)
	if err != nil {
		a.st.Allocs--
		return 0, 0, err
	}
	a.hand(size)
	return p, size, nil
}

// getLarge serves a large request of size bytes: the smallest free block
// that fits, else a new segment.
func (a *allocator) getLarge(size int) (driver.DevPtr, int, error) {
	i := a.fit(size)
	if i < len(a.pool) {
		b := a.pool[i]
		a.st.CacheHits++
		a.take(i, size)
		return b.ptr, b.size, a.reuse(b.ptr, b.size)
	}
	seg := segmentSize(size)
	p, err := a.fresh(seg, size)
	if errors.Is(err, driver.ErrOutOfMemory) && seg > size {
		// No room for a whole segment: a block of the request's size.
		seg = size
		p, err = a.fresh(size, size)
	}
	if err != nil {
		a.st.Allocs--
		return 0, 0, err
	}
	// The segment is reserved as one free block, then carved: no other
	// free block is as large as size, so fit finds it.
	a.st.Cached += int64(seg)
	b := &block{ptr: p, size: seg, free: true}
	a.insert(b)
	a.take(a.fit(size), size)
	return b.ptr, b.size, nil
}

// fresh asks the driver for bytes (want being what the caller will use
// of them, for the error); when it is out of memory it empties the cache
// and asks again. It counts the bytes as reserved.
func (a *allocator) fresh(bytes, want int) (driver.DevPtr, error) {
	p, err := a.drv.Alloc(bytes)
	if errors.Is(err, driver.ErrOutOfMemory) && bytes == want {
		if rerr := a.release(); rerr != nil {
			return 0, rerr
		}
		p, err = a.drv.Alloc(bytes)
	}
	if err != nil {
		return 0, err
	}
	a.st.PeakReserved = max(a.st.PeakReserved, a.st.Reserved()+int64(bytes))
	return p, nil
}

// reuse marks a block taken from the cache unwritten.
func (a *allocator) reuse(p driver.DevPtr, size int) error {
	if a.undef == nil {
		return nil
	}
	if err := a.undef.Undefine(p, size); err != nil {
		return fmt.Errorf("cuda: mark a reused block unwritten: %w", err)
	}
	return nil
}

// fit returns the index in the pool of the smallest free block of at
// least size bytes, or len(a.pool).
func (a *allocator) fit(size int) int {
	i, _ := slices.BinarySearchFunc(a.pool, size, func(b *block, size int) int { return cmp.Compare(b.size, size) })
	return i
}

// insert adds a free block to the pool.
func (a *allocator) insert(b *block) {
	i, _ := slices.BinarySearchFunc(a.pool, b, blockOrder)
	a.pool = slices.Insert(a.pool, i, b)
}

// remove takes a free block out of the pool.
func (a *allocator) remove(b *block) {
	if i, ok := slices.BinarySearchFunc(a.pool, b, blockOrder); ok {
		a.pool = slices.Delete(a.pool, i, i+1)
	}
}

// blockOrder sorts the pool by size, then address.
func blockOrder(x, y *block) int {
	if c := cmp.Compare(x.size, y.size); c != 0 {
		return c
	}
	return cmp.Compare(x.ptr, y.ptr)
}

// take hands out pool block i for a request of size bytes, splitting off
// the rest as a free block when more than smallMax would be wasted.
func (a *allocator) take(i, size int) {
	b := a.pool[i]
	a.pool = slices.Delete(a.pool, i, i+1)
	if b.size-size > smallMax {
		rest := &block{ptr: b.ptr + driver.DevPtr(size), size: b.size - size, free: true, prev: b, next: b.next}
		if b.next != nil {
			b.next.prev = rest
		}
		b.next, b.size = rest, size
		a.insert(rest)
	}
	b.free = false
	a.used[b.ptr] = b
	a.st.Cached -= int64(b.size)
	a.hand(b.size)
}

// hand counts a block of size bytes handed out.
func (a *allocator) hand(size int) {
	a.handed += int64(size)
	a.handedBin[size] += int64(size)
	a.st.Live += int64(size)
	a.st.Peak = max(a.st.Peak, a.st.Live)
}

// put returns a block to the cache; a large one merges with its free
// neighbours.
func (a *allocator) put(p driver.DevPtr, size int) {
	if size == 0 {
		return
	}
	a.st.Live -= int64(size)
	a.st.Cached += int64(size)
	if size <= smallMax {
		a.free[size] = append(a.free[size], p)
		return
	}
	b := a.used[p]
	delete(a.used, p)
	b.free = true
	if prev := b.prev; prev != nil && prev.free {
		a.remove(prev)
		prev.size += b.size
		prev.next = b.next
		if b.next != nil {
			b.next.prev = prev
		}
		b = prev
	}
	if next := b.next; next != nil && next.free {
		a.remove(next)
		b.size += next.size
		b.next = next.next
		if next.next != nil {
			next.next.prev = b
		}
	}
	a.insert(b)
}

// release returns every cached small block and every wholly free segment
// to the driver; it reports the first driver error after trying them
// all. A segment with a live block stays.
func (a *allocator) release() error {
	var first error
	free := func(p driver.DevPtr, size int) {
		if err := a.drv.Free(p); err != nil && first == nil {
			first = fmt.Errorf("cuda: free cached block of %d bytes: %w", size, err)
		}
		a.st.Cached -= int64(size)
	}
	for size, l := range a.free {
		for _, p := range l {
			free(p, size)
		}
		delete(a.free, size)
	}
	a.pool = slices.DeleteFunc(a.pool, func(b *block) bool {
		if b.prev != nil || b.next != nil {
			return false
		}
		free(b.ptr, b.size)
		return true
	})
	return first
}
