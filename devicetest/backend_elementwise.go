package devicetest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// kindFor picks the layout of input j of case i of op number op: the two
// shapes of about a thousand elements stay contiguous (the vectorised
// path, with a tail), the others cycle through every kind.
func kindFor(i, op, j int) viewKind {
	if n := device.Numel(elementwiseShapes[i]); n > 1000 && n < 2000 {
		return contiguous
	}
	return viewKind((i + op + 3*j) % int(numViewKinds))
}

// unaryInput generates the operand of op: positive for Log, Sqrt, Pow and Log1p,
// with some large magnitudes for Exp-based ops so overflow would show.
func unaryInput(r *rand.Rand, op device.UnaryOp, dt device.DType) func(int) []float64 {
	return func(n int) []float64 {
		switch op {
		case device.Log, device.Sqrt, device.Pow, device.Log1p:
			return positive(r, n)
		}
		out := values(r, dt, n)
		for i := range out {
			switch {
			case op == device.Exp && dt == device.Float16 && r.IntN(8) == 0:
				out[i] *= 5 // up to e^15: past 65504, so Inf
			case op == device.Sigmoid && r.IntN(8) == 0:
				out[i] *= 40
			case (op == device.ReLU || op == device.Sign || op == device.Abs) && r.IntN(16) == 0:
				out[i] = pick(r, []float64{0, math.Copysign(0, -1), math.NaN()})
			}
		}
		return out
	}
}

// unary covers every UnaryOp in float32 and float64.
func (h *harness) unary(t *testing.T) {
	for _, op := range device.UnaryOps() {
		for _, dt := range h.floats() {
			t.Run(op.String()+"_"+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				p := 0.1
				if op == device.Pow {
					p = pick(r, []float64{2, 0.5, -1.5, 3})
				}
				for i, shape := range elementwiseShapes {
					k := kindFor(i, int(op), 0)
					src, sl := h.input(t, r, dt, shape, k, unaryInput(r, op, dt))
					n := device.Numel(shape)
					dst := h.alloc(t, dt, n)
					if h.run(t, func(be device.Backend, s side) error { return be.Unary(op, p, dst.on(s), src.on(s), sl) }) {
						h.compare(t, shapeName(shape)+" "+k.String(), dst, n, tolFor(dt))
					}
				}
			})
		}
	}
	if h.self {
		return
	}
	t.Run("int32_rejected", func(t *testing.T) {
		src := h.alloc(t, device.Int32, 4)
		dst := h.alloc(t, device.Int32, 4)
		h.run(t, func(be device.Backend, s side) error {
			return be.Unary(device.Exp, 0, dst.on(s), src.on(s), device.Contiguous([]int{4}))
		})
	})
}

// binaryInputs generates the operands of op: divisors away from zero,
// ties, signed zeros and NaNs for comparisons and Maximum/Minimum, and the
// saved forward values the gradient ops expect.
func binaryInputs(r *rand.Rand, op device.BinaryOp, dt device.DType) (a, b func(int) []float64) {
	plain := func(n int) []float64 { return values(r, dt, n) }
	ties := func(n int) []float64 {
		out := values(r, dt, n)
		for i := range out {
			if dt == device.Int32 {
				out[i] = float64(r.IntN(5) - 2)
				continue
			}
			out[i] = math.Round(out[i]*2) / 2
			if r.IntN(12) == 0 {
				out[i] = pick(r, []float64{math.NaN(), math.Copysign(0, -1), 0})
			}
		}
		return out
	}
	unit := func(lo, hi float64) func(int) []float64 {
		return func(n int) []float64 {
			out := make([]float64, n)
			for i := range out {
				out[i] = lo + (hi-lo)*r.Float64()
			}
			return out
		}
	}
	if dt.IsHalf() && (op == device.Add || op == device.Sub || op == device.Mul) {
		plain = func(n int) []float64 { return withEdges(r, values(r, dt, n)) }
	}
	switch {
	case op == device.Div:
		return plain, func(n int) []float64 {
			out := values(r, dt, n)
			for i := range out {
				if dt == device.Int32 {
					out[i] = float64((1 + r.IntN(9)) * (1 - 2*r.IntN(2)))
				} else {
					out[i] = math.Copysign(0.5+math.Abs(out[i]), out[i])
				}
			}
			return out
		}
	case op.IsCompare() || op == device.Maximum || op == device.Minimum:
		return ties, ties
	case op == device.SigmoidGrad:
		return unit(0, 1), plain
	case op == device.TanhGrad:
		return unit(-1, 1), plain
	}
	return plain, plain
}

