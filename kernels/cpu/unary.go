package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Op counts, to reject values past the last op.
var (
	numUnary  = len(device.UnaryOps())
	numBinary = len(device.BinaryOps())
	numReduce = len(device.ReduceOps())
)

// Unary computes dst[i] = op(src[i]; p) for float dtypes, as the reference
// definitions in device/ops.go say. Float32 Exp, Log, Tanh and Sigmoid run
// the float32 kernels of unary_f32.go, within the ulp bounds their doc
// comments state; every other float32 op is computed in float64 and
// rounded once, so the result is the correctly rounded value wherever Go's
// math is.
func (be *Backend) Unary(op device.UnaryOp, p float64, dst device.Buffer, src device.Buffer, sl device.Layout) error {
	if dt, ok := halfOf(src, dst); ok {
		return be.unaryHalf(dt, "Unary "+op.String(), op, p, dst, src, sl)
	}
	name := "Unary " + op.String()
	if int(op) >= numUnary {
		return opError(name, "unknown op %d", op)
	}
	s, err := asBuffer(name, src)
	if err != nil {
		return err
	}
	bs, err := buffers(name, s.dt, dst)
	if err != nil {
		return err
	}
	if err := checkLayout(name, s, sl, "src"); err != nil {
		return err
	}
	if err := need(name, bs[0], sl.Size(), "dst"); err != nil {
		return err
	}
	switch s.dt {
	case device.Float32:
		unary(op, p, slice[float32](bs[0]), slice[float32](s), sl)
	case device.Float64:
		unary(op, p, slice[float64](bs[0]), slice[float64](s), sl)
	default:
		return unsupported(name, s.dt)
	}
	return nil
}

func unary[T float](op device.UnaryOp, p float64, dst, src []T, sl device.Layout) {
	if sl.Size() == 0 {
		return
	}
	mapChunks(unaryCost(op), []input[T]{{src, sl}}, func(lo int, xs [][]T) {
		unaryLoop(op, p, dst[lo:lo+len(xs[0])], xs[0])
	})
}

// unaryCost is an op's work per element, in additions, for parallelFor.
func unaryCost(op device.UnaryOp) int {
	switch op {
	case device.Neg, device.Abs, device.Sign, device.ReLU, device.LeakyReLU:
		return 1
	}
	return 16 // a transcendental
}

// unaryLoop is the kernel proper: dst[i] = op(x[i]; p), one loop per op so
// the switch stays outside the loop. Float32 Exp, Log, Tanh and Sigmoid go
// to the fastest kernel set this machine runs (unaryF32Sets[0]).
func unaryLoop[T float](op device.UnaryOp, p float64, dst, x []T) {
	if d, ok := any(dst).([]float32); ok {
		if k := unaryF32Sets[0].kernel(op); k != nil {
			k(d, any(x).([]float32))
			return
		}
	}
	switch op {
	case device.Neg:
		for i, v := range x {
			dst[i] = -v
		}
	case device.Abs:
		for i, v := range x {
			dst[i] = T(math.Abs(float64(v)))
		}
	case device.Sign:
		for i, v := range x {
			dst[i] = sign(v)
		}
	case device.Exp:
		for i, v := range x {
			dst[i] = T(math.Exp(float64(v)))
		}
	case device.Log:
		for i, v := range x {
			dst[i] = T(math.Log(float64(v)))
		}
	case device.Sqrt:
		for i, v := range x {
			dst[i] = T(math.Sqrt(float64(v)))
		}
	case device.Tanh:
		for i, v := range x {
			dst[i] = T(math.Tanh(float64(v)))
		}
	case device.Sigmoid:
		for i, v := range x {
			dst[i] = T(sigmoid(float64(v)))
		}
	case device.ReLU:
		for i, v := range x {
			if v > 0 || v != v {
				dst[i] = v
			} else {
				dst[i] = 0
			}
		}
	case device.LeakyReLU:
		for i, v := range x {
			if v > 0 {
				dst[i] = v
			} else {
				dst[i] = T(p * float64(v))
			}
		}
	case device.GELU:
		for i, v := range x {
			dst[i] = T(gelu(float64(v)))
		}
	case device.Pow:
		for i, v := range x {
			dst[i] = T(math.Pow(float64(v), p))
		}
	case device.Log1p, device.Expm1, device.Sin, device.Cos, device.Erf:
		// Too large to inline either way, so a call through the table
		// costs nothing a switch per op would save.
		f := mathFuncs[op]
		for i, v := range x {
			dst[i] = T(f(float64(v)))
		}
	}
}

// mathFuncs are the unary ops that are a float64 function of the math
// package.
var mathFuncs = map[device.UnaryOp]func(float64) float64{
	device.Log1p: math.Log1p, device.Expm1: math.Expm1, device.Sin: math.Sin,
	device.Cos: math.Cos, device.Erf: math.Erf,
}

// sign returns -1, 0 or 1; NaN and both zeros give +0.
func sign[T float](v T) T {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// sigmoid is 1/(1+e^-x), evaluated through e^x for negative x so that the
// exponential never overflows.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// geluC is √(2/π), and geluA the cubic coefficient, of GELU's tanh form.
const (
	geluC = 0.7978845608028654
	geluA = 0.044715
)

// gelu is 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
func gelu(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(geluC*(x+geluA*x*x*x)))
}

// geluGrad is d/dx gelu(x) = 0.5(1+t) + 0.5x(1-t²)√(2/π)(1+3·0.044715x²)
// with t = tanh(√(2/π)(x+0.044715x³)).
func geluGrad(x float64) float64 {
	t := math.Tanh(geluC * (x + geluA*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*geluC*(1+3*geluA*x*x)
}
