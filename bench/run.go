package bench

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Target is where and how a workload runs: a device, the dtype it
// computes in and the scale of its sizes.
type Target struct {
	Dev   device.Device
	DType device.DType
	Scale Scale
}

// String returns e.g. "cudasim/f32 (small)".
func (t Target) String() string {
	s := t.Dev.String() + "/" + t.DType.Suffix()
	if t.Scale != Full {
		s += " (" + t.Scale.String() + ")"
	}
	return s
}

// Options tune a Runner.
type Options struct {
	// Count is the number of timed samples per row (default 5).
	Count int
	// MinTime is how long one sample lasts at least: a sample repeats the
	// workload until it does (default 20ms). Growing the repeat count to
	// reach it is the warm-up.
	MinTime time.Duration
	// Seed seeds every workload's inputs (default 1).
	Seed uint64
	// Log, when set, gets a line per row as it finishes.
	Log io.Writer
}

// Runner runs workloads on targets, checks their outputs against the CPU
// in float64 and times them.
type Runner struct {
	opts Options
}

// NewRunner returns a Runner, filling in defaults for zero Options.
func NewRunner(o Options) *Runner {
	if o.Count <= 0 {
		o.Count = 5
	}
	if o.MinTime <= 0 {
		o.MinTime = 20 * time.Millisecond
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return &Runner{opts: o}
}

// Run runs every workload on every target it supports, workload by
// workload, and returns a Result for each pair in that order. The float64 reference of a
// workload is computed once per scale and input dtype and dropped when the
// next workload starts.
func (r *Runner) Run(ws []Workload, targets []Target) []Result {
	var out []Result
	for _, w := range ws {
		var refs []reference
		for _, t := range targets {
			if !w.Runs(t) {
				continue
			}
			res := r.one(w, t, &refs)
			if r.opts.Log != nil {
				fmt.Fprintln(r.opts.Log, progressLine(res))
			}
			out = append(out, res)
		}
	}
	return out
}

// reference is a workload's outputs on the CPU in float64 from inputs
// rounded to round, at one scale.
type reference struct {
	scale Scale
	round device.DType
	outs  [][]float64
	err   error
}

// one runs w on t: the error check first, then the timed samples.
func (r *Runner) one(w Workload, t Target, refs *[]reference) Result {
	size := w.Size(t.Scale)
	res := Result{
		Workload: w.ID(), Device: t.Dev.String(), DType: t.DType.String(), Scale: t.Scale.String(),
		Shape: size.Shape, Bound: w.Bound.String(), FLOPs: Num(size.FLOPs),
		Bytes: Num(size.Moved * float64(t.DType.Size())), Tol: Num(w.Tolerance(t.DType)),
	}
	ref := r.reference(size, t, refs)
	if ref.err != nil {
		res.Err = "float64 reference: " + ref.err.Error()
		return res
	}
	var inst Instance
	var got [][]float64
	if err := tensor.Try(func() {
		inst = size.Setup(newEnv(t.Dev, t.DType, t.DType, r.opts.Seed))
		inst.Run()
		got = hostValues(inst.Outputs())
	}); err != nil {
		res.Err = err.Error()
		return res
	}
	abs, rel, err := compare(got, ref.outs)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.MaxAbsErr, res.MaxRelErr = Num(abs), Num(rel)
	res.Wrong = !(rel <= w.Tolerance(t.DType)) // NaN is wrong too
	be, err := device.Open(t.Dev)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	if err := tensor.Try(func() { r.time(&res, inst.Run, be) }); err != nil {
		res.Err = err.Error()
		return res
	}
	return res
}

// reference returns the float64 outputs for size's inputs rounded to t's
// dtype, computing them on the CPU on first use.
func (r *Runner) reference(size Size, t Target, refs *[]reference) reference {
	if i := slices.IndexFunc(*refs, func(x reference) bool { return x.scale == t.Scale && x.round == t.DType }); i >= 0 {
		return (*refs)[i]
	}
	ref := reference{scale: t.Scale, round: t.DType}
	ref.err = tensor.Try(func() {
		inst := size.Setup(newEnv(device.CPUDevice, device.Float64, t.DType, r.opts.Seed))
		inst.Run()
		ref.outs = hostValues(inst.Outputs())
	})
	*refs = append(*refs, ref)
	return ref
}

// time grows the runs per sample until a sample lasts MinTime, then takes
// Count samples, each bracketed by device synchronisations, and fills in
// the timings, rates and allocations.
func (r *Runner) time(res *Result, run func(), be device.Backend) {
	sample := func(k int) time.Duration {
		waitFor(be)
		start := time.Now()
		for range k {
			run()
		}
		waitFor(be)
		return time.Since(start)
	}
	k := 1
	for {
		d := sample(k)
		if d >= r.opts.MinTime || k >= 1<<30 {
			break
		}
		// Aim 20% past MinTime, growing at most 100x a step so that a
		// first run slowed by lazy initialisation cannot overshoot.
		grow := 1.2 * float64(r.opts.MinTime) / float64(max(d, time.Microsecond))
		k = int(math.Ceil(float64(k) * min(max(grow, 2), 100)))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	per := make([]float64, r.opts.Count)
	for i := range per {
		per[i] = sample(k).Seconds() / float64(k)
	}
	runtime.ReadMemStats(&after)
	slices.Sort(per)
	med := median(per)
	res.Iters, res.Runs = k, len(per)
	res.MedianS, res.MinS = Num(med), Num(per[0])
	res.AllocsPerOp = Num(float64(after.Mallocs-before.Mallocs) / float64(k*len(per)))
	res.GFLOPs = Num(float64(res.FLOPs) / med / 1e9)
	res.GBps = Num(float64(res.Bytes) / med / 1e9)
}

// waitFor waits for the device, panicking with its error as the tensor layer
// does, so that tensor.Try reports it.
func waitFor(be device.Backend) {
	if err := be.Sync(); err != nil {
		panic(&tensor.Error{Op: "Sync", Msg: "the device reported an error", Err: err})
	}
}

// median of sorted xs.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// hostValues copies each tensor to the host as float64.
func hostValues(ts []*tensor.Tensor) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = t.Cast(device.Float64).To(device.CPUDevice).Float64s()
	}
	return out
}

