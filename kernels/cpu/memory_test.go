package cpu

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

func TestRegistration(t *testing.T) {
	b, err := device.Open(device.CPUDevice)
	require.NoError(t, err)
	require.Same(t, shared, b)
	n, err := device.Count(device.CPU)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = device.Open(device.Device{Kind: device.CPU, Index: 1})
	require.Error(t, err)
	require.Equal(t, device.CPUDevice, b.Device())
	require.Contains(t, b.Info().Name, "cpu (")
	require.NoError(t, b.Sync())
}

func TestAllocFree(t *testing.T) {
	be := &Backend{}
	a, err := be.Alloc(device.Float64, 10)
	require.NoError(t, err)
	b, err := be.Alloc(device.Int32, 5)
	require.NoError(t, err)
	require.Equal(t, device.MemStats{Live: 100, Peak: 100, Allocs: 2}, be.Memory())
	be.Free(a)
	be.Free(a) // twice: a no-op
	require.Equal(t, device.MemStats{Live: 20, Cached: 80, Peak: 100, Allocs: 2}, be.Memory(), "a's array is cached")
	require.Equal(t, 10, a.Len())
	require.Equal(t, device.Float64, a.DType())
	be.Free(b)
	be.Free(nil)
	require.Equal(t, int64(0), be.Memory().Live)

	z, err := be.Alloc(device.Float32, 0)
	require.NoError(t, err)
	require.Equal(t, 0, z.Len())
	_, err = be.Alloc(device.Float32, -1)
	require.ErrorContains(t, err, "negative")
	_, err = be.Alloc(device.DType(9), 1)
	require.ErrorContains(t, err, "dtype")

	err = be.Fill(a, device.Contiguous([]int{10}), 1)
	require.ErrorIs(t, err, errFreed)
}

func TestWriteRead(t *testing.T) {
	r := newRand(t)
	for _, dt := range storeTypes {
		t.Run(dt.String(), func(t *testing.T) {
			v := randVals(r, dt, 17)
			require.Equal(t, v, download(t, upload(t, dt, v)))
		})
	}
	b := upload(t, device.Float32, randVals(r, device.Float32, 4))
	cases := []struct {
		host any
		want string
	}{
		{[]float64{1, 2, 3, 4}, "host slice is []float64 of length 4, buffer is float32 of length 4"},
		{[]float32{1, 2, 3}, "host slice is []float32 of length 3, buffer is float32 of length 4"},
		{[]int32{1, 2, 3, 4}, "[]int32"},
		{[]int{1, 2, 3, 4}, "host data is []int"},
		{[]device.BF16{1, 2, 3, 4}, "host slice is []device.BF16 of length 4, buffer is float32"},
	}
	for _, c := range cases {
		require.ErrorContains(t, shared.Write(b, c.host), c.want)
		require.ErrorContains(t, shared.Read(c.host, b), c.want)
	}
}

// foreign is a buffer of some other backend.
type foreign struct{}

func (foreign) DType() device.DType { return device.Float32 }
func (foreign) Len() int            { return 1 }

func TestForeignBuffer(t *testing.T) {
	err := shared.Write(foreign{}, []float32{1})
	require.ErrorContains(t, err, "not a cpu buffer")
	shared.Free(foreign{}) // ignored
	var nb *Buffer
	require.ErrorContains(t, shared.Write(nb, []float32{1}), "nil buffer")
}

func TestFill(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range storeTypes {
		for _, kind := range []string{"contiguous", "transposed", "sliced"} {
			for _, shape := range shapesFor(kind) {
				t.Run(fmt.Sprintf("%v/%s/%v", dt, kind, shape), func(t *testing.T) {
					b, v, l := view(t, r, dt, shape, kind)
					require.NoError(t, shared.Fill(b, l, -2.75))
					want := append([]float64(nil), v...)
					fillVal := -2.75
					if dt == device.Int32 {
						fillVal = -2
					}
					for i := range l.Size() {
						want[l.Index(i)] = fillVal
					}
					require.Equal(t, want, download(t, b))
				})
			}
		}
	}
}

