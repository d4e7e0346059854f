package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// TestWalker checks the incremental walk against device.Layout.Index, the
// reference definition, from every starting position and in runs of every
// length the kernels use.
func TestWalker(t *testing.T) {
	r := newRand(t)
	for _, shape := range append(testShapes[:len(testShapes)-1], []int{2, 3, 2, 3, 2, 3, 2, 3}) {
		for _, kind := range viewKinds {
			t.Run(fmt.Sprintf("%v/%s", shape, kind), func(t *testing.T) {
				a, _ := randomLayout(r, shape, kind)
				b, _ := randomLayout(r, shape, viewKinds[r.IntN(len(viewKinds))])
				size := a.Size()
				start := r.IntN(size)
				w := newWalker(shape, a, b)
				w.seek(start)
				for pos := start; pos < size; {
					run := min(w.run(), 1+r.IntN(3))
					for i := range run {
						require.Equal(t, a.Index(pos+i), w.off[0]+i*w.inner(0), "a at %d", pos+i)
						require.Equal(t, b.Index(pos+i), w.off[1]+i*w.inner(1), "b at %d", pos+i)
					}
					w.advance(run)
					pos += run
				}
			})
		}
	}
}

func TestWalkerCoalesces(t *testing.T) {
	// a contiguous 4-D view is one run; a transposed matrix stays 2-D
	w := newWalker([]int{2, 3, 1, 4}, device.Contiguous([]int{2, 3, 1, 4}))
	require.Equal(t, 1, w.rank)
	require.Equal(t, 24, w.run())
	w = newWalker([]int{3, 4}, device.Layout{Shape: []int{3, 4}, Strides: []int{1, 3}})
	require.Equal(t, 2, w.rank)
	// a row broadcast over a sliced buffer: [5, 4] with strides [0, 1]
	w = newWalker([]int{5, 4}, device.Layout{Shape: []int{5, 4}, Strides: []int{0, 1}, Offset: 2})
	require.Equal(t, 2, w.rank)
	require.Equal(t, 2, w.off[0])
}

func TestCheckLayout(t *testing.T) {
	b := upload(t, device.Float32, make([]float64, 10))
	cases := []struct {
		l    device.Layout
		want string
	}{
		{device.Layout{Shape: []int{2, 5}, Strides: []int{5, 1}}, ""},
		{device.Layout{Shape: []int{2, 5}, Strides: []int{5, 1}, Offset: 1}, "addresses elements [1, 10]"},
		{device.Layout{Shape: []int{2}, Strides: []int{1, 1}}, "2 strides"},
		{device.Layout{Shape: []int{-1}, Strides: []int{1}}, "negative shape"},
		{device.Layout{Shape: make([]int, 9), Strides: make([]int, 9)}, "rank 9"},
		{device.Layout{Shape: []int{0, 100}, Strides: []int{100, 1}}, ""},
		{device.Layout{Shape: []int{3}, Strides: []int{-4}, Offset: 8}, ""},
		{device.Layout{Shape: []int{3}, Strides: []int{-4}, Offset: 7}, "[-1, 7]"},
	}
	for _, c := range cases {
		err := checkLayout("Test", b, c.l, "x")
		if c.want == "" {
			require.NoError(t, err, "%+v", c.l)
		} else {
			require.ErrorContains(t, err, c.want, "%+v", c.l)
		}
	}
}

func TestParallelFor(t *testing.T) {
	for _, n := range []int{0, 1, 5, 1 << 20} {
		seen := make([]int32, n)
		parallelFor(n, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, s := range seen {
			if s != 1 {
				require.Failf(t, "parallelFor", "index %d of %d visited %d times", i, n, s)
			}
		}
	}
	require.PanicsWithValue(t, "boom", func() {
		parallelFor(1<<20, 1, func(lo, hi int) {
			if hi == 1<<20 {
				panic("boom")
			}
		})
	})
}

// TestParallelForPool runs parallelFor from several goroutines at once,
// nested inside itself, with panics in worker ranges, and across
// GOMAXPROCS changes and parked workers: every index is visited exactly
// once whether a range ran on a pool worker or, with the workers busy, on
// the caller.
func TestParallelForPool(t *testing.T) {
	old, procs := grain, runtime.GOMAXPROCS(4)
	grain = 1
	t.Cleanup(func() { grain = old; runtime.GOMAXPROCS(procs) })
	visit := func(n int) {
		seen := make([]atomic.Int32, n)
		parallelFor(n, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
				if i%97 == 0 {
					parallelFor(13, 1, func(lo, hi int) {}) // nested: workers may be busy
				}
			}
		})
		for i := range seen {
			if s := seen[i].Load(); s != 1 {
				require.Failf(t, "parallelFor", "index %d of %d visited %d times", i, n, s)
			}
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 200 {
				visit(1 + (g*7919+k*104729)%3000)
			}
		}()
	}
	wg.Wait()
	for _, procs := range []int{2, 3, 8, 4} {
		runtime.GOMAXPROCS(procs)
		visit(5000)
		time.Sleep(2 * spinFor) // let the workers park
		visit(5000)
		require.PanicsWithValue(t, "worker boom", func() {
			parallelFor(1000, 1, func(lo, hi int) {
				if lo > 0 {
					panic("worker boom")
				}
			})
		})
	}
}

