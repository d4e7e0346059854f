package autograd

import (
	"math/rand/v2"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Case is one gradient-check case: an op, a way to build random inputs
// for it, and the function of Vars that applies it. The gradcheck
// command, this package's tests and the devicetest conformance suite all
// run the same cases.
type Case struct {
	// Name is the op under test, e.g. "MatMul".
	Name string
	// Inputs returns the case's inputs on dev in dtype dt (Int32 inputs,
	// such as labels and indices, stay Int32). The seed picks the shapes
	// (with size-1 axes and broadcasting) and the values; the same seed
	// gives the same inputs on every device.
	Inputs func(dev device.Device, dt device.DType, seed uint64) []*tensor.Tensor
	// F applies the op, taking strided views (transposes, narrows) of
	// its inputs first where the op should meet them.
	F func(xs []*Var) *Var
	// Options are the check settings the case needs (zero: defaults).
	Options CheckOptions
}

// Cases returns one case per differentiable Var op, in a fixed order.
// Ops that carry no gradient (comparisons, ArgMax, ArgMin) have none.
func Cases() []Case {
	var cs []Case
	cs = append(cs, elementwiseCases()...)
	cs = append(cs, shapeCases()...)
	cs = append(cs, compositeCases()...)
	return cs
}

// gen draws one case's shapes and values from a seed, on the host, so
// that every device gets the same numbers.
type gen struct {
	r   *rand.Rand
	dev device.Device
	dt  device.DType
}

func newGen(dev device.Device, dt device.DType, seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x67726164)), dev: dev, dt: dt}
}

// dim returns an axis length: mostly 1 to 4 (size 1 included, so
// broadcasting and squeezing meet size-1 axes), sometimes 5 to 9 so that
// kernels see sizes that are not tiny powers of two.
func (g *gen) dim() int {
	if g.r.IntN(5) == 0 {
		return 5 + g.r.IntN(5)
	}
	return 1 + g.r.IntN(4)
}

// fill returns a tensor of shape whose elements are drawn by next.
func (g *gen) fill(next func() float64, shape ...int) *tensor.Tensor {
	shape = append([]int{}, shape...) // no shape: rank 0, not NewOn's 1-D
	h := make([]float64, device.Numel(shape))
	for i := range h {
		h[i] = next()
	}
	if g.dt == device.Float32 {
		h32 := make([]float32, len(h))
		for i, v := range h {
			h32[i] = float32(v)
		}
		return tensor.NewOn(g.dev, h32, shape...)
	}
	return tensor.NewOn(g.dev, h, shape...)
}

// uniform returns numbers uniform in [lo, hi).
func (g *gen) uniform(lo, hi float64, shape ...int) *tensor.Tensor {
	return g.fill(func() float64 { return lo + (hi-lo)*g.r.Float64() }, shape...)
}

// signed returns numbers of magnitude 0.25 to 1.25 and random sign: away
// from the kinks of ReLU and Abs at 0, so that central differences apply.
func (g *gen) signed(shape ...int) *tensor.Tensor {
	return g.fill(func() float64 {
		v := 0.25 + g.r.Float64()
		if g.r.IntN(2) == 0 {
			return -v
		}
		return v
	}, shape...)
}

// ints returns Int32 numbers in [0, n).
func (g *gen) ints(n int, shape ...int) *tensor.Tensor {
	h := make([]int32, device.Numel(shape))
	for i := range h {
		h[i] = int32(g.r.IntN(n))
	}
	return tensor.NewOn(g.dev, h, shape...)
}

// inputs adapts a builder over a gen to Case.Inputs.
func inputs(build func(g *gen) []*tensor.Tensor) func(device.Device, device.DType, uint64) []*tensor.Tensor {
	return func(dev device.Device, dt device.DType, seed uint64) []*tensor.Tensor {
		return build(newGen(dev, dt, seed))
	}
}

// ts is shorthand for a list of tensors.
func ts(t ...*tensor.Tensor) []*tensor.Tensor { return t }

// unaryCase checks op on a transposed (strided) matrix drawn by draw.
func unaryCase(name string, draw func(g *gen, shape ...int) *tensor.Tensor, op func(x *Var) *Var) Case {
	return Case{
		Name:   name,
		Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(draw(g, g.dim(), g.dim())) }),
		F:      func(xs []*Var) *Var { return op(xs[0].T()) },
	}
}

// binaryCase checks op on a narrowed [d0,1,d2] operand (an offset and
// gapped rows) and a transposed [d2,d1] one, which broadcast to
// [d0,d1,d2]; a is drawn by drawA, b by drawB.
func binaryCase(name string, drawA, drawB func(g *gen, shape ...int) *tensor.Tensor, op func(a, b *Var) *Var) Case {
	return Case{
		Name: name,
		Inputs: inputs(func(g *gen) []*tensor.Tensor {
			d0, d1, d2 := g.dim(), g.dim(), g.dim()
			return ts(drawA(g, d0, 1, d2+1), drawB(g, d2, d1))
		}),
		F: func(xs []*Var) *Var { return op(xs[0].Narrow(2, 1, xs[0].Dim(2)-1), xs[1].T()) },
	}
}

