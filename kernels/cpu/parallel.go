package cpu

import (
	"runtime"
	"sync"
)

// grain is the work, in elementary operations, that makes a goroutine worth
// starting: below about 16K element operations the start-up and wake-up
// cost more than the second core saves. Tests lower it to split small
// inputs.
var grain = 1 << 14

// parallelFor runs body over [0, n) split into contiguous ranges, one per
// goroutine, using at most GOMAXPROCS goroutines and as many as the work
// n*cost (cost: operations per index) pays for. Callers make each index's
// result depend on that index alone, never on the split, which is what
// keeps every kernel deterministic across thread counts. A panic in any
// range is re-raised on the calling goroutine, as if the loop were serial.
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
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		panicked any
	)
	run := func(lo, hi int) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if panicked == nil {
					panicked = p
				}
				mu.Unlock()
			}
		}()
		body(lo, hi)
	}
	wg.Add(workers - 1)
	for i := 1; i < workers; i++ {
		go func(lo, hi int) {
			defer wg.Done()
			run(lo, hi)
		}(i*n/workers, (i+1)*n/workers)
	}
	run(0, n/workers)
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
