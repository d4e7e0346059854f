package device

import "math"

// The elementwise ops are declared once, here: each UnaryOp and BinaryOp
// has a row in its table with its kernel name, its float64 reference
// definition, the domain tests draw its inputs from, and its cost. The
// CPU kernel tests, the devicetest conformance rows, the gradient-check
// cases of autograd and the bench elementwise rows are generated from the
// tables, so a new op is a constant, a row, its kernels and its
// derivative rule (ARCHITECTURE.md, "Adding an op").

// UnaryOp selects an elementwise function of one input. Some take the
// scalar parameter p of Backend.Unary; the rest ignore it.
type UnaryOp uint8

// The unary ops. The reference definition of each is its table row's
// Ref (below); the comment is its short form.
const (
	Neg       UnaryOp = iota // -x
	Abs                      // |x|
	Sign                     // -1, 0 or 1 (0 for NaN)
	Exp                      // e^x
	Log                      // ln x
	Sqrt                     // √x
	Tanh                     // tanh x
	Sigmoid                  // 1/(1+e^-x), computed without overflow
	ReLU                     // max(x, 0); NaN stays NaN
	LeakyReLU                // x if x > 0 else p*x
	GELU                     // 0.5x(1+tanh(√(2/π)(x+0.044715x³)))
	Pow                      // x^p
	Log1p                    // ln(1+x), accurate for small x
	Expm1                    // e^x - 1, accurate for small x
	Sin                      // sin x
	Cos                      // cos x
	Erf                      // the error function, 2/√π ∫₀ˣ e^(-t²) dt
	Tan                      // tan x
	numUnary
)

// BinaryOp selects an elementwise function of two inputs a and b. The
// comparison ops return 1 where true and 0 where false, in the output's
// dtype. The *Grad ops are fused vector-Jacobian products: a is the saved
// forward value named in the comment, b the incoming gradient g.
type BinaryOp uint8

// The binary ops. The reference definition of each is its table row's
// Ref (below); the comment is its short form.
const (
	Add           BinaryOp = iota // a + b
	Sub                           // a - b
	Mul                           // a * b
	Div                           // a / b (Int32: truncated, division by zero is an error)
	Maximum                       // max(a, b), NaN if either is NaN
	Minimum                       // min(a, b), NaN if either is NaN
	Eq                            // a == b
	Ne                            // a != b
	Lt                            // a < b
	Le                            // a <= b
	Gt                            // a > b
	Ge                            // a >= b
	ReLUGrad                      // a = x: g if x > 0 else 0
	LeakyReLUGrad                 // a = x: g if x > 0 else p*g
	SigmoidGrad                   // a = y = sigmoid(x): g*y*(1-y)
	TanhGrad                      // a = y = tanh(x): g*(1-y²)
	GELUGrad                      // a = x: g * d/dx gelu(x)
	numBinary
)

// Domain is where tests draw an op's inputs: [Lo, Hi) without the open
// interval (-Gap, Gap), which keeps inputs off a kink at 0 (so central
// differences apply) or a divisor off zero. Lo < -Gap and Gap < Hi when
// Gap > 0.
type Domain struct {
	Lo, Hi, Gap float64
}

// At maps u in [0, 1) uniformly onto the domain, so that one stream of
// uniform numbers gives the same inputs on every device.
func (d Domain) At(u float64) float64 {
	if d.Gap <= 0 {
		return d.Lo + (d.Hi-d.Lo)*u
	}
	neg := -d.Gap - d.Lo
	v := u * (neg + d.Hi - d.Gap)
	if v < neg {
		return d.Lo + v
	}
	return d.Gap + (v - neg)
}

// UnaryInfo declares a UnaryOp.
type UnaryInfo struct {
	// Name is the kernel name: CUDA symbols are <Name>_<dtype>.
	Name string
	// Method is the tensor and autograd method ("LeakyReLU"), which also
	// names the op's gradient-check case.
	Method string
	// Ref is the reference definition in float64. A backend's float32
	// result must be within the dtype's tolerance of it rounded to float32.
	Ref func(x, p float64) float64
	// Domain is where the op is defined and well conditioned: tests and
	// gradient checks draw inputs from it.
	Domain Domain
	// Edges are values the kernel tests mix into the inputs: signed
	// zeros and NaN at a kink, overflow and underflow thresholds.
	Edges []float64
	// Params are the values of p the tests use, the first in gradient
	// checks and benchmarks; nil for an op that ignores p.
	Params []float64
	// FLOPs is the work per element, roughly: 1 for arithmetic, 16 for a
	// transcendental function. The bench counts it, and the CPU backend
	// sizes its parallel chunks by it.
	FLOPs int
	// NoGrad marks a piecewise-constant op: no gradient, no
	// gradient-check case.
	NoGrad bool
}