// fusedCase checks a fused VJP op at a transposed saved value drawn by
// draw and a gradient [1, d1] that broadcasts against it.
func fusedCase(name string, draw func(g *gen, shape ...int) *tensor.Tensor, op func(a, g *Var) *Var) Case {
	return Case{
		Name: name,
		Inputs: inputs(func(g *gen) []*tensor.Tensor {
			d0, d1 := g.dim(), g.dim()
			return ts(draw(g, d1, d0), g.uniform(-1, 1, 1, d1))
		}),
		F: func(xs []*Var) *Var { return op(xs[0].T(), xs[1]) },
	}
}

// any draws from [-1, 1): inputs of ops smooth everywhere.
func (g *gen) any(shape ...int) *tensor.Tensor { return g.uniform(-1, 1, shape...) }

// positive draws from [0.5, 2): the domain of Log, Sqrt, Pow and divisors.
func (g *gen) positive(shape ...int) *tensor.Tensor { return g.uniform(0.5, 2, shape...) }

// drawFrom returns a drawer of numbers from domain d.
func drawFrom(d device.Domain) func(g *gen, shape ...int) *tensor.Tensor {
	return func(g *gen, shape ...int) *tensor.Tensor {
		return g.fill(func() float64 { return d.At(g.r.Float64()) }, shape...)
	}
}

// first returns an op's first test value of p, or 0 if it takes none.
func first(params []float64) float64 {
	if len(params) == 0 {
		return 0
	}
	return params[0]
}

// tableCases are generated from device's op tables: one case per
// differentiable unary op and per non-comparison binary op, on inputs
// from the op's domains.
func tableCases() []Case {
	var cs []Case
	for _, op := range device.UnaryOps() {
		info := op.Info()
		if info.NoGrad {
			continue
		}
		p := first(info.Params)
		cs = append(cs, unaryCase(info.Method, drawFrom(info.Domain), func(x *Var) *Var { return Unary(op, p, x) }))
	}
	for _, op := range device.BinaryOps() {
		info := op.Info()
		p := first(info.Params)
		f := func(a, b *Var) *Var { return Binary(op, p, a, b) }
		switch {
		case info.Compare:
		case info.Fused:
			cs = append(cs, fusedCase(info.Method, drawFrom(info.A), f))
		default:
			cs = append(cs, binaryCase(info.Method, drawFrom(info.A), drawFrom(info.B), f))
		}
	}
	return cs
}

func elementwiseCases() []Case {
	return append(tableCases(), []Case{
		{
			// Multiples of 1/256 stepped by 1/1024 stay exact in float32,
			// so the round trip through the other dtype loses nothing
			// and central differences of this linear map are exact.
			Name: "Cast",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				return ts(g.fill(func() float64 { return float64(g.r.IntN(1024)-512) / 256 }, g.dim(), g.dim()))
			}),
			F: func(xs []*Var) *Var {
				other := device.Float32
				if xs[0].DType() == device.Float32 {
					other = device.Float64
				}
				return xs[0].T().Cast(other).MulScalar(1.5).Cast(xs[0].DType())
			},
			Options: CheckOptions{Eps: 1.0 / 1024},
		},
		castHalfCase(device.BFloat16, 1.0/64),
		castHalfCase(device.Float16, 1.0/256),
		unaryCase("AddScalar", (*gen).any, func(x *Var) *Var { return x.AddScalar(0.5) }),
		unaryCase("SubScalar", (*gen).any, func(x *Var) *Var { return x.SubScalar(0.5) }),
		unaryCase("MulScalar", (*gen).any, func(x *Var) *Var { return x.MulScalar(-1.5) }),
		unaryCase("DivScalar", (*gen).any, func(x *Var) *Var { return x.DivScalar(2.5) }),
		unaryCase("RSubScalar", (*gen).any, func(x *Var) *Var { return x.RSubScalar(1.5) }),
		unaryCase("RDivScalar", (*gen).positive, func(x *Var) *Var { return x.RDivScalar(-1.5) }),
		{
			Name: "Where",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, d1, d2 := g.dim(), g.dim(), g.dim()
				return ts(g.ints(2, d0, 1, d2), g.any(d2, d1), g.any(d0, d1, 1))
			}),
			F: func(xs []*Var) *Var { return Where(xs[0], xs[1].T(), xs[2]) },
		},
		{
			Name:   "SumTo",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim(), g.dim())) }),
			F:      func(xs []*Var) *Var { return xs[0].Transpose(0, 2).SumTo(xs[0].Dim(1), 1) },
		},
	}...)
}

// castHalfCase checks Cast through the half dtype h and back. Inputs are
// multiples of 1/64 in [-2, 2) and the step is 1, so x ± step stays
// exact in both half dtypes and the central difference of this linear
// map is exact; the analytic side rounds the incoming gradient (or
// tangent) to h, as PyTorch's cast backward does, so the tolerance is
// h's rounding (2^-9 or 2^-12 relative) with room for the sums the
// checks take.
func castHalfCase(h device.DType, rtol float64) Case {
	return Case{
		Name: "Cast" + h.Suffix(),
		Inputs: inputs(func(g *gen) []*tensor.Tensor {
			return ts(g.fill(func() float64 { return float64(g.r.IntN(256)-128) / 64 }, g.dim(), g.dim()))
		}),
		F: func(xs []*Var) *Var {
			return xs[0].T().Cast(h).Cast(xs[0].DType()).MulScalar(1.5)
		},
		Options: CheckOptions{Eps: 1, RTol: rtol, ATol: 1e-12},
	}
}
