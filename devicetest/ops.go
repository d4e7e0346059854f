package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// opRounds is how many seeds (and so shapes) each op meets per dtype.
const opRounds = 3

// opTolerance is the largest difference Ops accepts between a device and
// the CPU reference, relative to the reference element (or to the
// tensor's largest magnitude, for elements that cancelled to near zero):
// float32 results may differ by summation order, float64 only by an ulp
// here and there.
func opTolerance(dt device.DType) float64 {
	switch dt {
	case device.Float64:
		return 1e-10
	case device.BFloat16:
		return 0x1p-8 * halfOpsUlps
	case device.Float16:
		return 0x1p-11 * halfOpsUlps
	}
	return 1e-4
}

// halfOpsUlps is how many units of roundoff (of the scale compareTensors
// uses) a half case may be off by: a case is several ops and its backward
// more, each rounding once, some to partial results larger than the
// inputs that later cancel (Split's chunk sums). Each kernel alone is
// held to one rounding by Backend.
const halfOpsUlps = 16

// Ops runs every differentiable op (autograd.Cases: random shapes with
// broadcasting, size-1 axes, transposed and narrowed views) forward and
// backward on dev and on the CPU reference with the same inputs, and
// compares outputs and input gradients in float32 and float64; then the
// ops that carry no gradient (comparisons, ArgMax, ArgMin, casts to
// Int32), forward only. Subtests are named op/dtype. The CPU backend must
// be linked into the test binary.
//
// With WithDTypes, the half types run too, against the CPU in float64 on
// the same rounded inputs and cotangent; each op of a case and of its
// backward pass rounds to the type, so the tolerance is halfOpsUlps
// units of roundoff (2^-8 for bfloat16, 2^-11 for float16) of the larger
// of the result's and the inputs' largest magnitudes.
func Ops(t *testing.T, dev device.Device, opts ...Option) {
	for _, d := range []device.Device{device.CPUDevice, dev} {
		if _, err := device.Open(d); err != nil {
			t.Fatalf("devicetest.Ops: %v", err)
		}
	}
	var h harness
	for _, o := range opts {
		o(&h)
	}
	dts := append([]device.DType{device.Float32, device.Float64}, h.half...)
	seed := uint64(time.Now().UnixNano())
	t.Logf("devicetest.Ops on %v: seed %d", dev, seed)
	for _, cs := range [][]autograd.Case{autograd.Cases(), constCases()} {
		for _, c := range cs {
			for _, dt := range dts {
				t.Run(c.Name+"/"+dt.String(), func(t *testing.T) {
					for k := range uint64(opRounds) {
						compareCase(t, c, dev, dt, seed+k)
					}
				})
			}
		}
	}
}

// halfGradExempt are the cases whose gradients a half run does not
// compare: Clamp's bounds (-0.6, 0.7) round in half, so an input that
// rounds onto a rounded bound sits on the bound on the device (where the
// gradient is split, as at a tie) but inside it in the float64
// reference. Their outputs are compared.
var halfGradExempt = []string{"Clamp"}

// opResult is what one run of a case produced: its output and the
// gradient of every input (nil for Int32 inputs and constant outputs).
type opResult struct {
	out   *tensor.Tensor
	grads []*tensor.Tensor
}