// BinaryInfo declares a BinaryOp.
type BinaryInfo struct {
	// Name is the kernel name: CUDA symbols are <Name>_<dtype>.
	Name string
	// Method is the tensor and autograd method or function ("ReLUGrad").
	Method string
	// Ref is the reference definition in float64; on Int32 the result
	// truncates toward zero.
	Ref func(a, b, p float64) float64
	// A and B are the domains of the operands (for a fused VJP, a is the
	// saved forward value and b the incoming gradient).
	A, B Domain
	// Params are the values of p the tests use; nil for an op that
	// ignores p.
	Params []float64
	// FLOPs is the work per element, as for UnaryInfo.
	FLOPs int
	// Int marks the ops defined on Int32 too.
	Int bool
	// Compare marks the comparisons: 1 or 0, into a dst of any dtype.
	Compare bool
	// Ties asks tests for operands on a coarse grid with NaN and signed
	// zeros among them, so that equal operands and NaN rules are met.
	Ties bool
	// Fused marks a fused vector-Jacobian product. A backend may leave it
	// out (Binary returns an error wrapping ErrUnsupported) and the
	// tensor layer computes the same math from other ops.
	Fused bool
}

// Domains the tables share.
var (
	anywhere = Domain{Lo: -3, Hi: 3}
	positive = Domain{Lo: 0.1, Hi: 4}
	offKink  = Domain{Lo: -3, Hi: 3, Gap: 0.25}
	gradient = Domain{Lo: -1, Hi: 1}
	zeroNaN  = []float64{0, math.Copysign(0, -1), math.NaN()}
)

// unaryTable declares every UnaryOp, indexed by op.
var unaryTable = [numUnary]UnaryInfo{
	Neg: {Name: "neg", Method: "Neg", Domain: anywhere, FLOPs: 1,
		Ref: func(x, _ float64) float64 { return -x }},
	Abs: {Name: "abs", Method: "Abs", Domain: offKink, Edges: zeroNaN, FLOPs: 1,
		Ref: func(x, _ float64) float64 { return math.Abs(x) }},
	Sign: {Name: "sign", Method: "Sign", Domain: anywhere, Edges: zeroNaN, FLOPs: 1, NoGrad: true,
		Ref: func(x, _ float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}},
	Exp: {Name: "exp", Method: "Exp", Domain: anywhere, FLOPs: 16,
		Edges: []float64{15, -15}, // float16 overflows past e^11.09
		Ref:   func(x, _ float64) float64 { return math.Exp(x) }},
	Log: {Name: "log", Method: "Log", Domain: positive, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Log(x) }},
	Sqrt: {Name: "sqrt", Method: "Sqrt", Domain: positive, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Sqrt(x) }},
	Tanh: {Name: "tanh", Method: "Tanh", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Tanh(x) }},
	Sigmoid: {Name: "sigmoid", Method: "Sigmoid", Domain: anywhere, FLOPs: 16,
		Edges: []float64{-60, -30, 30, 60}, // e^-x would overflow float32 past 88
		Ref:   func(x, _ float64) float64 { return SigmoidRef(x) }},
	ReLU: {Name: "relu", Method: "ReLU", Domain: offKink, Edges: zeroNaN, FLOPs: 1,
		Ref: func(x, _ float64) float64 {
			if x > 0 || x != x {
				return x
			}
			return 0
		}},
	LeakyReLU: {Name: "leaky_relu", Method: "LeakyReLU", Domain: offKink, Params: []float64{0.1}, FLOPs: 1,
		Ref: func(x, p float64) float64 {
			if x > 0 {
				return x
			}
			return p * x
		}},
	GELU: {Name: "gelu", Method: "GELU", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return 0.5 * x * (1 + math.Tanh(GELUC*(x+GELUA*x*x*x))) }},
	Pow: {Name: "pow", Method: "Pow", Domain: positive, Params: []float64{2.5, 2, 0.5, -1.5, 3}, FLOPs: 16,
		Ref: math.Pow},
	Log1p: {Name: "log1p", Method: "Log1p", Domain: Domain{Lo: -0.5, Hi: 4}, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Log1p(x) }},
	Expm1: {Name: "expm1", Method: "Expm1", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Expm1(x) }},
	Sin: {Name: "sin", Method: "Sin", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Sin(x) }},
	Cos: {Name: "cos", Method: "Cos", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Cos(x) }},
	Erf: {Name: "erf", Method: "Erf", Domain: anywhere, FLOPs: 16,
		Ref: func(x, _ float64) float64 { return math.Erf(x) }},
	Tan: {Name: "tan", Method: "Tan", Domain: Domain{Lo: -1.2, Hi: 1.2}, FLOPs: 16, // poles at ±π/2
		Ref: func(x, _ float64) float64 { return math.Tan(x) }},
}

