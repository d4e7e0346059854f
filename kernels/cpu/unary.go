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
// definitions in device/elementwise.go say. Float32 Exp, Log, Tanh, Sigmoid,
// GELU, Log1p, Expm1, Sin, Cos, Tan and Erf run the float32 kernels of
// unary_f32.go, unary_more_f32.go, trig_f32.go and erf_f32.go, and Pow powF32,
// within the ulp bounds their doc comments state; Neg, Abs, Sign, Sqrt, ReLU and LeakyReLU run the vector
// kernels of simple_f32.go, which are exact; every other float32 op is
// computed in float64 and rounded once, so the result is the correctly rounded value wherever Go's
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
	mapChunks(op.Info().FLOPs, []input[T]{{src, sl}}, func(lo int, xs [][]T) {
		unaryLoop(op, p, dst[lo:lo+len(xs[0])], xs[0])
	})
}

// unaryLoop is the kernel proper: dst[i] = op(x[i]; p), one loop per op so
// the switch stays outside the loop. Float32 Exp, Log, Tanh, Sigmoid, GELU,
// Log1p, Expm1, Sin, Cos, Tan and Erf go to the fastest kernel set this machine runs (unaryF32Sets[0]), float32 Pow
// to powF32, float32
// Neg, Abs, Sign, Sqrt, ReLU and LeakyReLU to the exact kernels of
// simple_f32.go (simpleF32Sets[0]). The cheap ops have loops of their own; every other op is its table row's
// float64 reference (device/elementwise.go), rounded once: a call per
// element costs nothing next to a transcendental function, and a new op
// needs no CPU code.
func unaryLoop[T float](op device.UnaryOp, p float64, dst, x []T) {
	if d, ok := any(dst).([]float32); ok {
		x := any(x).([]float32)
		if k := unaryF32Sets[0].kernel(op); k != nil {
			k(d, x)
			return
		}
		if k := simpleF32Sets[0].unary(op); k != nil {
			k(d, x)
			return
		}
		if op == device.LeakyReLU {
			simpleF32Sets[0].leaky(d, x, p)
			return
		}
		if op == device.Pow {
			powF32(unaryF32Sets[0].pow, d, x, p)
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
	case device.Sqrt:
		for i, v := range x {
			dst[i] = T(math.Sqrt(float64(v)))
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
	default:
		f := op.Info().Ref
		for i, v := range x {
			dst[i] = T(f(float64(v), p))
		}
	}
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
