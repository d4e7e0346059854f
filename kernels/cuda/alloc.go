package cuda

import (
	"errors"
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ErrOutOfMemory is wrapped by the error of an allocation the device could
// not satisfy even after the cache was emptied and a GC ran, or whose byte
// count does not fit an int. It is device.ErrOutOfMemory, so one errors.Is
// test serves every backend; the driver's own error (driver.ErrOutOfMemory)
// is wrapped too.
var ErrOutOfMemory = device.ErrOutOfMemory

// Size classes of the caching allocator: requests below bigAlloc round up
// to smallRound bytes, larger ones to bigRound. Coarse classes make a
// freed block fit the next request of similar size, as in PyTorch.
const (
	smallRound = 512
	bigAlloc   = 1 << 20
	bigRound   = 2 << 20
)

// maxRequest is the largest request binSize can round without wrapping.
const maxRequest = math.MaxInt - bigRound

// binSize is the number of bytes reserved for a request of n bytes, at
// most maxRequest (callers refuse larger ones).
func binSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n < bigAlloc:
		return (n + smallRound - 1) / smallRound * smallRound
	}
	return (n + bigRound - 1) / bigRound * bigRound
}

// allocator is a caching allocator: freed blocks wait in per-size free
// lists for the next request of the same class instead of going back to
// the driver, whose allocations synchronise the device. The caller
// serialises access (Backend.mu).
type allocator struct {
	drv  driver.Driver
	free map[int][]driver.DevPtr // by bin size
	st   device.MemStats
	// handed counts the bytes handed out (from the cache or the driver)
	// since the last garbage collection the backend ran: how far device
	// garbage may have grown since; handedBin counts them by bin size.
	// kept is what was live right after that collection.
	handed, kept int64
	handedBin    map[int]int64
	// undef, when the driver tracks written bytes (cudasim), marks a
	// reused block unwritten, as a fresh one is.
	undef driver.Undefiner
}

// cached reports whether a request of n bytes would be served from the
// cache.
func (a *allocator) cached(n int) bool { return len(a.free[binSize(n)]) > 0 }

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
	return allocator{drv: drv, free: map[int][]driver.DevPtr{}, handedBin: map[int]int64{}}
}

// get returns a block of binSize(n) bytes, from the cache when one is free.
// When the driver is out of memory it empties the cache and tries once
// more; any other failure (a device fault) is returned as it is. A request
// of 0 bytes gets the null pointer.
func (a *allocator) get(n int) (driver.DevPtr, int, error) {
	size := binSize(n)
	if size == 0 {
		return 0, 0, nil
	}
	a.st.Allocs++
	if l := a.free[size]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		a.st.Cached -= int64(size)
		a.st.CacheHits++
		a.hand(size)
		if a.undef != nil {
			if err := a.undef.Undefine(p, size); err != nil {
				return 0, 0, fmt.Errorf("cuda: mark a reused block unwritten: %w", err)
			}
		}
		return p, size, nil
	}
	p, err := a.drv.Alloc(size)
	if errors.Is(err, driver.ErrOutOfMemory) {
		if rerr := a.release(); rerr != nil {
			return 0, 0, rerr
		}
		p, err = a.drv.Alloc(size)
	}
	if err != nil {
		a.st.Allocs--
		return 0, 0, err
	}
	a.hand(size)
	a.st.PeakReserved = max(a.st.PeakReserved, a.st.Reserved())
	return p, size, nil
}

// hand counts a block of size bytes handed out.
func (a *allocator) hand(size int) {
	a.handed += int64(size)
	a.handedBin[size] += int64(size)
	a.st.Live += int64(size)
	a.st.Peak = max(a.st.Peak, a.st.Live)
}

// put returns a block to the cache.
func (a *allocator) put(p driver.DevPtr, size int) {
	if size == 0 {
		return
	}
	a.free[size] = append(a.free[size], p)
	a.st.Live -= int64(size)
	a.st.Cached += int64(size)
}

// release frees every cached block; it reports the first driver error
// after trying them all.
func (a *allocator) release() error {
	var first error
	for size, l := range a.free {
		for _, p := range l {
			if err := a.drv.Free(p); err != nil && first == nil {
				first = fmt.Errorf("cuda: free cached block of %d bytes: %w", size, err)
			}
			a.st.Cached -= int64(size)
		}
		delete(a.free, size)
	}
	return first
}