func TestCopy(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range storeTypes {
		for _, kind := range viewKinds {
			for _, shape := range shapesFor(kind) {
				t.Run(fmt.Sprintf("%v/%s/%v", dt, kind, shape), func(t *testing.T) {
					src, sv, sl := view(t, r, dt, shape, kind)
					// dst must not overlap itself: any kind but broadcast
					dk := []string{"contiguous", "transposed", "sliced"}[r.IntN(3)]
					dst, dv, dl := view(t, r, dt, shape, dk)
					require.NoError(t, shared.Copy(dst, dl, src, sl))
					want := append([]float64(nil), dv...)
					for i := range sl.Size() {
						want[dl.Index(i)] = sv[sl.Index(i)]
					}
					require.Equal(t, want, download(t, dst))
				})
			}
		}
	}
	t.Run("overlapping", func(t *testing.T) {
		// x[1:] = x[:-1] and its mirror, on one buffer, split many ways
		v := randVals(r, device.Float64, 100)
		x := upload(t, device.Float64, v)
		require.NoError(t, shared.Copy(x, device.Layout{Shape: []int{99}, Strides: []int{1}, Offset: 1}, x, device.Contiguous([]int{99})))
		require.Equal(t, append(v[:1:1], v[:99]...), download(t, x))
		x = upload(t, device.Float64, v)
		require.NoError(t, shared.Copy(x, device.Contiguous([]int{99}), x, device.Layout{Shape: []int{99}, Strides: []int{1}, Offset: 1}))
		require.Equal(t, append(v[1:100:100], v[99]), download(t, x))
		// a square matrix transposed in place
		x = upload(t, device.Float64, v)
		require.NoError(t, shared.Copy(x, device.Contiguous([]int{10, 10}), x, device.Layout{Shape: []int{10, 10}, Strides: []int{1, 10}}))
		require.Equal(t, elems(v, device.Layout{Shape: []int{10, 10}, Strides: []int{1, 10}}), download(t, x))
	})
	a := upload(t, device.Float32, []float64{1, 2})
	b := upload(t, device.Float64, []float64{1, 2})
	l := device.Contiguous([]int{2})
	require.ErrorContains(t, shared.Copy(a, l, b, l), "float32")
	require.ErrorContains(t, shared.Copy(a, device.Contiguous([]int{3}), a, device.Contiguous([]int{3})), "addresses")
}

func TestCast(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, from := range storeTypes {
		for _, to := range storeTypes {
			for _, kind := range viewKinds {
				t.Run(fmt.Sprintf("%v-%v/%s", from, to, kind), func(t *testing.T) {
					src, v, l := view(t, r, from, []int{5, 7}, kind)
					dst := alloc(t, to, l.Size())
					require.NoError(t, shared.Cast(dst, src, l))
					want := elems(v, l)
					for i, x := range want {
						switch to {
						case device.Int32:
							want[i] = math.Trunc(x)
						default:
							want[i] = round(to, []float64{x})[0]
						}
					}
					require.Equal(t, want, download(t, dst))
				})
			}
		}
	}
	t.Run("saturate", func(t *testing.T) {
		in := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 3e9, -3e9, -2.9, 2.9, -0.5}
		src := upload(t, device.Float64, in)
		dst := alloc(t, device.Int32, len(in))
		require.NoError(t, shared.Cast(dst, src, device.Contiguous([]int{len(in)})))
		require.Equal(t, []float64{0, math.MaxInt32, math.MinInt32, math.MaxInt32, math.MinInt32, -2, 2, 0}, download(t, dst))
	})
}

