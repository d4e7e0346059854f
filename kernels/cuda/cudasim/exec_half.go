package cudasim

import (
	"math"
	"math/bits"
)

// Half-precision arithmetic (.f16, .bf16 and their .x2 pairs, which apply
// the operation to the low and the high half independently). Every result
// is the exact result rounded once to nearest even: add, sub and mul are
// exact in float64 or carried as twoSum's hi+lo, and fma adds the exact
// float64 product to c with twoSum, so no value is rounded twice. A NaN
// result is the canonical 0x7fff. .ftz flushes subnormal inputs and
// results to a zero of the same sign, .sat clamps to [0, 1] (NaN gives
// +0) and .relu turns negative results into +0.

// halfMods are the modifiers of a half-precision instruction.
type halfMods struct {
	f              hfmt
	ftz, sat, relu bool
	nan            bool // min/max .NaN
}

// flush applies .ftz to a pattern.
func (h halfMods) flush(a uint64) uint64 {
	a &= 0xffff
	if h.ftz && a&(uint64(1<<h.f.ebits-1)<<h.f.mbits) == 0 {
		return a & (1 << (h.f.mbits + h.f.ebits)) // a zero or subnormal: keep the sign
	}
	return a
}

// result rounds the exact hi+lo and applies .sat, .relu and .ftz.
func (h halfMods) result(hi, lo float64) uint64 {
	if h.sat {
		if c := sat64(hi); c != hi || hi == 0 {
			hi, lo = c, 0
		}
	}
	if h.relu && hi == hi && (hi < 0 || hi == 0 && math.Signbit(hi)) {
		hi, lo = 0, 0
	}
	return h.flush(h.f.round(hi, lo, rndN, false))
}

// halfOp returns one half's operation on patterns, or nil.
func halfOp(op string, h halfMods) func(a, b, c uint64) uint64 {
	v := func(a uint64) float64 { return h.f.value(h.flush(a)) }
	sign := uint64(1) << (h.f.mbits + h.f.ebits)
	switch op {
	case "add":
		return func(a, b, _ uint64) uint64 { return h.result(twoSum(v(a), v(b))) }
	case "sub":
		return func(a, b, _ uint64) uint64 { return h.result(twoSum(v(a), -v(b))) }
	case "mul":
		// The product of two 8- or 11-bit significands is exact.
		return func(a, b, _ uint64) uint64 { return h.result(v(a)*v(b), 0) }
	case "fma":
		return func(a, b, c uint64) uint64 { return h.result(twoSum(v(a)*v(b), v(c))) }
	case "neg":
		return func(a, _, _ uint64) uint64 { return h.flush(a) ^ sign }
	case "abs":
		return func(a, _, _ uint64) uint64 { return h.flush(a) &^ sign }
	case "ex2":
		return func(a, _, _ uint64) uint64 { return h.result(math.Exp2(v(a)), 0) }
	case "min", "max":
		isMin := op == "min"
		return func(a, b, _ uint64) uint64 {
			a, b = h.flush(a), h.flush(b)
			x, y := h.f.value(a), h.f.value(b)
			xn, yn := x != x, y != y
			switch {
			case xn && yn, (xn || yn) && h.nan:
				return h.f.nan
			case xn:
				return b
			case yn:
				return a
			case x == y && x == 0:
				if (a&sign != 0) == isMin {
					return a
				}
				return b
			case (x < y) == isMin:
				return a
			}
			return b
		}
	}
	return nil
}

// decHalf decodes arithmetic on the half types: add, sub, mul, fma, min,
// max, neg, abs and ex2.approx.
func decHalf(d *decoder, in *instr, out *inst, m *mods, t ptype) {
	out.typ = t
	if m.hasRnd && (m.rnd != rndN || m.rint) {
		d.failf("%s.%s rounds to nearest only (.rn)", in.op, t)
	}
	h := halfMods{f: formatOf(t), ftz: m.ftz, sat: m.sat, relu: m.take("relu"), nan: m.nan}
	f := halfOp(in.op, h)
	if f == nil {
		d.failf("%s.%s is not supported", in.op, t)
	}
	n := map[string]int{"fma": 4, "neg": 2, "abs": 2, "ex2": 2}[in.op]
	if n == 0 {
		n = 3
	}
	d.nargs(in, n)
	d.operands(in, out, t)
	if t == tF16x2 || t == tBF16x2 {
		one := f
		f = func(a, b, c uint64) uint64 { return one(a>>16, b>>16, c>>16)<<16 | one(a, b, c) }
	}
	switch n {
	case 2:
		out.f1, out.exec = func(a uint64) uint64 { return f(a, 0, 0) }, exec1
	case 3:
		out.f2, out.exec = func(a, b uint64) uint64 { return f(a, b, 0) }, exec2
	default:
		out.f3, out.exec = f, exec3
	}
}

// halfCompare is setp's comparison of two half patterns.
func halfCompare(cmp string, t ptype, ftz bool) func(a, b uint64) bool {
	h := halfMods{f: formatOf(t), ftz: ftz}
	c := floatCompare(cmp, tF64, false)
	if c == nil {
		return nil
	}
	return func(a, b uint64) bool {
		return c(math.Float64bits(h.f.value(h.flush(a))), math.Float64bits(h.f.value(h.flush(b))))
	}
}

// execSetpX2 is setp on .f16x2/.bf16x2: p from the low halves, q from
// the high halves, each combined with the optional predicate.
func execSetpX2(w *warp, in *inst, m uint32) *Fault {
	a, b, cmp := w.row(in.s[0]), w.row(in.s[1]), in.cmp
	var lo, hi uint32
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		if cmp(a[l], b[l]) {
			lo |= 1 << l
		}
		if cmp(a[l]>>16, b[l]>>16) {
			hi |= 1 << l
		}
	}
	defined := m & w.ri[in.s[0]] & w.ri[in.s[1]]
	if in.ps >= 0 {
		c := w.p[in.ps]
		if in.psneg {
			c = ^c
		}
		defined &= w.pi[in.ps]
		lo, hi = boolOp(in.mode, lo, c), boolOp(in.mode, hi, c)
	}
	w.setPred(in.pd, m, lo, defined)
	w.setPred(in.pq, m, hi, defined)
	return nil
}
