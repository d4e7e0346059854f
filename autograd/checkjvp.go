package autograd

import (
	"math"
	"math/rand/v2"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// checkForward is Check with opts.Forward: f's JVP along a random
// direction v against the central difference (f(x+εv) - f(x-εv)) / 2ε,
// element by element of the output, and against f's VJP through the
// adjoint identity <J v, u> = <v, Jᵀ u> for a random u. Costs three
// evaluations of f, one JVP and one VJP, whatever the sizes. f has
// already been wrapped by secondOrder when asked.
func checkForward(f func(xs []*Var) *Var, inputs []*tensor.Tensor, opts CheckOptions) Report {
	xs := make([]*tensor.Tensor, len(inputs))
	primals := make([]*Var, len(inputs))
	tangents := make([]*Var, len(inputs))
	plus := make([]*Var, len(inputs))
	minus := make([]*Var, len(inputs))
	for i, t := range inputs {
		xs[i] = t
		if t.DType().IsFloat() {
			xs[i] = t.Cast(device.Float64).Contiguous()
			v := direction(xs[i], opts.Seed, 0x6a7670+uint64(i))
			tangents[i] = Const(v)
			plus[i] = Const(xs[i].Add(v.MulScalar(opts.Eps)))
			minus[i] = Const(xs[i].Sub(v.MulScalar(opts.Eps)))
		} else {
			plus[i], minus[i] = Const(xs[i]), Const(xs[i])
		}
		primals[i] = Const(xs[i])
	}
	y, jv := JVP(f, primals, tangents)
	if !y.DType().IsFloat() {
		panic(withOperands(newError("Check", "the function's output must be a float tensor, got %v", y.DType()), y.value))
	}
	fp, fm := f(plus).value.Float64s(), f(minus).value.Float64s()
	an := jv.value.Float64s()
	rep := Report{Pass: true, Forward: true}
	worst := -1.0
	for j := range an {
		if rep.score(an[j], (fp[j]-fm[j])/(2*opts.Eps), opts, &worst) {
			rep.Index = j
		}
	}
	// The adjoint identity ties the JVP rules to the VJP rules exactly
	// (up to rounding), where central differences only bound both.
	u := Const(randomLike(y.value, opts.Seed, 0x766a70))
	_, grads := VJP(f, primals, u)
	lhs := dot(jv.value, u.value)
	rhs := 0.0
	for i, v := range tangents {
		if v != nil {
			rhs += dot(v.value, grads[i].value)
		}
	}
	rep.AdjointErr = math.Abs(lhs-rhs) / max(1, math.Abs(lhs))
	if !(rep.AdjointErr <= opts.RTol) {
		rep.Pass = false
	}
	return rep
}

// dot returns Σ a*b of two tensors of one shape, on the host in float64.
func dot(a, b *tensor.Tensor) float64 {
	x, y := a.Float64s(), b.Float64s()
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// direction returns a random tangent with t's shape, dtype and device:
// multiples of 1/64 in [-1, 1], drawn on the host from (seed, stream), so
// that x ± εv stays exact where x and ε are coarse binary fractions (the
// Cast case's trip through float32).
func direction(t *tensor.Tensor, seed, stream uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, stream))
	h := make([]float64, t.Numel())
	for i := range h {
		h[i] = float64(r.IntN(129)-64) / 64
	}
	return tensor.NewOn(t.Device(), h, t.Shape()...).Cast(t.DType())
}
