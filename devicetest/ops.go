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
	if dt == device.Float64 {
		return 1e-10
	}
	return 1e-4
}

// Ops runs every differentiable op (autograd.Cases: random shapes with
// broadcasting, size-1 axes, transposed and narrowed views) forward and
// backward on dev and on the CPU reference with the same inputs, and
// compares outputs and input gradients in float32 and float64; then the
// ops that carry no gradient (comparisons, ArgMax, ArgMin, casts to
// Int32), forward only. Subtests are named op/dtype. The CPU backend must
// be linked into the test binary.
func Ops(t *testing.T, dev device.Device) {
	for _, d := range []device.Device{device.CPUDevice, dev} {
		if _, err := device.Open(d); err != nil {
			t.Fatalf("devicetest.Ops: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("devicetest.Ops on %v: seed %d", dev, seed)
	for _, c := range autograd.Cases() {
		for _, dt := range []device.DType{device.Float32, device.Float64} {
			t.Run(c.Name+"/"+dt.String(), func(t *testing.T) {
				for k := range uint64(opRounds) {
					compareCase(t, c, dev, dt, seed+k)
				}
			})
		}
	}
	for _, c := range constCases() {
		for _, dt := range []device.DType{device.Float32, device.Float64} {
			t.Run(c.Name+"/"+dt.String(), func(t *testing.T) {
				for k := range uint64(opRounds) {
					compareCase(t, c, dev, dt, seed+k)
				}
			})
		}
	}
}

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
	where := func() string { return fmt.Sprintf("%s %v seed %d, input shapes %v", c.Name, dt, seed, shapes) }
	if err := tensor.Try(func() {
		xs := c.Inputs(device.CPUDevice, dt, seed)
		for _, x := range xs {
			shapes = append(shapes, x.Shape())
		}
		want = runCase(c, xs, seed)
	}); err != nil {
		t.Fatalf("%s: the CPU reference failed: %v", where(), err)
	}
	if err := tensor.Try(func() { got = runCase(c, c.Inputs(dev, dt, seed), seed) }); err != nil {
		t.Fatalf("%s: %v failed: %v", where(), dev, err)
	}
	if got.out.Device() != dev {
		t.Fatalf("%s: output is on %v, want %v", where(), got.out.Device(), dev)
	}
	compareTensors(t, where()+": output", want.out, got.out, opTolerance(dt))
	for i, w := range want.grads {
		switch {
		case w == nil && got.grads[i] == nil:
		case w == nil || got.grads[i] == nil:
			t.Errorf("%s: gradient of input %d: CPU has %v, %v has %v", where(), i, w != nil, dev, got.grads[i] != nil)
		default:
			compareTensors(t, fmt.Sprintf("%s: gradient of input %d", where(), i), w, got.grads[i], opTolerance(dt))
		}
	}
}

// runCase applies c to xs (float inputs as Params) and, when the output
// requires grad, back-propagates a fixed random seed of its shape.
func runCase(c autograd.Case, xs []*tensor.Tensor, seed uint64) opResult {
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
	s := tensor.NewOn(y.Device(), h, y.Shape()...).Cast(y.DType())
	gs := autograd.Grad([]*autograd.Var{y}, params, autograd.GradOptions{Seeds: []*autograd.Var{autograd.Const(s)}, AllowUnused: true})
	for k, g := range gs {
		if g != nil {
			res.grads[at[k]] = g.Value()
		}
	}
	return res
}

// compareTensors reports where got differs from the reference want by
// more than tol relative to max(|want[i]|, max|want|); NaNs must match.
func compareTensors(t *testing.T, what string, want, got *tensor.Tensor, tol float64) {
	t.Helper()
	if !slices.Equal(want.Shape(), got.Shape()) || want.DType() != got.DType() {
		t.Errorf("%s: got %v %v, want %v %v", what, got.Shape(), got.DType(), want.Shape(), want.DType())
		return
	}
	w, g := want.Float64s(), got.Float64s()
	scale := 0.0
	for _, v := range w {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			scale = max(scale, math.Abs(v))
		}
	}
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
