package cpu

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// newCacheBackend returns a backend of its own whose cache no garbage
// collection trims, so the counters the test reads are its alone.
func newCacheBackend() *Backend {
	be := &Backend{}
	be.cache.disableTrimGCs = true
	return be
}

// TestSizeClass checks the classes on random and edge sizes: a class
// holds every size up to its capacity, wastes at most a quarter, and a
// larger size never gets a smaller class.
func TestSizeClass(t *testing.T) {
	r := newRand(t)
	ns := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 1000, 1024, 1025, 1 << 40, 1<<61 - 1}
	for range 1000 {
		ns = append(ns, 1+r.IntN(1<<(1+r.IntN(40))))
	}
	for _, n := range ns {
		class, capacity, ok := sizeClass(n)
		require.True(t, ok, "%d", n)
		require.GreaterOrEqual(t, capacity, n)
		require.LessOrEqual(t, float64(capacity), 1.25*float64(n), "%d", n)
		require.Less(t, class, numClasses)
		c2, cap2, _ := sizeClass(capacity)
		require.Equal(t, class, c2, "the capacity is in its own class (%d)", n)
		require.Equal(t, capacity, cap2)
		if c3, cap3, ok := sizeClass(capacity + 1); ok {
			require.Greater(t, c3, class, "%d", n)
			require.Greater(t, cap3, capacity)
		}
	}
	for _, n := range []int{0, math.MaxInt, 1 << 62} {
		_, _, ok := sizeClass(n)
		require.False(t, ok, "%d", n)
	}
}

// TestCacheReuse frees buffers and allocates again: the array comes back
// (for any length of its size class and dtype) without its old owner's
// Buffer, which stays freed, and the counters follow.
func TestCacheReuse(t *testing.T) {
	r := newRand(t)
	be := newCacheBackend()
	for _, dt := range storeTypes {
		be.EmptyCache()
		vals := randVals(r, dt, 1000)
		a, err := be.Alloc(dt, 1000)
		require.NoError(t, err)
		require.NoError(t, be.Write(a, hostSlice(dt, vals)))
		_, capacity, _ := sizeClass(1000)
		before := be.Memory()
		be.Free(a)
		m := be.Memory()
		require.Equal(t, before.Live-int64(1000*dt.Size()), m.Live)
		require.Equal(t, before.Cached+int64(capacity*dt.Size()), m.Cached)

		b, err := be.Alloc(dt, 990) // same class, shorter
		require.NoError(t, err)
		require.Equal(t, m.CacheHits+1, be.Memory().CacheHits, "%v", dt)
		require.Equal(t, before.Cached, be.Memory().Cached)
		require.Equal(t, 990, b.Len())
		require.Len(t, download(t, b), 990)
		require.NotSame(t, a, b)
		require.ErrorIs(t, be.Fill(a, device.Contiguous([]int{1000}), 1), errFreed, "the old Buffer stays freed")
		require.NoError(t, be.Fill(b, device.Contiguous([]int{990}), 2))
		require.Equal(t, 2.0, download(t, b)[989])

		other := storeTypes[(int(dt)+1)%len(storeTypes)]
		c, err := be.Alloc(other, 990) // another dtype: its own lists
		require.NoError(t, err)
		require.Equal(t, m.CacheHits+1, be.Memory().CacheHits)
		be.Free(b)
		be.Free(c)
	}
	require.Equal(t, int64(0), be.Memory().Live)
	be.EmptyCache()
	require.Equal(t, int64(0), be.Memory().Cached)
}

// hostSlice converts v to dt's host slice type.
func hostSlice(dt device.DType, v []float64) any {
	switch dt {
	case device.Float64:
		return v
	case device.Int32:
		s := make([]int32, len(v))
		for i, x := range v {
			s[i] = int32(x)
		}
		return s
	case device.BFloat16:
		return device.BF16s(float32s(v))
	case device.Float16:
		return device.F16s(float32s(v))
	}
	return float32s(v)
}

