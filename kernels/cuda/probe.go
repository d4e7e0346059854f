package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

var _ device.FMAProber = (*Backend)(nil)

// Launch shape of the FMA probe (probe.cu).
const (
	// probeBlocksPerSM blocks of blockSize threads are 1024 threads per
	// multiprocessor, all resident at once on every GPU since sm_70: one
	// wave with no tail, and 32 warps of probeChains independent FMAs keep
	// every FMA pipe busy.
	probeBlocksPerSM = 4
	// probeChains is PROBE_CHAINS, the chains each thread runs.
	probeChains = 8
	// maxProbeWork bounds the work so that rounding it up to whole steps
	// cannot overflow the count.
	maxProbeWork = 1 << 62
)

// probeSteps is the most steps one launch runs: chain 0 counts 1, 2, 3, ...
// from 0, which float32 represents exactly up to 2^24. Longer probes queue
// several launches, each starting again from 0. Tests lower it.
var probeSteps int64 = 1 << 24

// FMAProbe queues fma_probe_<dt> (probe.cu) on a grid that fills the
// device, probeBlocksPerSM blocks per multiprocessor (within the grid
// cap), every thread running probeChains chains x = fma(x, 1, 1), and
// returns the exact count. a, b and iters are kernel parameters, so nvcc
// cannot fold the loop; out[0] gets thread 0's chain 0, which starts at 0
// and so ends at the steps per launch.
//
// Each chain runs ceil(work / chains) steps, at least one (the grid never
// shrinks, so a small probe still covers every multiprocessor), split into
// the fewest launches of at most probeSteps steps and rounded up to equal
// launches; the count is launches × steps per launch × chains, at least
// work and short of work + launches × chains. FMAProbe does not
// synchronise: the caller times it between two Syncs.
func (b *Backend) FMAProbe(dt device.DType, work int64, out device.Buffer) (int64, error) {
	const name = "FMAProbe"
	if err := floatOnly(name, dt); err != nil {
		return 0, err
	}
	if work < 1 || work > maxProbeWork {
		return 0, opErr(name, "work %d out of range [1, 2^62]", work)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.buf(name, out, dt, "out")
	if err != nil {
		return 0, err
	}
	if err := need(name, o, 1, "out"); err != nil {
		return 0, err
	}
	grid := driver.Dim3{X: max(1, min(max(b.props.SMs, 1)*probeBlocksPerSM, b.gridCap))}
	chains := int64(grid.X) * blockSize * probeChains
	steps := (work-1)/chains + 1
	launches := (steps-1)/probeSteps + 1
	per := (steps-1)/launches + 1
	for range launches {
		a := b.args()
		a.Ptr(o.ptr)
		a.Int32(int32(per))
		putScalar(a, dt, 1)
		putScalar(a, dt, 1)
		putScalar(a, dt, math.NaN())
		if err := b.launch(modProbe, kname{"fma_probe_", dt.Suffix()}, grid); err != nil {
			return 0, err
		}
	}
	return launches * per * chains, nil
}
