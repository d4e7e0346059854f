package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// fakeDriver is a driver.Driver with a memory limit and no kernels: enough
// for the allocator.
type fakeDriver struct {
	limit, used int
	next        driver.DevPtr
	blocks      map[driver.DevPtr]int
	allocs      int // successful driver allocations
	frees       int
}

func newFake(limit int) *fakeDriver {
	return &fakeDriver{limit: limit, next: 1 << 20, blocks: map[driver.DevPtr]int{}}
}

var errFakeOOM = fmt.Errorf("fake: %w", driver.ErrOutOfMemory)

func (f *fakeDriver) Props() driver.Props {
	return driver.Props{Name: "fake", TotalMem: int64(f.limit), SMs: 1, MaxGridX: 1 << 31}
}

func (f *fakeDriver) Alloc(n int) (driver.DevPtr, error) {
	if n <= 0 || f.used+n > f.limit {
		return 0, fmt.Errorf("%w (%d bytes, %d of %d used)", errFakeOOM, n, f.used, f.limit)
	}
	p := f.next
	f.next += driver.DevPtr(n)
	f.blocks[p] = n
	f.used += n
	f.allocs++
	return p, nil
}

func (f *fakeDriver) Free(p driver.DevPtr) error {
	n, ok := f.blocks[p]
	if !ok {
		return fmt.Errorf("fake: free of unknown %#x", p)
	}
	delete(f.blocks, p)
	f.used -= n
	f.frees++
	return nil
}

func (f *fakeDriver) CopyHtoD(driver.DevPtr, []byte) error     { return nil }
func (f *fakeDriver) CopyDtoH([]byte, driver.DevPtr) error     { return nil }
func (f *fakeDriver) CopyDtoD(_, _ driver.DevPtr, _ int) error { return nil }
func (f *fakeDriver) Memset(driver.DevPtr, byte, int) error    { return nil }
func (f *fakeDriver) Load(name, _ string) (driver.Module, error) {
	return nil, errors.New("fake: no kernels")
}
func (f *fakeDriver) Sync() error { return nil }
func (f *fakeDriver) Launch(driver.Function, driver.Dim3, driver.Dim3, int, ...any) error {
	return errors.New("fake: no kernels")
}

func TestBinSize(t *testing.T) {
	for _, c := range []struct{ in, want int }{
		{0, 0}, {1, 512}, {512, 512}, {513, 1024}, {1<<20 - 1, 1 << 20}, {1 << 20, 1 << 20},
		{2<<20 + 1, 2<<20 + 512}, {5 << 20, 5 << 20},
	} {
		require.Equal(t, c.want, binSize(c.in), "binSize(%d)", c.in)
	}
	for _, c := range []struct{ in, want int }{
		{1<<20 + 512, 20 << 20}, {10<<20 - 512, 20 << 20}, {10 << 20, 10 << 20}, {11 << 20, 12 << 20},
	} {
		require.Equal(t, c.want, segmentSize(c.in), "segmentSize(%d)", c.in)
	}
}

func TestAllocReuseAndCounters(t *testing.T) {
	f := newFake(1 << 30)
	b := New(device.CUDASimDevice, f)
	x, err := b.Alloc(device.Float32, 100) // 400 bytes -> 512
	require.NoError(t, err)
	require.Equal(t, device.MemStats{Live: 512, Peak: 512, PeakReserved: 512, Allocs: 1}, b.Memory())
	b.Free(x)
	b.Free(x) // twice: a no-op
	require.Equal(t, device.MemStats{Cached: 512, Peak: 512, PeakReserved: 512, Allocs: 1}, b.Memory())

	y, err := b.Alloc(device.Float64, 60) // 480 bytes: the same bin, reused
	require.NoError(t, err)
	require.Equal(t, x.(*Buffer).ptr, y.(*Buffer).ptr)
	require.Equal(t, 1, f.allocs)
	require.Equal(t, device.MemStats{Live: 512, Peak: 512, PeakReserved: 512, Allocs: 2, CacheHits: 1}, b.Memory())

	z, err := b.Alloc(device.Int32, 3<<20/4) // 3 MiB: carved from a 20 MiB segment
	require.NoError(t, err)
	require.Equal(t, device.MemStats{Live: 512 + 3<<20, Cached: 17 << 20, Peak: 512 + 3<<20, PeakReserved: 512 + 20<<20, Allocs: 3, CacheHits: 1}, b.Memory())
	b.Free(z)
	b.Free(y)
	require.Equal(t, device.MemStats{Cached: 512 + 20<<20, Peak: 512 + 3<<20, PeakReserved: 512 + 20<<20, Allocs: 3, CacheHits: 1}, b.Memory())

	e, err := b.Alloc(device.Float32, 0)
	require.NoError(t, err)
	require.Equal(t, 0, e.Len())
	b.Free(e)
	b.Free(e)
	require.Equal(t, 2, f.allocs, "an empty buffer takes no device memory")
}

