package device

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
