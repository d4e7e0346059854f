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

// parallelFor runs body over [0, n) split into contiguous ranges, using
// at most GOMAXPROCS threads and as many as the work n*cost (cost:
// operations per index) pays for. Callers make each index's result depend
// on that index alone, never on the split, which is what keeps every
// kernel deterministic across thread counts. A panic in any range is
// re-raised on the calling goroutine, as if the loop were serial.
//
// The ranges (parts) outnumber the threads when the work allows (up to
// partsPerThread each, none under grain). The calling goroutine and the
// pool's workers claim them in turn until none is left, and the call
// returns once every part has run: it waits for a worker only while that
// worker runs a part, never for one that has yet to start (a worker that
// is busy elsewhere, a nested or concurrent parallelFor, is not called
// on at all). So a worker woken late, or a core slowed for a while, takes
// fewer parts instead of holding up the kernel.
func parallelFor(n, cost int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	work := float64(n) * float64(max(cost, 1))
	if work < float64(workers*grain) {
		workers = int(work / float64(grain))
	}
	workers = min(workers, n)
	if workers <= 1 {
		body(0, n)
		return
	}
	// A fresh group each call: a worker that takes it up after the call
	// has returned finds no part left and touches nothing else.
	g := &group{body: body, n: n, parts: min(n, workers*partsPerThread, max(workers, int(work/float64(grain)))), done: make(chan struct{}, 1)}
	for i := 1; i < workers; i++ {
		pool.dispatch(i-1, g)
	}
	g.claim(false)
	g.wait()
	if g.panicked != nil {
		panic(g.panicked)
	}
}

// partsPerThread is the most ranges parallelFor makes per thread. On a
// shared two-core virtual machine a worker woken late, or a core slowed by
// its neighbours, held up every kernel split into one range per thread:
// the MLP's training step took 0.80 ms at the median but 0.99 ms on
// average, a tenth of the steps over 1.2 ms.
const partsPerThread = 4

// group is one parallelFor call: its body, its parts (next is the first
// unclaimed, completed counts those that have run), and the first panic.
type group struct {
	body            func(lo, hi int)
	n, parts        int
	next, completed atomic.Int32
	done            chan struct{} // the worker that completes the last part sends one token
	mu              sync.Mutex
	panicked        any
}

// claim runs the group's unclaimed parts, one at a time, until none is
// left; a worker (not the caller) that completes the last part wakes the
// caller.
func (g *group) claim(worker bool) {
	for {
		i := int(g.next.Add(1)) - 1
		if i >= g.parts {
			return
		}
		g.run(i*g.n/g.parts, (i+1)*g.n/g.parts)
		if int(g.completed.Add(1)) == g.parts && worker {
			g.done <- struct{}{}
		}
	}
}

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

// wait returns once every part has run: it spins while the parts still
// running on workers are likely to end soon (each is one part), then
// blocks on the token the worker that completes the last one sends.
func (g *group) wait() {
	start := time.Now()
	for i := 0; int(g.completed.Load()) != g.parts; i++ {
		if i%256 == 255 && time.Since(start) > spinFor {
			<-g.done
			return
		}
		backoff(i)
	}
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
	idle   = iota // polling for a group
	busy          // claimed by a dispatcher: a group is, or is about to be, in its slot
	parked        // blocked on wake
)

type worker struct {
	state atomic.Int32
	slot  atomic.Pointer[group]
	wake  chan struct{}
}

// workerPool holds the worker goroutines, started on first use: a
// parallelFor on w threads calls on workers 0 to w-2.
type workerPool struct {
	mu      sync.Mutex
	workers atomic.Pointer[[]*worker]
}

var pool workerPool

// dispatch hands g to worker i, starting workers up to i as needed,
// unless the worker is running another group: then the other threads
// claim its share.
func (p *workerPool) dispatch(i int, g *group) {
	ws := p.workers.Load()
	if ws == nil || i >= len(*ws) {
		ws = p.grow(i + 1)
	}
	w := (*ws)[i]
	switch {
	case w.state.CompareAndSwap(idle, busy):
		w.slot.Store(g)
	case w.state.CompareAndSwap(parked, busy):
		w.slot.Store(g)
		w.wake <- struct{}{}
	}
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

// workerStartHook, when set (by tests), runs in a worker between taking
// up a group and claiming its parts: a stand-in for a worker that starts
// late.
var workerStartHook atomic.Pointer[func()]

// loop runs the worker's groups: it polls its slot for spinFor after each
// one (see backoff), then parks until a dispatcher wakes it.
func (w *worker) loop() {
	for {
		<-w.wake // parked: a dispatcher moved the state to busy and filled the slot
		for {
			g := w.slot.Load()
			if g == nil {
				// Claimed, but the dispatcher has not stored the group yet.
				runtime.Gosched()
				continue
			}
			w.slot.Store(nil)
			if h := workerStartHook.Load(); h != nil {
				(*h)()
			}
			g.claim(true)
			w.state.Store(idle)
			if !w.poll() {
				break // parked again
			}
		}
	}
}

// poll waits for the next group while idle, for up to spinFor, and reports
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