// A buffer that is dropped without Free leaves the live count once the
// collector has reclaimed it: the tensor layer sets no finalizers on CPU
// buffers and relies on this. That holds for a new array and for one the
// cache served, whose cleanup and account were made for an earlier
// buffer (see account), on either side of smallArray.
func TestDroppedBufferSettlesCounters(t *testing.T) {
	settled := func(be *Backend) {
		t.Helper()
		for i := 0; i < 100 && be.Memory().Live != 0; i++ {
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
		require.Zero(t, be.Memory().Live)
	}
	be := &Backend{}
	_, err := be.Alloc(device.Float64, 1<<16)
	require.NoError(t, err)
	require.Equal(t, int64(8<<16), be.Memory().Live)
	settled(be)
	require.Equal(t, int64(8<<16), be.Memory().Peak)
	require.True(t, be.GarbageCollected())

	for _, n := range []int{1, 3, 15, 16, 1 << 12} {
		b, err := be.Alloc(device.Float32, n)
		require.NoError(t, err)
		be.Free(b) // into the cache
		for range 3 {
			b, err = be.Alloc(device.Float32, n) // served from the cache, then dropped
			require.NoError(t, err)
			require.Equal(t, int64(4*n), be.Memory().Live)
			b = nil
			settled(be)
			b, err = be.Alloc(device.Float32, n) // a new array, freed and cached again
			require.NoError(t, err)
			be.Free(b)
			require.Zero(t, be.Memory().Live)
		}
	}
}

// A freed buffer stays freed once its array, and the account that travels
// with it, serve another buffer: ops on it fail and Free does nothing.
func TestFreedBufferStaysFreed(t *testing.T) {
	be := &Backend{}
	a, err := be.Alloc(device.Float32, 1024)
	require.NoError(t, err)
	be.Free(a)
	b, err := be.Alloc(device.Float32, 1024)
	require.NoError(t, err)
	require.Equal(t, int64(4096), be.Memory().Live)
	be.Free(a)
	require.Equal(t, int64(4096), be.Memory().Live, "a second Free of a stale buffer settles nothing")
	require.ErrorIs(t, be.Fill(a, device.Contiguous([]int{1024}), 1), errFreed)
	require.NoError(t, be.Fill(b, device.Contiguous([]int{1024}), 1))
	be.Free(b)
	require.Zero(t, be.Memory().Live)
}

// An allocation past the memory limit fails with device.ErrOutOfMemory
// before any memory is taken, after a collection has had its chance; the
// default limit is the machine's memory, so a 4 TB request fails rather
// than killing the process.
func TestAllocMemoryLimit(t *testing.T) {
	be := &Backend{}
	require.Positive(t, MemoryLimit())
	if MemoryLimit() < 1<<42 {
		_, err := be.Alloc(device.Float32, 1e12)
		require.ErrorIs(t, err, device.ErrOutOfMemory)
		require.ErrorContains(t, err, "4000000000000 bytes")
	}
	for _, n := range []int{1e18, math.MaxInt} {
		_, err := be.Alloc(device.Float32, n)
		require.ErrorIs(t, err, device.ErrOutOfMemory, "%d elements", n)
	}

	prev := SetMemoryLimit(8 << 20)
	defer SetMemoryLimit(prev)
	require.Equal(t, int64(8<<20), MemoryLimit())
	a, err := be.Alloc(device.Float64, 768<<10) // 6 MiB
	require.NoError(t, err)
	_, err = be.Alloc(device.Float64, 512<<10) // 4 MiB more: over
	require.ErrorIs(t, err, device.ErrOutOfMemory)
	require.ErrorContains(t, err, "6291456 bytes live; the limit is 8388608 bytes")
	require.Equal(t, int64(6<<20), be.Memory().Live, "a refused request takes nothing")
	be.Free(a)
	b, err := be.Alloc(device.Float64, 512<<10)
	require.NoError(t, err, "freed memory is room again")

	// Garbage the collector has not reclaimed yet is on the live count
	// until the collection the refused path runs.
	_, err = be.Alloc(device.Float32, 1<<20) // 4 MiB, dropped at once
	require.NoError(t, err)
	require.Equal(t, int64(8<<20), be.Memory().Live)
	c, err := be.Alloc(device.Float32, 1<<20)
	require.NoError(t, err, "the dead buffer is reclaimed for the request")
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)

	SetMemoryLimit(0)
	require.Equal(t, physicalMemory(), MemoryLimit(), "0 restores the default")
}
