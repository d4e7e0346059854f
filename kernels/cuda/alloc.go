package cuda

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ErrOutOfMemory is wrapped by the error of an allocation the device could
// not satisfy even after the cache was emptied and a GC ran, or whose byte
// count does not fit an int. It is device.ErrOutOfMemory, so one errors.Is
// test serves every backend.
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
}

func newAllocator(drv driver.Driver) allocator {
	return allocator{drv: drv, free: map[int][]driver.DevPtr{}}
}

// get returns a block of binSize(n) bytes, from the cache when one is free.
// When the driver fails it empties the cache and tries once more. A
// request of 0 bytes gets the null pointer.
func (a *allocator) get(n int) (driver.DevPtr, int, error) {
	size := binSize(n)
	if size == 0 {
		return 0, 0, nil
	}
	if l := a.free[size]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		a.st.Cached -= int64(size)
		a.track(size)
		return p, size, nil
	}
	p, err := a.drv.Alloc(size)
	if err != nil {
		if rerr := a.release(); rerr != nil {
			return 0, 0, rerr
		}
		if p, err = a.drv.Alloc(size); err != nil {
			return 0, 0, err
		}
	}
	a.track(size)
	return p, size, nil
}

func (a *allocator) track(size int) {
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