// compareCase runs c with the inputs of seed on the CPU and on dev and
// reports every difference beyond the dtype's tolerance.
func compareCase(t *testing.T, c autograd.Case, dev device.Device, dt device.DType, seed uint64) {
	t.Helper()
	var want, got opResult
	var shapes [][]int
	floor := 0.0 // a half case's error scale: see below
	where := func() string { return fmt.Sprintf("%s %v seed %d, input shapes %v", c.Name, dt, seed, shapes) }
	// A half case's reference is float64 on the inputs rounded to dt.
	inputs := func(d device.Device, _ bool) []*tensor.Tensor { return c.Inputs(d, dt, seed) }
	if dt.IsHalf() {
		inputs = func(d device.Device, reference bool) []*tensor.Tensor {
			xs := c.Inputs(device.CPUDevice, device.Float64, seed)
			for i, x := range xs {
				if x.DType().IsFloat() {
					xs[i] = x.Cast(dt)
					if reference {
						xs[i] = xs[i].Cast(device.Float64)
					}
				}
				xs[i] = xs[i].To(d)
			}
			return xs
		}
	}
	if err := tensor.Try(func() {
		xs := inputs(device.CPUDevice, true)
		for _, x := range xs {
			shapes = append(shapes, x.Shape())
			if dt.IsHalf() && x.DType().IsFloat() {
				floor = max(floor, maxAbs(x.Float64s()))
			}
		}
		want = runCase(c, xs, seed, dt)
	}); err != nil {
		t.Fatalf("%s: the CPU reference failed: %v", where(), err)
	}
	if err := tensor.Try(func() { got = runCase(c, inputs(dev, false), seed, dt) }); err != nil {
		t.Fatalf("%s: %v failed: %v", where(), dev, err)
	}
	if got.out.Device() != dev {
		t.Fatalf("%s: output is on %v, want %v", where(), got.out.Device(), dev)
	}
	compareTensors(t, where()+": output", want.out, got.out, opTolerance(dt), floor)
	for i, w := range want.grads {
		switch {
		case dt.IsHalf() && slices.Contains(halfGradExempt, c.Name):
		case w == nil && got.grads[i] == nil:
		case w == nil || got.grads[i] == nil:
			t.Errorf("%s: gradient of input %d: CPU has %v, %v has %v", where(), i, w != nil, dev, got.grads[i] != nil)
		default:
			compareTensors(t, fmt.Sprintf("%s: gradient of input %d", where(), i), w, got.grads[i], opTolerance(dt), floor)
		}
	}
}

// runCase applies c to xs (float inputs as Params) and, when the output
// requires grad, back-propagates a fixed random seed of its shape,
// rounded to dt (the case's dtype, which a half case's float64 reference
// does not have).
func runCase(c autograd.Case, xs []*tensor.Tensor, seed uint64, dt device.DType) opResult {
	vs := make([]*autograd.Var, len(xs))
	var params []*autograd.Var
	var at []int
	for i, x := range xs {
		vs[i] = autograd.Const(x)
		if x.DType().IsFloat() {
			vs[i] = autograd.Param(x)
			params = append(params, vs[i])
			at = append(at, i)
		}
	}
	y := c.F(vs)
	res := opResult{out: y.Value(), grads: make([]*tensor.Tensor, len(xs))}
	if !y.RequiresGrad() {
		return res
	}
	r := rand.New(rand.NewPCG(seed, 0x64657674))
	h := make([]float64, y.Numel())
	for i := range h {
		h[i] = 2*r.Float64() - 1
	}
	s := tensor.NewOn(y.Device(), h, y.Shape()...).Cast(dt).Cast(y.DType())
	gs := autograd.Grad([]*autograd.Var{y}, params, autograd.GradOptions{Seeds: []*autograd.Var{autograd.Const(s)}, AllowUnused: true})
	for k, g := range gs {
		if g != nil {
			res.grads[at[k]] = g.Value()
		}
	}
	return res
}

// compareTensors reports where got differs from the reference want by
// more than tol relative to max(|want[i]|, max|want|, floor); NaNs must
// match. A half case passes the largest input magnitude as floor: its
// intermediates (partial sums that later cancel, say) are rounded at
// about that scale, which a small result does not show.
func compareTensors(t *testing.T, what string, want, got *tensor.Tensor, tol, floor float64) {
	t.Helper()
	if got.DType().IsHalf() && want.DType() == device.Float64 {
		got = got.Cast(device.Float64) // a half case against its float64 reference
	}
	if !slices.Equal(want.Shape(), got.Shape()) || want.DType() != got.DType() {
		t.Errorf("%s: got %v %v, want %v %v", what, got.Shape(), got.DType(), want.Shape(), want.DType())
		return
	}
	w, g := want.Float64s(), got.Float64s()
	scale := max(maxAbs(w), floor)
	bad, first := 0, ""
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) || w[i] == g[i] {
			continue
		}
		if d := math.Abs(g[i] - w[i]); d <= tol*max(math.Abs(w[i]), scale) {
			continue
		}
		if bad == 0 {
			first = fmt.Sprintf("element %d is %v, want %v", i, g[i], w[i])
		}
		bad++
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements differ from the CPU beyond %g; first: %s", what, bad, len(w), tol, first)
	}
}

// maxAbs returns the largest finite magnitude in v (0 if none).
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			m = max(m, math.Abs(x))
		}
	}
	return m
}
