package cpu

import (
	"sync/atomic"

	"github.com/tapegrad/tapegrad/device"
)

// Binary computes dst[i] = op(a[i], b[i]; p) as device/elementwise.go defines each
// op. a and b share a dtype; dst has it too, except that a comparison may
// write its 1s and 0s into a dst of any dtype (an Int32 mask, say).
//
// Arithmetic is done in the element type (for one +, -, * or / of float32
// operands that equals computing in float64 and rounding once); Maximum and
// Minimum propagate NaN and order -0 below +0; the fused gradient ops are
// computed in float64 and rounded once. Float32 Add, Sub, Mul, Div and
// the fused ReLU, LeakyReLU, Sigmoid and Tanh gradients run the vector
// kernels of simple_f32.go, which give those same bits; float32 GELUGrad
// runs unary_more_f32.go's, whose one float32 step is the exponential. Int32 supports the arithmetic and
// comparison ops: Add, Sub and Mul wrap, Div truncates toward zero (and
// MinInt32/-1 wraps to MinInt32), and a zero divisor makes Binary return an
// error after writing 0 to that element.
func (be *Backend) Binary(op device.BinaryOp, p float64, dst device.Buffer, a device.Buffer, al device.Layout, b device.Buffer, bl device.Layout) error {
	if dt, ok := halfOf(a, b, dst); ok && int(op) < numBinary {
		return be.binaryHalf(dt, "Binary "+op.String(), op, p, dst, a, al, b, bl)
	}
	name := "Binary " + op.String()
	if int(op) >= numBinary {
		return opError(name, "unknown op %d", op)
	}
	ab, err := asBuffer(name, a)
	if err != nil {
		return err
	}
	bs, err := buffers(name, ab.dt, b)
	if err != nil {
		return err
	}
	d, err := asBuffer(name, dst)
	if err != nil {
		return err
	}
	if d.dt != ab.dt && !op.IsCompare() {
		return opError(name, "dst is %v, inputs are %v", d.dt, ab.dt)
	}
	if err := sameShape(name, al, bl); err != nil {
		return err
	}
	if err := checkLayout(name, ab, al, "a"); err != nil {
		return err
	}
	if err := checkLayout(name, bs[0], bl, "b"); err != nil {
		return err
	}
	if err := need(name, d, al.Size(), "dst"); err != nil {
		return err
	}
	if al.Size() == 0 {
		return nil
	}
	switch {
	case op.IsCompare():
		switch ab.dt {
		case device.Float32:
			compareFrom[float32](op, d, ab, al, bs[0], bl)
		case device.Float64:
			compareFrom[float64](op, d, ab, al, bs[0], bl)
		default:
			compareFrom[int32](op, d, ab, al, bs[0], bl)
		}
	case ab.dt == device.Float32:
		binaryFloat(op, p, slice[float32](d), slice[float32](ab), al, slice[float32](bs[0]), bl)
	case ab.dt == device.Float64:
		binaryFloat(op, p, slice[float64](d), slice[float64](ab), al, slice[float64](bs[0]), bl)
	case op > device.Minimum:
		return unsupported(name, ab.dt)
	default:
		var divZero atomic.Bool
		mapChunks(1, []input[int32]{{slice[int32](ab), al}, {slice[int32](bs[0]), bl}}, func(lo int, xs [][]int32) {
			if arithLoop(op, slice[int32](d)[lo:lo+len(xs[0])], xs[0], xs[1]) {
				divZero.Store(true)
			}
		})
		if divZero.Load() {
			return opError(name, "int32 division by zero")
		}
	}
	return nil
}

func binaryFloat[T float](op device.BinaryOp, p float64, dst, a []T, al device.Layout, b []T, bl device.Layout) {
	mapChunks(op.Info().FLOPs, []input[T]{{a, al}, {b, bl}}, func(lo int, xs [][]T) {
		out := dst[lo : lo+len(xs[0])]
		if d, ok := any(out).([]float32); ok {
			a, b := any(xs[0]).([]float32), any(xs[1]).([]float32)
			if k := simpleF32Sets[0].binary(op); k != nil {
				k(d, a, b)
				return
			}
			if op == device.LeakyReLUGrad {
				simpleF32Sets[0].leakyGrad(d, a, b, p)
				return
			}
			if op == device.GELUGrad {
				unaryF32Sets[0].geluGrad(d, a, b)
				return
			}
		}
		if op <= device.Minimum {
			arithLoop(op, out, xs[0], xs[1])
		} else {
			gradLoop(op, p, out, xs[0], xs[1])
		}
	})
}

// arithLoop computes dst[i] = op(a[i], b[i]) for Add through Minimum. It
// reports whether an integer division met a zero divisor (and wrote 0).
func arithLoop[T num](op device.BinaryOp, dst, a, b []T) (divZero bool) {
	switch op {
	case device.Add:
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case device.Sub:
		for i := range dst {
			dst[i] = a[i] - b[i]
		}
	case device.Mul:
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case device.Div:
		if !isInt[T]() {
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
			break
		}
		for i := range dst {
			if b[i] == 0 {
				dst[i], divZero = 0, true
			} else {
				dst[i] = a[i] / b[i]
			}
		}
	case device.Maximum: // the builtins propagate NaN and put -0 below +0
		for i := range dst {
			dst[i] = max(a[i], b[i])
		}
	case device.Minimum:
		for i := range dst {
			dst[i] = min(a[i], b[i])
		}
	}
	return divZero
}