// TestParallelForLateWorker holds a worker back between taking up its
// group and claiming parts: the call still returns (the caller runs every
// part), and once released the worker finds nothing left to claim, in
// that group or, having been busy meanwhile, in later calls. Parts that
// outlast the caller's spin (the caller then blocks until the worker
// completing the last part wakes it) still all run once.
func TestParallelForLateWorker(t *testing.T) {
	old, procs := grain, runtime.GOMAXPROCS(2)
	grain = 1
	release, held := make(chan struct{}), make(chan struct{}, 1)
	hook := func() {
		select {
		case held <- struct{}{}:
			<-release
		default: // another group taken up while the first is held: run on
		}
	}
	workerStartHook.Store(&hook)
	t.Cleanup(func() { grain = old; runtime.GOMAXPROCS(procs); workerStartHook.Store(nil) })
	visit := func(n int, body func(i int)) {
		seen := make([]atomic.Int32, n)
		done := make(chan struct{})
		go func() {
			defer close(done)
			parallelFor(n, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
					body(i)
				}
			})
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			require.FailNow(t, "parallelFor waited for a worker that had not started")
		}
		for i := range seen {
			require.Equal(t, int32(1), seen[i].Load(), "index %d of %d", i, n)
		}
	}
	visit(1000, func(int) {})
	<-held // the worker took up the first group and is held
	for range 20 {
		visit(1000, func(int) {}) // the held worker is busy: the caller runs all
	}
	close(release)
	for range 20 {
		visit(64, func(i int) {
			if i%8 == 0 {
				time.Sleep(spinFor) // a part outlasting the caller's spin
			}
		})
	}
}

// TestDeterministic runs parallel kernels under several GOMAXPROCS and
// requires bit-identical results.
func TestDeterministic(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	const rows, cols = 300, 301
	x, _, xl := view(t, r, device.Float32, []int{rows, cols}, "transposed")
	y := upload(t, device.Float32, randVals(r, device.Float32, rows*cols))
	run := func() []float64 {
		var out []float64
		sum, prod, sm := alloc(t, device.Float32, rows), alloc(t, device.Float32, rows*rows), alloc(t, device.Float32, rows*cols)
		require.NoError(t, shared.Reduce(device.Sum, sum, x, xl, 1))
		require.NoError(t, shared.MatMul(device.MatMulArgs{Batch: 1, M: rows, N: rows, K: cols,
			A: y, LDA: cols, B: y, LDB: cols, TransB: true, C: prod}))
		// A batch of 6 (100x43 @ 43x100): shared out whole at 2 and 3
		// threads, each product split at 8 (6 < 2*8, 6%8 != 0).
		bat := alloc(t, device.Float32, 6*100*100)
		require.NoError(t, shared.MatMul(device.MatMulArgs{Batch: 6, M: 100, N: 100, K: 43,
			A: y, LDA: 43, AStride: 100 * 43, B: y, LDB: 100, BStride: 43 * 100, C: bat}))
		require.NoError(t, shared.Binary(device.GELUGrad, 0, sm, x, xl, y, device.Contiguous([]int{rows, cols})))
		for _, b := range []*Buffer{sum, prod, bat, sm} {
			out = append(out, download(t, b)...)
		}
		return out
	}
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	want := run()
	for _, procs := range []int{2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		require.Equal(t, want, run(), "GOMAXPROCS %d", procs)
	}
}
