package cpu

import (
	"sync"

	"github.com/tapegrad/tapegrad/device"
)

// Kernel scratch: the per-call temporaries of the kernels (gather
// buffers, reduction partials and lanes) come from pools instead of the
// heap, so that a warm training step makes no garbage in them. They are
// not buffers (their element types are Go structs and float64 lanes), so
// they use sync.Pool, which the collector empties at its own pace.

// slicePool recycles slices of E, each at least as long as asked.
type slicePool[E any] struct{ p sync.Pool }

// get returns a slice of n elements, contents undefined; the caller puts
// it back with put when done.
func (sp *slicePool[E]) get(n int) *[]E {
	s, _ := sp.p.Get().(*[]E)
	if s == nil {
		s = new([]E)
	}
	if cap(*s) < n {
		*s = make([]E, n, max(n, 2*cap(*s)))
	}
	*s = (*s)[:n]
	return s
}

// put returns s to the pool.
func (sp *slicePool[E]) put(s *[]E) { sp.p.Put(s) }

// lanePool holds reduceColumns' float64 lanes.
var lanePool slicePool[float64]

var (
	poolF32  slicePool[float32]
	poolF64  slicePool[float64]
	poolI32  slicePool[int32]
	poolBF16 slicePool[device.BF16]
	poolF16  slicePool[device.F16]

	partialPoolF32 slicePool[partial[float32]]
	partialPoolF64 slicePool[partial[float64]]
	partialPoolI32 slicePool[partial[int32]]
)

// elemPool returns the pool of T's slices (a pool of its own, so no
// reuse, for a type outside the dtypes).
func elemPool[T elem]() *slicePool[T] {
	var p any
	var z T
	switch any(z).(type) {
	case float32:
		p = &poolF32
	case float64:
		p = &poolF64
	case int32:
		p = &poolI32
	case device.BF16:
		p = &poolBF16
	case device.F16:
		p = &poolF16
	}
	if sp, ok := p.(*slicePool[T]); ok {
		return sp
	}
	return new(slicePool[T])
}

// partialPool returns the pool of partial[T] slices, as elemPool.
func partialPool[T num]() *slicePool[partial[T]] {
	var p any
	var z T
	switch any(z).(type) {
	case float32:
		p = &partialPoolF32
	case float64:
		p = &partialPoolF64
	case int32:
		p = &partialPoolI32
	}
	if sp, ok := p.(*slicePool[partial[T]]); ok {
		return sp
	}
	return new(slicePool[partial[T]])
}