// compare returns the largest |got - ref| over all outputs and the
// largest, over outputs, of max |got - ref| / max |ref|: a normwise
// relative error, which an element near zero cannot blow up. A NaN or
// Inf where the reference is finite counts as an infinite error.
func compare(got, ref [][]float64) (abs, rel float64, err error) {
	if len(got) != len(ref) {
		return 0, 0, fmt.Errorf("%d outputs, the reference has %d", len(got), len(ref))
	}
	for i := range got {
		if len(got[i]) != len(ref[i]) {
			return 0, 0, fmt.Errorf("output %d has %d elements, the reference %d", i, len(got[i]), len(ref[i]))
		}
		var maxDiff, maxRef float64
		for j, g := range got[i] {
			d := math.Abs(g - ref[i][j])
			if math.IsNaN(d) {
				d = math.Inf(1)
				if math.IsNaN(ref[i][j]) && math.IsNaN(g) {
					d = 0
				}
			}
			maxDiff = max(maxDiff, d)
			maxRef = max(maxRef, math.Abs(ref[i][j]))
		}
		abs = max(abs, maxDiff)
		switch {
		case maxDiff == 0:
		case maxRef == 0 || math.IsInf(maxRef, 0):
			rel = max(rel, math.Inf(1))
		default:
			rel = max(rel, maxDiff/maxRef)
		}
	}
	return abs, rel, nil
}

// String returns "compute", "memory" or "overhead".
func (b Bound) String() string {
	switch b {
	case Compute:
		return "compute"
	case Memory:
		return "memory"
	}
	return "overhead"
}

// progressLine is the line Log gets per row.
func progressLine(r Result) string {
	head := fmt.Sprintf("%-26s %-8s %-4s", r.Workload, r.Device, dtypeSuffix(r.DType))
	if r.Err != "" {
		return head + "  error: " + r.Err
	}
	return fmt.Sprintf("%s  %10s  %s  err %.1e%s", head, formatSeconds(float64(r.MedianS)), rate(r), float64(r.MaxRelErr), wrongMark(r))
}