// TestCacheLimits checks the bounds: SetCacheLimit (0: nothing is
// cached), a quarter of the memory limit, and a fresh allocation that
// does not fit beside the cache emptying it.
func TestCacheLimits(t *testing.T) {
	be := newCacheBackend()
	prev := SetCacheLimit(0)
	defer SetCacheLimit(prev)
	a, err := be.Alloc(device.Float32, 100)
	require.NoError(t, err)
	be.Free(a)
	require.Zero(t, be.Memory().Cached, "limit 0")

	SetCacheLimit(-1)
	require.Equal(t, int64(defaultCacheLimit), CacheLimit(), "negative: the default")
	SetCacheLimit(4096)
	require.Equal(t, int64(4096), CacheLimit())

	bs := make([]device.Buffer, 3)
	for i := range bs {
		bs[i], err = be.Alloc(device.Float32, 512)
		require.NoError(t, err)
	}
	for _, b := range bs {
		be.Free(b)
	}
	require.Equal(t, int64(4096), be.Memory().Cached, "the third is over the limit")

	SetCacheLimit(prev)
	old := SetMemoryLimit(16 << 20)
	defer SetMemoryLimit(old)
	big := make([]device.Buffer, 4)
	for i := range big {
		big[i], err = be.Alloc(device.Float32, 1<<20) // 4 MiB each
		require.NoError(t, err)
	}
	require.Zero(t, be.Memory().Cached, "the last fresh allocation emptied the cache")
	be.Free(big[0])
	require.Equal(t, int64(4<<20), be.Memory().Cached, "a quarter of the memory limit")
	be.Free(big[1])
	require.Equal(t, int64(4<<20), be.Memory().Cached, "past a quarter of the memory limit")
	c, err := be.Alloc(device.Float64, 1<<20) // 8 MiB: fits only without the cache
	require.NoError(t, err)
	require.Zero(t, be.Memory().Cached, "emptied for a fresh allocation")
	runtime.KeepAlive(c)
	runtime.KeepAlive(big)
}

// TestCacheTrimsAtCollections checks that an array nobody takes leaves
// the cache at garbage collections once it sat idle for trimIdle, not
// before, and that the trims stop once the cache is empty.
func TestCacheTrimsAtCollections(t *testing.T) {
	defer trimIdle.Store(trimIdle.Load())
	trimIdle.Store(int64(time.Hour))
	be := &Backend{}
	a, err := be.Alloc(device.Float32, 1000)
	require.NoError(t, err)
	be.Free(a)
	require.Positive(t, be.Memory().Cached)
	for range 5 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	require.Positive(t, be.Memory().Cached, "idle for less than trimIdle")

	trimIdle.Store(0)
	for i := 0; i < 200 && be.Memory().Cached != 0; i++ { // cleanups run soon after a collection, not in it
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	require.Zero(t, be.Memory().Cached)
	be.cache.mu.Lock()
	defer be.cache.mu.Unlock()
	require.False(t, be.cache.armed, "no trim waits on an empty cache")
}

// TestPoison checks TAPEGRAD_CPU_POISON's fill: NaN in every float
// dtype, poisonInt32 in Int32, new and reused buffers alike.
func TestPoison(t *testing.T) {
	poison.Store(true)
	defer poison.Store(false)
	be := newCacheBackend()
	for _, dt := range storeTypes {
		for range 2 { // fresh, then from the cache
			b, err := be.Alloc(dt, 37)
			require.NoError(t, err)
			for _, v := range download(t, b) {
				if dt == device.Int32 {
					require.Equal(t, float64(poisonInt32), v)
				} else {
					require.True(t, math.IsNaN(v), "%v: %v", dt, v)
				}
			}
			be.Free(b)
		}
	}
}

// TestCacheConcurrent runs goroutines that allocate, fill with their own
// values, check and free buffers of shared size classes on one backend
// at once: a buffer handed to two owners shows as another goroutine's
// values (and as a race under -race).
func TestCacheConcurrent(t *testing.T) {
	be := &Backend{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				n := 100 + (g*7+i)%50
				b, err := be.Alloc(device.Float32, n)
				if err != nil {
					t.Error(err)
					return
				}
				v := float64(g*1000 + i)
				if err := be.Fill(b, device.Contiguous([]int{n}), v); err != nil {
					t.Error(err)
					return
				}
				runtime.Gosched()
				got := make([]float32, n)
				if err := be.Read(got, b); err != nil {
					t.Error(err)
					return
				}
				for _, x := range got {
					if x != float32(v) {
						t.Errorf("goroutine %d, step %d: read %v, wrote %v", g, i, x, v)
						return
					}
				}
				be.Free(b)
			}
		})
	}
	wg.Wait()
	require.Zero(t, be.Memory().Live)
	require.Positive(t, be.Memory().CacheHits)
}
