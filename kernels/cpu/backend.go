package cpu

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/tapegrad/tapegrad/device"
)

// Backend is the CPU implementation of device.Backend. It holds no state
// but the allocator's counters and its cache of freed buffers, so one
// instance serves every caller and its methods are safe for concurrent
// use.
type Backend struct {
	live  atomic.Int64 // bytes held by live buffers
	peak  atomic.Int64 // largest live seen
	cache cache
}

var _ device.Backend = (*Backend)(nil)

// shared is the one CPU backend; device.Open hands it out.
var shared = &Backend{}

// driver registers the CPU: a machine always has exactly one.
type driver struct{}

func (driver) Count() (int, error) { return 1, nil }

func (driver) Open(index int) (device.Backend, error) {
	if index != 0 {
		return nil, fmt.Errorf("cpu: no device %d (there is only cpu 0)", index)
	}
	return shared, nil
}

func init() { device.Register(device.CPU, driver{}) }

// Device returns device.CPUDevice.
func (*Backend) Device() device.Device { return device.CPUDevice }

// Info names the backend with its thread count.
func (*Backend) Info() device.Info {
	return device.Info{
		Name: fmt.Sprintf("cpu (%d threads)", runtime.GOMAXPROCS(0)),
		Note: fmt.Sprintf("no cgo; kernels: GEMM %s/%s, f32 transcendentals %s",
			gemmKernels32[0].name, gemmKernels64[0].name, unaryF32Sets[0].name),
	}
}

// Memory returns live and peak bytes of buffers allocated here, the
// bytes the cache holds for reuse (Cached), and how many Alloc calls there
// were and the cache served (Allocs, CacheHits). Live counts the elements
// requested; a cached array is rounded up to its size class.
func (be *Backend) Memory() device.MemStats {
	return device.MemStats{Live: be.live.Load(), Peak: be.peak.Load(), Cached: be.cache.bytes.Load(),
		Allocs: be.cache.allocs.Load(), CacheHits: be.cache.hits.Load()}
}

// GarbageCollected reports true: buffers are Go slices, so the tensor
// layer needs no finalizer to return them and the collector reclaims them
// in one cycle.
func (*Backend) GarbageCollected() bool { return true }

// Sync returns nil: every kernel has finished when its method returns.
func (*Backend) Sync() error { return nil }

// errFreed is wrapped by errors about buffers used after Free.
var errFreed = errors.New("buffer used after Free")

// opError prefixes an error with the backend and the op.
func opError(op string, format string, args ...any) error {
	return fmt.Errorf("cpu: "+op+": "+format, args...)
}

// unsupported reports an op that has no kernel for dt.
func unsupported(op string, dt device.DType) error {
	return opError(op, "not supported for %v", dt)
}

// buffers turns the device.Buffers of one call into *Buffer, checking that
// each came from this backend, is live and has dtype dt.
func buffers(op string, dt device.DType, bs ...device.Buffer) ([]*Buffer, error) {
	out := make([]*Buffer, len(bs))
	for i, b := range bs {
		cb, err := asBuffer(op, b)
		if err != nil {
			return nil, err
		}
		if cb.dt != dt {
			return nil, opError(op, "got a %v buffer, want %v", cb.dt, dt)
		}
		out[i] = cb
	}
	return out, nil
}

// asBuffer checks that b is a live buffer of this backend.
func asBuffer(op string, b device.Buffer) (*Buffer, error) {
	cb, ok := b.(*Buffer)
	switch {
	case b == nil || (ok && cb == nil):
		return nil, opError(op, "nil buffer")
	case !ok:
		return nil, opError(op, "buffer of type %T is not a cpu buffer", b)
	case cb.data == nil:
		return nil, fmt.Errorf("cpu: %s: %w", op, errFreed)
	}
	return cb, nil
}

// need checks that b holds at least n elements.
func need(op string, b *Buffer, n int, what string) error {
	if n < 0 {
		return opError(op, "negative size %d for %s", n, what)
	}
	if b.Len() < n {
		return opError(op, "%s needs %d elements, buffer has %d", what, n, b.Len())
	}
	return nil
}