// binary covers every BinaryOp in float32 and float64 and the integer ops
// in int32, with broadcast and strided operands, comparisons into an
// int32 mask, and int32 division by zero.
func (h *harness) binary(t *testing.T) {
	for _, op := range device.BinaryOps() {
		for _, dt := range h.all() {
			if dt == device.Int32 && op > device.Ge {
				continue
			}
			t.Run(op.String()+"_"+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				ga, gb := binaryInputs(r, op, dt)
				for i, shape := range elementwiseShapes {
					ka, kb := kindFor(i, int(op), 0), kindFor(i, int(op), 1)
					a, al := h.input(t, r, dt, shape, ka, ga)
					b, bl := h.input(t, r, dt, shape, kb, gb)
					n := device.Numel(shape)
					dst := h.alloc(t, dt, n)
					if h.run(t, func(be device.Backend, s side) error {
						return be.Binary(op, 0.1, dst.on(s), a.on(s), al, b.on(s), bl)
					}) {
						h.compare(t, shapeName(shape)+" "+ka.String()+"/"+kb.String(), dst, n, tolFor(dt))
					}
				}
			})
		}
	}
	for _, dt := range h.floats() {
		if dt == device.Float64 {
			continue
		}
		t.Run("compare_into_i32_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			ga, gb := binaryInputs(r, device.Lt, dt)
			shape := []int{5, 7}
			a, al := h.input(t, r, dt, shape, permuted, ga)
			b, bl := h.input(t, r, dt, shape, broadcast, gb)
			dst := h.alloc(t, device.Int32, 35)
			if h.run(t, func(be device.Backend, s side) error {
				return be.Binary(device.Lt, 0, dst.on(s), a.on(s), al, b.on(s), bl)
			}) {
				h.compare(t, "lt mask", dst, 35, exact)
			}
		})
	}
	if h.self {
		return
	}
	t.Run("div_by_zero_i32", func(t *testing.T) {
		a := h.upload(t, device.Int32, []float64{1, 2, 3, 4, 5})
		b := h.upload(t, device.Int32, []float64{1, 2, 0, 4, 5})
		dst := h.alloc(t, device.Int32, 5)
		l := device.Contiguous([]int{5})
		h.run(t, func(be device.Backend, s side) error {
			return be.Binary(device.Div, 0, dst.on(s), a.on(s), l, b.on(s), l)
		})
		if err := h.be[dut].Sync(); err != nil {
			t.Errorf("the division error was reported twice: %v", err)
		}
	})
}

// where covers Where in every dtype with strided and broadcast operands.
func (h *harness) where(t *testing.T) {
	for _, dt := range h.all() {
		t.Run("where_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			cond := func(n int) []float64 {
				out := make([]float64, n)
				for i := range out {
					out[i] = pick(r, []float64{0, 1, -2, 0, 3})
				}
				return out
			}
			for i, shape := range elementwiseShapes {
				kc, ka, kb := kindFor(i, 0, 0), kindFor(i, 0, 1), kindFor(i, 0, 2)
				c, cl := h.input(t, r, dt, shape, kc, cond)
				a, al := h.input(t, r, dt, shape, ka, nil)
				b, bl := h.input(t, r, dt, shape, kb, nil)
				n := device.Numel(shape)
				dst := h.alloc(t, dt, n)
				if h.run(t, func(be device.Backend, s side) error {
					return be.Where(dst.on(s), c.on(s), cl, a.on(s), al, b.on(s), bl)
				}) {
					h.compare(t, shapeName(shape), dst, n, exact)
				}
			}
		})
	}
}

// withEdges puts the edges of the half ranges among v: float16's largest
// value (whose sums and products overflow to Inf), its subnormals,
// bfloat16's near float32's largest, Inf and NaN.
func withEdges(r *rand.Rand, v []float64) []float64 {
	for i := range v {
		if r.IntN(8) == 0 {
			v[i] = pick(r, []float64{65504, -65504, 40000, 3e-6, -1e-7, 3e38, -2e38, math.Inf(1), math.NaN()})
		}
	}
	return v
}
