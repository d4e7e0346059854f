package device

// UnaryOp selects an elementwise function of one input. Some take the
// scalar parameter p of Backend.Unary; the rest ignore it.
type UnaryOp uint8

// The unary ops. Each comment is the reference definition.
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
	numUnary
)

var unaryNames = [...]string{"neg", "abs", "sign", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "gelu", "pow", "log1p", "expm1", "sin", "cos", "erf"}

// String returns the op's kernel name, as used in symbols like exp_f32.
func (op UnaryOp) String() string {
	if op < numUnary {
		return unaryNames[op]
	}
	return "unary?"
}

// UnaryOps lists every unary op, for conformance tests and tools.
func UnaryOps() []UnaryOp {
	ops := make([]UnaryOp, numUnary)
	for i := range ops {
		ops[i] = UnaryOp(i)
	}
	return ops
}

// BinaryOp selects an elementwise function of two inputs a and b. The
// comparison ops return 1 where true and 0 where false, in the output's
// dtype. The *Grad ops are fused vector-Jacobian products: a is the saved
// forward value named in the comment, b the incoming gradient g.
type BinaryOp uint8

// The binary ops. Each comment is the reference definition.
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

var binaryNames = [...]string{"add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
	"relu_grad", "leaky_relu_grad", "sigmoid_grad", "tanh_grad", "gelu_grad"}

// String returns the op's kernel name.
func (op BinaryOp) String() string {
	if op < numBinary {
		return binaryNames[op]
	}
	return "binary?"
}

// IsCompare reports whether op is a comparison.
func (op BinaryOp) IsCompare() bool { return op >= Eq && op <= Ge }

// BinaryOps lists every binary op.
func BinaryOps() []BinaryOp {
	ops := make([]BinaryOp, numBinary)
	for i := range ops {
		ops[i] = BinaryOp(i)
	}
	return ops
}

// ReduceOp selects a reduction.
type ReduceOp uint8

// The reductions. ArgMax and ArgMin write Int32 positions (the first one
// on ties; NaN wins over numbers, as in NumPy).
const (
	Sum ReduceOp = iota
	Mean
	Max
	Min
	ArgMax
	ArgMin
	numReduce
)

var reduceNames = [...]string{"sum", "mean", "max", "min", "argmax", "argmin"}

// String returns the op's kernel name.
func (op ReduceOp) String() string {
	if op < numReduce {
		return reduceNames[op]
	}
	return "reduce?"
}

// ReduceOps lists every reduction.
func ReduceOps() []ReduceOp {
	ops := make([]ReduceOp, numReduce)
	for i := range ops {
		ops[i] = ReduceOp(i)
	}
	return ops
}

// Dist selects the distribution of Backend.Rand.
type Dist uint8

// The distributions.
const (
	Uniform Dist = iota // a + (b-a)*u, u in (0, 1)
	Normal              // mean a, standard deviation b
)
