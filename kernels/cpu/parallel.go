package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// grain is the work, in elementary operations, that makes a goroutine worth
// starting: below about 16K element operations the start-up and wake-up
// cost more than the second core saves. Tests lower it to split small
// inputs.
var grain = 1 << 14

// parallelFor runs body over [0, n) split into contiguous ranges, one per
// thread, using at most GOMAXPROCS threads and as many as the work n*cost
// (cost: operations per index) pays for. Callers make each index's result
// depend on that index alone, never on the split, which is what keeps
// every kernel deterministic across thread counts. A panic in any range is
// re-raised on the calling goroutine, as if the loop were serial.
//
// The calling goroutine runs the first range; the others go to the pool's
// workers, or run on the caller too when no worker is free (a nested or
// concurrent parallelFor), so the split, and so every result, never
// depends on the pool.
func parallelFor(n, cost int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if work := float64(n) * float64(max(cost, 1)); work < float64(workers*grain) {
		workers = int(work / float64(grain))
	}
	workers = min(workers, n)
	if workers <= 1 {
		body(0, n)
		return
	}
	g := groups.Get().(*group)
	g.body = body
	g.pending.Store(1) // the caller's own count, so no worker can finish the group early
	for len(g.tasks) < workers-1 {
		g.tasks = append(g.tasks, task{g: g})
	}
	var inline []int
	for i := 1; i < workers; i++ {
		g.pending.Add(1)
		t := &g.tasks[i-1]
		t.lo, t.hi = i*n/workers, (i+1)*n/workers
		if !pool.dispatch(i-1, t) {
			g.pending.Add(-1)
			inline = append(inline, i)
		}
	}
	g.run(0, n/workers)
	for _, i := range inline {
		g.run(i*n/workers, (i+1)*n/workers)
	}
	g.wait()
	p := g.panicked
	g.body, g.panicked = nil, nil
	groups.Put(g)
	if p != nil {
		panic(p)
	}
}

// group is one parallelFor call: its body, the ranges still running on
// workers, and the first panic.
type group struct {
	body     func(lo, hi int)
	tasks    []task // the ranges handed to workers; a worker is done with its task once it calls finish
	pending  atomic.Int32
	done     chan struct{} // the last worker to finish sends one token
	mu       sync.Mutex
	panicked any
}

var groups = sync.Pool{New: func() any { return &group{done: make(chan struct{}, 1)} }}

// run runs body over [lo, hi), keeping the first panic.
func (g *group) run(lo, hi int) {
	defer func() {
		if p := recover(); p != nil {
			g.mu.Lock()
			if g.panicked == nil {
				g.panicked = p
			}
			g.mu.Unlock()
		}
	}()
	g.body(lo, hi)
}

// finish marks one worker's range done; the one that brings the count to
// zero (the caller's count dropped already) sends the token.
func (g *group) finish() {
	if g.pending.Add(-1) == 0 {
		g.done <- struct{}{}
	}
}

// wait drops the caller's count and returns once every dispatched range
// has finished: it spins while they are likely to end soon (they are as
// long as the caller's), then blocks on the token the last one sends.
func (g *group) wait() {
	if g.pending.Add(-1) == 0 {
		return // no worker reached zero, so none sent a token
	}
	start := time.Now()
	for i := 0; g.pending.Load() != 0; i++ {
		if i%256 == 255 && time.Since(start) > spinFor {
			break
		}
		backoff(i)
	}
	<-g.done
}

// task is one range of a group, handed to a worker.
type task struct {
	g      *group
	lo, hi int
}

// spinFor is how long a worker keeps polling for its next task before it
// parks. A training step's kernels follow each other a few microseconds
// apart, but its serial stretches (the loss, the start of the backward
// pass, the products too small to split) last up to about 100 µs. A
// parked worker is woken onto the waking goroutine's own processor, where
// it waits until that goroutine blocks, while the idle processor's thread
// (on a virtual machine, its vCPU) takes tens of microseconds to wake and
// take it: the first product after each such stretch ran on one thread.
// At 50 µs the MLP's step (2 threads) took 0.92 ms; at 500 µs 0.87 ms. The
// price is up to 500 µs of one core's polling after the last kernel of a
// burst, as OpenMP runtimes spin before they sleep.
const spinFor = 500 * time.Microsecond

// Worker states.
const (
	idle   = iota // polling for a task
	busy          // claimed by a dispatcher: a task is, or is about to be, in its slot
	parked        // blocked on wake
)

type worker struct {
	state atomic.Int32
	slot  atomic.Pointer[task]
	wake  chan struct{}
}

// workerPool holds the worker goroutines, started on first use: worker i
// takes the (i+1)th range of every parallelFor.
type workerPool struct {
	mu      sync.Mutex
	workers atomic.Pointer[[]*worker]
}

var pool workerPool

// dispatch hands t to worker i, starting workers up to i as needed, and
// reports whether the worker took it (false: it is running another task).
func (p *workerPool) dispatch(i int, t *task) bool {
	ws := p.workers.Load()
	if ws == nil || i >= len(*ws) {
		ws = p.grow(i + 1)
	}
	w := (*ws)[i]
	switch {
	case w.state.CompareAndSwap(idle, busy):
		w.slot.Store(t)
	case w.state.CompareAndSwap(parked, busy):
		w.slot.Store(t)
		w.wake <- struct{}{}
	default:
		return false
	}
	return true
}

// grow starts workers until there are at least n and returns the list.
func (p *workerPool) grow(n int) *[]*worker {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ws []*worker
	if cur := p.workers.Load(); cur != nil {
		ws = *cur
	}
	if len(ws) >= n {
		return &ws
	}
	ws = append([]*worker(nil), ws...)
	for len(ws) < n {
		w := &worker{wake: make(chan struct{}, 1)}
		w.state.Store(parked)
		go w.loop()
		ws = append(ws, w)
	}
	p.workers.Store(&ws)
	return &ws
}

// loop runs the worker's tasks: it polls its slot for spinFor after each
// one (see backoff), then parks until a dispatcher wakes it.
func (w *worker) loop() {
	for {
		<-w.wake // parked: a dispatcher moved the state to busy and filled the slot
		for {
			t := w.slot.Load()
			if t == nil {
				// Claimed, but the dispatcher has not stored the task yet.
				runtime.Gosched()
				continue
			}
			w.slot.Store(nil)
			t.g.run(t.lo, t.hi)
			t.g.finish()
			w.state.Store(idle)
			if !w.poll() {
				break // parked again
			}
		}
	}
}

// poll waits for the next task while idle, for up to spinFor, and reports
// whether one came (the state is then busy); otherwise it parks the
// worker and reports false.
func (w *worker) poll() bool {
	start := time.Now()
	for i := 0; ; i++ {
		if w.state.Load() != idle {
			return true
		}
		if i%256 == 255 && time.Since(start) > spinFor {
			if w.state.CompareAndSwap(idle, parked) {
				return false
			}
			return true // a dispatcher claimed it in between
		}
		backoff(i)
	}
}

// backoff is one step of a polling loop: a reload of the polled word most
// of the time, and every 64th step a yield of the processor, so that a
// goroutine waiting for it runs. Yielding on every step took the
// scheduler's lock each time, and the two polling threads of a training
// step spent a tenth of their time contending for it.
func backoff(i int) {
	if i%64 == 63 {
		runtime.Gosched()
	}
}
