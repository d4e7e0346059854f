package cpu

import (
	"math"
	"runtime"
	"sync"

	"github.com/tapegrad/tapegrad/device"
)

var _ device.FMAProber = (*Backend)(nil)

// maxProbeWork bounds FMAProbe's work so that rounding it up to whole steps
// cannot overflow the count.
const maxProbeWork = 1 << 62

// probeSteps is the most steps one kernel call runs: every chain counts
// 1, 2, 3, ... from 0, which float32 represents exactly up to 2^24. Longer
// probes make several calls, each starting again from 0. Tests lower it.
var probeSteps int64 = 1 << 24

// fmaKernel is one implementation of a probe goroutine's loop. run32 and
// run64 run steps steps of chains32 (chains64) independent chains
// x = fma(x, a, b), the chains of all vector lanes of all the accumulator
// registers, and return chain 0's value; chain 0 starts at 0.
type fmaKernel struct {
	name               string
	chains32, chains64 int64
	run32              func(steps int64, a, b float32) float32
	run64              func(steps int64, a, b float64) float64
}

// goChains is how many chains the portable kernel keeps: enough to cover
// the latency of a scalar FMA on every core we know, few enough to stay
// in registers on amd64.
const goChains = 8

// goFMA is the portable kernel (the one of `-tags purego` and of machines
// without vector FMA) and the reference loop of the assembly ones.
var goFMA = fmaKernel{name: "go", chains32: goChains, chains64: goChains, run32: fmaGo32, run64: fmaGo64}

// fmaGo64 runs steps steps of goChains chains,
//
//	x[c] = -c for every chain c
//	for range steps { for c := range x { x[c] = math.FMA(x[c], a, b) } }
//
// and returns x[0], or NaN unless x[c] + c == x[0] for every c, which holds
// for a = b = 1 (the only probe FMAProbe runs). The chains start apart
// because the compiler merges identical ones into one, and the check keeps
// it from dropping chains 1 to 7.
func fmaGo64(steps int64, a, b float64) float64 {
	x0, x1, x2, x3, x4, x5, x6, x7 := 0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0
	for range steps {
		x0 = math.FMA(x0, a, b)
		x1 = math.FMA(x1, a, b)
		x2 = math.FMA(x2, a, b)
		x3 = math.FMA(x3, a, b)
		x4 = math.FMA(x4, a, b)
		x5 = math.FMA(x5, a, b)
		x6 = math.FMA(x6, a, b)
		x7 = math.FMA(x7, a, b)
	}
	if x1+1 != x0 || x2+2 != x0 || x3+3 != x0 || x4+4 != x0 || x5+5 != x0 || x6+6 != x0 || x7+7 != x0 {
		return math.NaN()
	}
	return x0
}

// fmaGo32 is fmaGo64 for float32. Go has no float32 FMA: each step is the
// float64 FMA (whose product of float32s is exact) rounded to float32.
func fmaGo32(steps int64, a, b float32) float32 {
	var x0, x1, x2, x3, x4, x5, x6, x7 float32 = 0, -1, -2, -3, -4, -5, -6, -7
	a64, b64 := float64(a), float64(b)
	for range steps {
		x0 = float32(math.FMA(float64(x0), a64, b64))
		x1 = float32(math.FMA(float64(x1), a64, b64))
		x2 = float32(math.FMA(float64(x2), a64, b64))
		x3 = float32(math.FMA(float64(x3), a64, b64))
		x4 = float32(math.FMA(float64(x4), a64, b64))
		x5 = float32(math.FMA(float64(x5), a64, b64))
		x6 = float32(math.FMA(float64(x6), a64, b64))
		x7 = float32(math.FMA(float64(x7), a64, b64))
	}
	if x1+1 != x0 || x2+2 != x0 || x3+3 != x0 || x4+4 != x0 || x5+5 != x0 || x6+6 != x0 || x7+7 != x0 {
		return float32(math.NaN())
	}
	return x0
}

// FMAProbe runs about work fused multiply-adds of dt on GOMAXPROCS
// goroutines with the fastest kernel this machine has (fmaKernels[0]) and
// returns the exact count. Every chain runs x = fma(x, 1, 1) (a and b
// reach the kernel at run time), so chain 0, which starts at 0, holds
// exactly k after k steps; out[0] gets goroutine 0's chain 0 after its last
// call: the steps per call.
//
// Each goroutine runs ceil(work / (chains × goroutines)) steps, at least
// one, split into the fewest calls of at most probeSteps steps and rounded
// up to equal calls; the count is calls × steps per call × chains ×
// goroutines, at least work and short of work + calls × chains ×
// goroutines.
func (*Backend) FMAProbe(dt device.DType, work int64, out device.Buffer) (int64, error) {
	return fmaProbe(fmaKernels[0], dt, work, out)
}

// fmaProbe is FMAProbe with kernel k.
func fmaProbe(k fmaKernel, dt device.DType, work int64, out device.Buffer) (int64, error) {
	const name = "FMAProbe"
	if dt != device.Float32 && dt != device.Float64 {
		return 0, unsupported(name, dt) // the half types too: no FMA of their own
	}
	bs, err := buffers(name, dt, out)
	if err != nil {
		return 0, err
	}
	if err := need(name, bs[0], 1, "out"); err != nil {
		return 0, err
	}
	if work < 1 || work > maxProbeWork {
		return 0, opError(name, "work %d out of range [1, 2^62]", work)
	}
	if dt == device.Float32 {
		return probe(k.chains32, k.run32, work, slice[float32](bs[0])), nil
	}
	return probe(k.chains64, k.run64, work, slice[float64](bs[0])), nil
}

// probe runs run on GOMAXPROCS goroutines, as FMAProbe describes, writes
// goroutine 0's result to out[0] and returns the count.
func probe[T float](chains int64, run func(steps int64, a, b T) T, work int64, out []T) int64 {
	procs := int64(runtime.GOMAXPROCS(0))
	steps := (work-1)/(chains*procs) + 1
	calls := (steps-1)/probeSteps + 1
	per := (steps-1)/calls + 1
	var wg sync.WaitGroup
	wg.Add(int(procs - 1))
	for range procs - 1 {
		go func() {
			defer wg.Done()
			for range calls {
				run(per, 1, 1)
			}
		}()
	}
	var x T
	for range calls {
		x = run(per, 1, 1)
	}
	wg.Wait()
	out[0] = x
	return calls * per * chains * procs
}
