package bench

import (
	"fmt"
	"math"
	"regexp"
	"slices"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Scale selects the sizes a workload runs at.
type Scale int

// The scales. Every workload has all three; a row says which it ran at.
const (
	Full  Scale = iota // the sizes the tables report
	Small              // reduced sizes for slow devices (cudasim)
	Tiny               // the smallest sizes that still exercise every op, for tests
)

// String returns "full", "small" or "tiny".
func (s Scale) String() string {
	switch s {
	case Full:
		return "full"
	case Small:
		return "small"
	case Tiny:
		return "tiny"
	}
	return fmt.Sprintf("scale(%d)", int(s))
}

// Bound names the ceiling a workload's throughput is a percentage of.
type Bound int

// The bounds.
const (
	Overhead Bound = iota // neither: dispatch and bookkeeping dominate
	Compute               // FLOP/s against the device's peak FMA rate
	Memory                // bytes/s against the device's copy bandwidth
)

// Workload is one benchmark described as data: what it computes, at which
// sizes, and how much arithmetic and memory traffic one run costs. The
// same list drives `tapegrad bench`, the testing.B benchmarks and (by
// name) bench/torch/bench.py.
type Workload struct {
	// Group is the family (gemm, elementwise, reduce, softmax, conv, optim,
	// train, overhead, jacobian); Name tells the workload apart within it and keeps
	// the Full scale's shape, so that rows match across devices, scales
	// and PyTorch. ID joins them.
	Group, Name string
	// Doc says what one run computes, with the formulas of FLOPs and Bytes.
	Doc   string
	Bound Bound
	// Tol is the largest relative error against the float64 reference that
	// a float32 run may show before the row is flagged; 0 means DefaultTol.
	Tol float64
	// Size returns the workload at scale s.
	Size func(s Scale) Size
	// Supported, when set, reports whether a target can run the workload
	// (the mixed-precision training rows need half kernels or TF32);
	// targets it refuses get no row. Nil means every target.
	Supported func(t Target) bool
}

// Runs reports whether w runs on t (see Supported).
func (w Workload) Runs(t Target) bool { return w.Supported == nil || w.Supported(t) }

// Size is a workload at one scale.
type Size struct {
	// Shape describes the operands, e.g. "128x784 @ 784x256".
	Shape string
	// FLOPs is the arithmetic of one run (a multiply-add counts 2) and
	// Moved its memory traffic in elements read plus written, each once,
	// as Workload.Doc states; bytes are Moved times the dtype's size.
	FLOPs, Moved float64
	// Setup makes the inputs on e's device and returns the run.
	Setup func(e *Env) Instance
}

// Instance is a workload whose inputs live on a device.
type Instance struct {
	// Run queues one run on the device (it need not wait for it).
	Run func()
	// Outputs returns the results of the last Run, to compare with the
	// float64 reference.
	Outputs func() []*tensor.Tensor
}

// replace releases *t, the previous run's result (if any), and stores
// next()'s, as PyTorch frees a result when its variable is reassigned: the
// new result reuses the released memory instead of asking the garbage
// collector for more (which a Go program that releases what it is done
// with avoids too). Rows whose results are fresh tensors, never views of
// their inputs, run through it, so that they time the op rather than the
// collector and the zeroing of new memory.
func replace(t **tensor.Tensor, next func() *tensor.Tensor) {
	if *t != nil {
		(*t).Release()
	}
	*t = next()
}

// ID returns "group/name".
func (w Workload) ID() string { return w.Group + "/" + w.Name }

// DefaultTol is the relative error beyond which a float32 row is flagged
// as wrong; float64 rows use DefaultTol64.
const (
	DefaultTol   = 1e-3
	DefaultTol64 = 1e-9
)

// Tolerance returns the relative error beyond which a row of w in dtype
// dt is flagged.
func (w Workload) Tolerance(dt device.DType) float64 {
	if dt == device.Float64 {
		return DefaultTol64
	}
	if w.Tol > 0 {
		return w.Tol
	}
	return DefaultTol
}

// Workloads returns every workload, in table order.
func Workloads() []Workload {
	var ws []Workload
	for _, group := range [][]Workload{gemmWorkloads(), elementwiseWorkloads(), reduceWorkloads(),
		softmaxWorkloads(), convWorkloads(), optimWorkloads(), trainWorkloads(), overheadWorkloads(), jacobianWorkloads()} {
		ws = append(ws, group...)
	}
	return ws
}

// Select returns the workloads whose ID matches re (all when re is nil).
func Select(ws []Workload, re *regexp.Regexp) []Workload {
	if re == nil {
		return ws
	}
	return slices.DeleteFunc(slices.Clone(ws), func(w Workload) bool { return !re.MatchString(w.ID()) })
}

// Env is where a workload's inputs are made: a device, the dtype the run
// computes in, and the dtype inputs are rounded to. A device run computes
// and rounds in one dtype; its float64 reference runs on the CPU with
// inputs rounded to the run's dtype, so both see the same input values.
// Inputs come from one seeded stream in a fixed order, so every device
// gets the same numbers.
type Env struct {
	Dev   device.Device
	DType device.DType
	Round device.DType
	rng   *tensor.RNG
}

// newEnv returns an Env whose inputs start at seed.
func newEnv(dev device.Device, dt, round device.DType, seed uint64) *Env {
	return &Env{Dev: dev, DType: dt, Round: round, rng: tensor.NewRNG(seed)}
}

// place rounds a float64 CPU tensor to the input dtype and moves it to the
// run's device and dtype.
func (e *Env) place(t *tensor.Tensor) *tensor.Tensor {
	return t.Cast(e.Round).Cast(e.DType).To(e.Dev)
}

// Normal returns an input of the given shape from N(0, std²).
func (e *Env) Normal(std float64, shape ...int) *tensor.Tensor {
	return e.place(e.rng.Normal(device.CPUDevice, device.Float64, 0, std, shape...))
}

// Uniform returns an input of the given shape from U(lo, hi).
func (e *Env) Uniform(lo, hi float64, shape ...int) *tensor.Tensor {
	return e.place(e.rng.Uniform(device.CPUDevice, device.Float64, lo, hi, shape...))
}

// Labels returns n Int32 class labels in [0, classes).
func (e *Env) Labels(n, classes int) *tensor.Tensor {
	u := e.rng.Uniform(device.CPUDevice, device.Float64, 0, float64(classes), n).Float64s()
	l := make([]int32, n)
	for i, v := range u {
		l[i] = int32(min(math.Floor(v), float64(classes-1)))
	}
	return tensor.NewOn(e.Dev, l, n)
}

// Init overwrites every tensor in ts (parameters of a model built on e's
// device) with N(0, 1/fan_in) inputs, fan_in being the product of all
// but the first dimension, so models are the same on every device.
func (e *Env) Init(ts ...*tensor.Tensor) {
	for _, t := range ts {
		s := t.Shape()
		fanIn := 1
		for _, d := range s[1:] {
			fanIn *= d
		}
		t.Assign(e.Normal(1/math.Sqrt(float64(fanIn)), s...))
	}
}

// pick returns the value for scale s from full, small and tiny.
func pick[T any](s Scale, full, small, tiny T) T {
	switch s {
	case Small:
		return small
	case Tiny:
		return tiny
	}
	return full
}

// outs makes an Outputs func from a fixed list of tensor pointers, read
// when called (Run replaces them).
func outs(ps ...**tensor.Tensor) func() []*tensor.Tensor {
	return func() []*tensor.Tensor {
		ts := make([]*tensor.Tensor, len(ps))
		for i, p := range ps {
			ts[i] = *p
		}
		return ts
	}
}