// binaryTable declares every BinaryOp, indexed by op.
var binaryTable = [numBinary]BinaryInfo{
	Add: {Name: "add", Method: "Add", A: anywhere, B: anywhere, FLOPs: 1, Int: true,
		Ref: func(a, b, _ float64) float64 { return a + b }},
	Sub: {Name: "sub", Method: "Sub", A: anywhere, B: anywhere, FLOPs: 1, Int: true,
		Ref: func(a, b, _ float64) float64 { return a - b }},
	Mul: {Name: "mul", Method: "Mul", A: anywhere, B: anywhere, FLOPs: 1, Int: true,
		Ref: func(a, b, _ float64) float64 { return a * b }},
	Div: {Name: "div", Method: "Div", A: anywhere, B: Domain{Lo: -3, Hi: 3, Gap: 0.5}, FLOPs: 1, Int: true,
		Ref: func(a, b, _ float64) float64 { return a / b }},
	Maximum: {Name: "maximum", Method: "Maximum", A: anywhere, B: anywhere, FLOPs: 1, Int: true, Ties: true,
		Ref: func(a, b, _ float64) float64 { return math.Max(a, b) }},
	Minimum: {Name: "minimum", Method: "Minimum", A: anywhere, B: anywhere, FLOPs: 1, Int: true, Ties: true,
		Ref: func(a, b, _ float64) float64 { return math.Min(a, b) }},
	Eq: compare("eq", "Eq", func(a, b float64) bool { return a == b }),
	Ne: compare("ne", "Ne", func(a, b float64) bool { return a != b }),
	Lt: compare("lt", "Lt", func(a, b float64) bool { return a < b }),
	Le: compare("le", "Le", func(a, b float64) bool { return a <= b }),
	Gt: compare("gt", "Gt", func(a, b float64) bool { return a > b }),
	Ge: compare("ge", "Ge", func(a, b float64) bool { return a >= b }),
	ReLUGrad: {Name: "relu_grad", Method: "ReLUGrad", A: offKink, B: gradient, FLOPs: 1, Fused: true,
		Ref: func(x, g, _ float64) float64 {
			if x > 0 {
				return g
			}
			return 0
		}},
	LeakyReLUGrad: {Name: "leaky_relu_grad", Method: "LeakyReLUGrad", A: offKink, B: gradient, Params: []float64{0.1}, FLOPs: 1, Fused: true,
		Ref: func(x, g, p float64) float64 {
			if x > 0 {
				return g
			}
			return p * g
		}},
	SigmoidGrad: {Name: "sigmoid_grad", Method: "SigmoidGrad", A: Domain{Lo: 0.05, Hi: 0.95}, B: gradient, FLOPs: 1, Fused: true,
		Ref: func(y, g, _ float64) float64 { return g * y * (1 - y) }},
	TanhGrad: {Name: "tanh_grad", Method: "TanhGrad", A: gradient, B: gradient, FLOPs: 1, Fused: true,
		Ref: func(y, g, _ float64) float64 { return g * (1 - y*y) }},
	GELUGrad: {Name: "gelu_grad", Method: "GELUGrad", A: anywhere, B: gradient, FLOPs: 16, Fused: true,
		Ref: func(x, g, _ float64) float64 { return g * GELUDerivRef(x) }},
}

// compare declares a comparison.
func compare(name, method string, f func(a, b float64) bool) BinaryInfo {
	return BinaryInfo{Name: name, Method: method, A: anywhere, B: anywhere, FLOPs: 1, Int: true, Compare: true, Ties: true,
		Ref: func(a, b, _ float64) float64 {
			if f(a, b) {
				return 1
			}
			return 0
		}}
}

// GELUC is √(2/π) and GELUA the cubic coefficient of GELU's tanh form.
const (
	GELUC = 0.7978845608028654
	GELUA = 0.044715
)

// SigmoidRef is 1/(1+e^-x), evaluated through e^x for negative x so that
// the exponential never overflows.
func SigmoidRef(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// GELUDerivRef is d/dx gelu(x) = 0.5(1+t) + 0.5x(1-t²)√(2/π)(1+3·0.044715x²)
// with t = tanh(√(2/π)(x+0.044715x³)).
func GELUDerivRef(x float64) float64 {
	t := math.Tanh(GELUC * (x + GELUA*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*GELUC*(1+3*GELUA*x*x)
}

// Info returns op's declaration; an op past the last has a zero one. Its
// slices are the table's: read them, never modify them.
func (op UnaryOp) Info() UnaryInfo {
	if op < numUnary {
		return unaryTable[op]
	}
	return UnaryInfo{}
}

// Info returns op's declaration; an op past the last has a zero one. Its
// slices are the table's: read them, never modify them.
func (op BinaryOp) Info() BinaryInfo {
	if op < numBinary {
		return binaryTable[op]
	}
	return BinaryInfo{}
}

// String returns the op's kernel name, as used in symbols like exp_f32.
func (op UnaryOp) String() string {
	if op < numUnary {
		return unaryTable[op].Name
	}
	return "unary?"
}

// String returns the op's kernel name.
func (op BinaryOp) String() string {
	if op < numBinary {
		return binaryTable[op].Name
	}
	return "binary?"
}

// IsCompare reports whether op is a comparison.
func (op BinaryOp) IsCompare() bool { return op < numBinary && binaryTable[op].Compare }

// UnaryOps lists every unary op, for conformance tests and tools.
func UnaryOps() []UnaryOp {
	ops := make([]UnaryOp, numUnary)
	for i := range ops {
		ops[i] = UnaryOp(i)
	}
	return ops
}

// BinaryOps lists every binary op.
func BinaryOps() []BinaryOp {
	ops := make([]BinaryOp, numBinary)
	for i := range ops {
		ops[i] = BinaryOp(i)
	}
	return ops
}