func TestAllocOOMEmptiesCacheThenCollects(t *testing.T) {
	f := newFake(8 << 20)
	b := New(device.CUDASimDevice, f)
	collected := 0
	b.collect = func() { collected++ }

	// No room for a 20 MiB segment: a block of exactly 5 MiB. Freed, it
	// serves a 3 MiB request by splitting.
	x, err := b.Alloc(device.Float32, 5<<20/4)
	require.NoError(t, err)
	b.Free(x)
	y, err := b.Alloc(device.Float32, 3<<20/4)
	require.NoError(t, err)
	require.Equal(t, x.(*Buffer).ptr, y.(*Buffer).ptr)
	require.Equal(t, 1, f.allocs)
	require.Equal(t, int64(2<<20), b.Memory().Cached, "the split-off rest")

	// A cached small block is in the way: the retry empties the cache.
	s, err := b.Alloc(device.Float32, 1<<18) // 1 MiB, small pool
	require.NoError(t, err)
	b.Free(s)
	w, err := b.Alloc(device.Float32, 2<<20/4) // the 2 MiB rest of x's segment
	require.NoError(t, err)
	b.Free(w)
	require.Equal(t, int64(3<<20), b.Memory().Cached)

	// Live memory blocks the request; the GC (here: a finalizer freeing y,
	// whose segment then merges back whole) makes room and the retry
	// succeeds after the cache is emptied.
	b.collect = func() { collected++; b.Free(y) }
	z, err := b.Alloc(device.Float32, 6<<20/4)
	require.NoError(t, err)
	require.Equal(t, 1, collected)
	m := b.Memory()
	require.Equal(t, [3]int64{6 << 20, 0, 6 << 20}, [3]int64{m.Live, m.Cached, m.Peak})
	require.Equal(t, int64(1), m.Collections)

	// Nothing to collect: an out-of-memory error with the request and counters.
	b.collect = func() { collected++ }
	_, err = b.Alloc(device.Float64, 1<<20)
	require.Error(t, err)
	require.ErrorIs(t, err, ErrOutOfMemory)
	require.ErrorIs(t, err, errFakeOOM)
	for _, s := range []string{"8388608 bytes requested", "live", "cached", "peak"} {
		require.Contains(t, err.Error(), s)
	}
	require.Equal(t, 2, collected)
	b.Free(z)
}

// TestGCPressure checks that once the driver has handed out more than the
// pressure threshold since the last collection, a request the cache cannot
// serve collects garbage first, and that the cache then serves it.
func TestGCPressure(t *testing.T) {
	f := newFake(1 << 30)
	b := New(device.CUDASimDevice, f)
	b.SetGCPressure(4 << 10)
	var dead []device.Buffer // what the "GC" finds unreachable
	b.collect = func() {
		for _, x := range dead {
			b.Free(x)
		}
		dead = nil
	}
	for step := range 50 {
		for range 4 { // a step's garbage: four 512-byte blocks and one of 1 KiB
			x, err := b.Alloc(device.Float32, 128)
			require.NoError(t, err)
			dead = append(dead, x)
		}
		y, err := b.Alloc(device.Float32, 256)
		require.NoError(t, err)
		dead = append(dead, y)
		if step == 10 {
			require.Positive(t, b.Memory().Collections)
		}
	}
	m := b.Memory()
	t.Logf("%+v, driver allocations %d", m, f.allocs)
	require.LessOrEqual(t, f.allocs, 10, "the driver kept being asked: %+v", m)
	require.Greater(t, m.CacheHits, m.Allocs*9/10)
	require.LessOrEqual(t, m.PeakReserved, int64(8<<10), "threshold plus what a step keeps")
}

func TestAllocRejectsBadArguments(t *testing.T) {
	b := New(device.CUDASimDevice, newFake(1<<20))
	_, err := b.Alloc(device.Float32, -1)
	require.Error(t, err)
	_, err = b.Alloc(device.DType(9), 1)
	require.Error(t, err)
	// Byte counts that wrap an int (1<<62 float32s is 1<<64 bytes) or
	// that the size classes cannot round are out of memory, not a null
	// buffer.
	for _, n := range []int{1 << 62, math.MaxInt, math.MaxInt/4 - 100} {
		x, err := b.Alloc(device.Float32, n)
		require.ErrorIs(t, err, device.ErrOutOfMemory, "%d elements", n)
		require.Nil(t, x)
	}
	require.Equal(t, device.MemStats{}, b.Memory())
}

func TestCollectGarbageRunsFinalizers(t *testing.T) {
	done := make(chan struct{})
	func() {
		x := new([64]byte)
		runtime.SetFinalizer(x, func(*[64]byte) { close(done) })
	}()
	collectGarbage()
	select {
	case <-done:
	default:
		t.Fatal("a dead object's finalizer had not run after collectGarbage")
	}
}