// gradLoop computes the fused vector-Jacobian products: x (or y) is the
// saved forward value, g the incoming gradient.
func gradLoop[T float](op device.BinaryOp, p float64, dst, x, g []T) {
	switch op {
	case device.ReLUGrad:
		for i := range dst {
			if x[i] > 0 {
				dst[i] = g[i]
			} else {
				dst[i] = 0
			}
		}
	case device.LeakyReLUGrad:
		for i := range dst {
			if x[i] > 0 {
				dst[i] = g[i]
			} else {
				dst[i] = T(p * float64(g[i]))
			}
		}
	case device.SigmoidGrad:
		for i := range dst {
			y := float64(x[i])
			dst[i] = T(float64(g[i]) * y * (1 - y))
		}
	case device.TanhGrad:
		for i := range dst {
			y := float64(x[i])
			dst[i] = T(float64(g[i]) * (1 - y*y))
		}
	case device.GELUGrad:
		for i := range dst {
			dst[i] = T(float64(g[i]) * device.GELUDerivRef(float64(x[i])))
		}
	}
}

func compareFrom[T num](op device.BinaryOp, d, a *Buffer, al device.Layout, b *Buffer, bl device.Layout) {
	switch d.dt {
	case device.Float32:
		compare(op, slice[float32](d), slice[T](a), al, slice[T](b), bl)
	case device.Float64:
		compare(op, slice[float64](d), slice[T](a), al, slice[T](b), bl)
	default:
		compare(op, slice[int32](d), slice[T](a), al, slice[T](b), bl)
	}
}

func compare[D, T num](op device.BinaryOp, dst []D, a []T, al device.Layout, b []T, bl device.Layout) {
	mapChunks(1, []input[T]{{a, al}, {b, bl}}, func(lo int, xs [][]T) {
		compareLoop(op, dst[lo:lo+len(xs[0])], xs[0], xs[1])
	})
}

// compareLoop writes 1 where a[i] op b[i] holds, else 0; every comparison
// with NaN is false except Ne.
func compareLoop[D, T num](op device.BinaryOp, dst []D, a, b []T) {
	switch op {
	case device.Eq:
		for i := range dst {
			dst[i] = one[D](a[i] == b[i])
		}
	case device.Ne:
		for i := range dst {
			dst[i] = one[D](a[i] != b[i])
		}
	case device.Lt:
		for i := range dst {
			dst[i] = one[D](a[i] < b[i])
		}
	case device.Le:
		for i := range dst {
			dst[i] = one[D](a[i] <= b[i])
		}
	case device.Gt:
		for i := range dst {
			dst[i] = one[D](a[i] > b[i])
		}
	case device.Ge:
		for i := range dst {
			dst[i] = one[D](a[i] >= b[i])
		}
	}
}

// one converts a truth value to 1 or 0.
func one[D num](c bool) D {
	if c {
		return 1
	}
	return 0
}

// Where computes dst[i] = cond[i] != 0 ? a[i] : b[i]; a NaN condition is
// true. Every dtype is supported; all four buffers share it.
func (be *Backend) Where(dst device.Buffer, cond device.Buffer, cl device.Layout, a device.Buffer, al device.Layout, b device.Buffer, bl device.Layout) error {
	if dt, ok := halfOf(dst, cond, a, b); ok {
		return be.whereHalf(dt, dst, cond, cl, a, al, b, bl)
	}
	d, err := asBuffer("Where", dst)
	if err != nil {
		return err
	}
	bs, err := buffers("Where", d.dt, cond, a, b)
	if err != nil {
		return err
	}
	ls := []device.Layout{cl, al, bl}
	for i, what := range []string{"cond", "a", "b"} {
		if err := sameShape("Where", cl, ls[i]); err != nil {
			return err
		}
		if err := checkLayout("Where", bs[i], ls[i], what); err != nil {
			return err
		}
	}
	if err := need("Where", d, cl.Size(), "dst"); err != nil {
		return err
	}
	if cl.Size() == 0 {
		return nil
	}
	if single(cl) {
		// One condition for every element (a flag broadcast, as
		// GradScaler.Step selects with): a copy of a or of b.
		src, sl := b, bl
		if elementAt(bs[0], cl.Offset) != 0 {
			src, sl = a, al
		}
		return be.Copy(dst, device.Contiguous(cl.Shape), src, sl)
	}
	switch d.dt {
	case device.Float32:
		where(slice[float32](d), bs, ls)
	case device.Float64:
		where(slice[float64](d), bs, ls)
	default:
		where(slice[int32](d), bs, ls)
	}
	return nil
}

// single reports whether l addresses a single element (every dimension of
// size 1 or stride 0).
func single(l device.Layout) bool {
	for i, n := range l.Shape {
		if n > 1 && l.Strides[i] != 0 {
			return false
		}
	}
	return true
}

// elementAt returns element i of b as a float64 (NaN stays NaN).
func elementAt(b *Buffer, i int) float64 {
	switch b.dt {
	case device.Float32:
		return float64(slice[float32](b)[i])
	case device.Float64:
		return slice[float64](b)[i]
	}
	return float64(slice[int32](b)[i])
}

func where[T num](dst []T, bs []*Buffer, ls []device.Layout) {
	ins := []input[T]{{slice[T](bs[0]), ls[0]}, {slice[T](bs[1]), ls[1]}, {slice[T](bs[2]), ls[2]}}
	mapChunks(1, ins, func(lo int, xs [][]T) {
		c, a, b := xs[0], xs[1], xs[2]
		for i, out := 0, dst[lo:lo+len(c)]; i < len(out); i++ {
			if c[i] != 0 {
				out[i] = a[i]
			} else {
				out[i] = b[i]
			}
		}
	})
}
