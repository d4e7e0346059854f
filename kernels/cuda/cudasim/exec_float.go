package cudasim

import (
	"math"
)

// Floating-point semantics where PTX differs from Go:
//   - f32 results that are NaN are the canonical NaN 0x7fffffff (CUDA
//     programming guide, floating-point standard);
//   - .ftz flushes subnormal f32 inputs and results to a zero of the same
//     sign, .sat clamps to [0, 1] with NaN giving 0;
//   - .rz/.rm/.rp round the exact result, computed in float64 with an
//     error term, in the requested direction;
//   - min/max return the non-NaN operand and order -0 below +0;
//   - .approx functions return the correctly rounded value, which is
//     within every approximation bound PTX states.

const canonNaN32 = 0x7fffffff

func f32(v uint64) float32 { return math.Float32frombits(uint32(v)) }
func f64(v uint64) float64 { return math.Float64frombits(v) }

func canon32(f float32) uint32 {
	if f != f {
		return canonNaN32
	}
	return math.Float32bits(f)
}

// ftz32 flushes a subnormal to a zero of the same sign.
func ftz32(f float32) float32 {
	if f != 0 && math.Abs(float64(f)) < 0x1p-126 {
		return float32(math.Copysign(0, float64(f)))
	}
	return f
}

func sat64(f float64) float64 {
	switch {
	case f != f || f <= 0:
		return 0 // also maps -0 to +0
	case f > 1:
		return 1
	}
	return f
}

// twoSum returns s = fl(a+b) and the exact error e = a+b-s.
func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

// round32 rounds the exact value hi+lo, where hi = fl64(hi+lo), to
// float32 in mode. For nearest it rounds hi to odd first (sticky bit), so
// the final conversion does not round twice.
func round32(hi, lo float64, mode uint8) float32 {
	if mode == rndN {
		if lo != 0 {
			b := math.Float64bits(hi)
			if b&1 == 0 {
				if (lo > 0) == (hi > 0) {
					b++
				} else {
					b--
				}
			}
			hi = math.Float64frombits(b)
		}
		return float32(hi)
	}
	r := float32(hi)
	s := (hi - float64(r)) + lo // sign of exact - r
	switch {
	case mode == rndZ && (r > 0 && s < 0 || r < 0 && s > 0):
		r = math.Nextafter32(r, 0)
	case mode == rndM && s < 0:
		r = math.Nextafter32(r, float32(math.Inf(-1)))
	case mode == rndP && s > 0:
		r = math.Nextafter32(r, float32(math.Inf(1)))
	}
	return r
}

// round64 adjusts the nearest result hi of an operation whose exact value
// is hi+lo (lo only needs the right sign) to mode.
func round64(hi, lo float64, mode uint8) float64 {
	switch {
	case lo == 0 || lo != lo || math.IsInf(hi, 0) && !math.IsInf(lo, 0):
		return hi
	case mode == rndZ && (hi > 0 && lo < 0 || hi < 0 && lo > 0):
		return math.Nextafter(hi, 0)
	case mode == rndM && lo < 0:
		return math.Nextafter(hi, math.Inf(-1))
	case mode == rndP && lo > 0:
		return math.Nextafter(hi, math.Inf(1))
	}
	return hi
}

func finite(fs ...float64) bool {
	for _, f := range fs {
		if math.IsInf(f, 0) || f != f {
			return false
		}
	}
	return true
}

// exact32 returns the exact result of an f32 add/mul/fma/div/sqrt as hi+lo.
func exact32(op string, a, b, c float64) (float64, float64) {
	switch op {
	case "add":
		return twoSum(a, b)
	case "sub":
		return twoSum(a, -b)
	case "mul":
		return a * b, 0 // 24x24-bit products are exact in float64
	case "fma":
		return twoSum(a*b, c)
	case "div":
		q := a / b
		return q, math.FMA(-q, b, a) / b
	case "sqrt":
		s := math.Sqrt(a)
		return s, math.FMA(-s, s, a) / (2 * s)
	case "rcp":
		q := 1 / a
		return q, math.FMA(-q, a, 1) / a
	}
	return math.NaN(), 0
}

// exact64 returns an f64 operation's nearest result and the sign-correct
// error term.
func exact64(op string, a, b, c float64) (float64, float64) {
	switch op {
	case "add":
		return twoSum(a, b)
	case "sub":
		return twoSum(a, -b)
	case "mul":
		p := a * b
		return p, math.FMA(a, b, -p)
	case "fma":
		r := math.FMA(a, b, c)
		p := a * b
		pe := math.FMA(a, b, -p)
		s, se := twoSum(p, c)
		return r, (s - r) + se + pe
	case "div":
		q := a / b
		return q, math.FMA(-q, b, a) / b
	case "sqrt":
		s := math.Sqrt(a)
		return s, math.FMA(-s, s, a)
	case "rcp":
		q := 1 / a
		return q, math.FMA(-q, a, 1) / a
	}
	return math.NaN(), 0
}

// fop is a float operation with its PTX modifiers.
type fop struct {
	op  string
	t   ptype
	rnd uint8
	ftz bool
	sat bool
	nan bool // min/max .NaN
}

// f32Exact computes op on float32 operands with the modifiers.
func (o fop) f32Exact(a, b, c float32) float32 {
	if o.ftz {
		a, b, c = ftz32(a), ftz32(b), ftz32(c)
	}
	var r float32
	switch {
	case o.rnd == rndN && (o.op == "add" || o.op == "sub" || o.op == "mul" || o.op == "div" || o.op == "sqrt"):
		switch o.op {
		case "add":
			r = a + b
		case "sub":
			r = a - b
		case "mul":
			r = a * b
		case "div":
			r = a / b
		default:
			r = float32(math.Sqrt(float64(a)))
		}
	default:
		x, y, z := float64(a), float64(b), float64(c)
		if !finite(x, y, z) || o.op == "rcp" && x == 0 || o.op == "div" && y == 0 || o.op == "sqrt" && x <= 0 {
			hi, _ := exact32(o.op, x, y, z)
			r = float32(hi)
		} else {
			r = round32(signedZero(o, x, y, z, exact32))
		}
	}
	if o.ftz {
		r = ftz32(r)
	}
	if o.sat {
		r = float32(sat64(float64(r)))
	}
	return r
}

// signedZero computes op exactly and gives an exact zero sum the sign
// IEEE 754 prescribes for round-toward-negative.
func signedZero(o fop, x, y, z float64, exact func(string, float64, float64, float64) (float64, float64)) (float64, float64, uint8) {
	hi, lo := exact(o.op, x, y, z)
	if hi == 0 && lo == 0 && o.rnd == rndM && (o.op == "add" || o.op == "sub" || o.op == "fma") {
		hi = math.Copysign(0, -1)
		if o.op == "add" && math.Signbit(x) == math.Signbit(y) && x == 0 && y == 0 {
			hi = x
		}
	}
	return hi, lo, o.rnd
}

// f64Exact computes op on float64 operands with the modifiers.
func (o fop) f64Exact(a, b, c float64) float64 {
	var r float64
	switch o.op {
	case "add":
		r = a + b
	case "sub":
		r = a - b
	case "mul":
		r = a * b
	case "fma":
		r = math.FMA(a, b, c)
	case "div":
		r = a / b
	case "sqrt":
		r = math.Sqrt(a)
	case "rcp":
		r = 1 / a
	}
	if o.rnd != rndN && finite(a, b, c, r) && !(o.op == "sqrt" && a <= 0) {
		hi, lo, _ := signedZero(o, a, b, c, exact64)
		r = round64(hi, lo, o.rnd)
	}
	if o.sat {
		r = sat64(r)
	}
	return r
}

// floatArith returns the operation as a function of raw register bits
// for add/sub/mul/fma/mad/div/sqrt/rcp.
func floatArith(o fop) func(a, b, c uint64) uint64 {
	if o.op == "mad" {
		o.op = "fma"
	}
	if o.t == tF64 {
		return func(a, b, c uint64) uint64 { return math.Float64bits(o.f64Exact(f64(a), f64(b), f64(c))) }
	}
	return func(a, b, c uint64) uint64 { return uint64(canon32(o.f32Exact(f32(a), f32(b), f32(c)))) }
}

// floatMinMax implements min/max: a NaN operand yields the other operand
// (or the canonical NaN with .NaN or when both are NaN), and -0 < +0.
func floatMinMax(o fop) func(a, b uint64) uint64 {
	isMin := o.op == "min"
	pick := func(x, y float64) (float64, bool) {
		xn, yn := x != x, y != y
		switch {
		case xn && yn, (xn || yn) && o.nan:
			return 0, true
		case xn:
			return y, false
		case yn:
			return x, false
		case x == y && x == 0:
			if math.Signbit(x) == isMin {
				return x, false
			}
			return y, false
		case (x < y) == isMin:
			return x, false
		}
		return y, false
	}
	if o.t == tF64 {
		return func(a, b uint64) uint64 {
			r, nan := pick(f64(a), f64(b))
			if nan {
				return 0x7fffffffffffffff
			}
			return math.Float64bits(r)
		}
	}
	return func(a, b uint64) uint64 {
		x, y := f32(a), f32(b)
		if o.ftz {
			x, y = ftz32(x), ftz32(y)
		}
		r, nan := pick(float64(x), float64(y))
		if nan {
			return canonNaN32
		}
		return uint64(math.Float32bits(float32(r)))
	}
}

// floatUnary implements abs, neg and the special functions.
func floatUnary(o fop) func(a uint64) uint64 {
	var fn func(float64) float64
	switch o.op {
	case "abs":
		fn = math.Abs
	case "neg":
		fn = func(x float64) float64 { return -x }
	case "rsqrt":
		fn = func(x float64) float64 { return 1 / math.Sqrt(x) }
	case "ex2":
		fn = math.Exp2
	case "lg2":
		fn = math.Log2
	case "sin":
		fn = math.Sin
	case "cos":
		fn = math.Cos
	case "tanh":
		fn = math.Tanh
	case "sqrt", "rcp":
		ar := floatArith(o)
		return func(a uint64) uint64 { return ar(a, 0, 0) }
	default:
		return nil
	}
	if o.t == tF64 {
		if o.op == "abs" || o.op == "neg" {
			// f64 abs and neg pass NaN payloads through, unlike f32.
			sign := uint64(1) << 63
			if o.op == "abs" {
				return func(a uint64) uint64 { return a &^ sign }
			}
			return func(a uint64) uint64 { return a ^ sign }
		}
		return func(a uint64) uint64 { return math.Float64bits(fn(f64(a))) }
	}
	return func(a uint64) uint64 {
		x := f32(a)
		if o.ftz {
			x = ftz32(x)
		}
		r := float32(fn(float64(x)))
		if o.ftz {
			r = ftz32(r)
		}
		if o.sat {
			r = float32(sat64(float64(r)))
		}
		return uint64(canon32(r))
	}
}

// floatCompare returns setp's comparison for floats: ordered comparisons
// are false and unordered ones true when an operand is NaN.
func floatCompare(cmp string, t ptype, ftz bool) func(a, b uint64) bool {
	get := func(v uint64) float64 { return f64(v) }
	if t == tF32 {
		get = func(v uint64) float64 {
			x := f32(v)
			if ftz {
				x = ftz32(x)
			}
			return float64(x)
		}
	}
	var c func(x, y float64) bool
	switch cmp {
	case "eq":
		c = func(x, y float64) bool { return x == y }
	case "ne":
		c = func(x, y float64) bool { return x < y || x > y }
	case "lt":
		c = func(x, y float64) bool { return x < y }
	case "le":
		c = func(x, y float64) bool { return x <= y }
	case "gt":
		c = func(x, y float64) bool { return x > y }
	case "ge":
		c = func(x, y float64) bool { return x >= y }
	case "equ":
		c = func(x, y float64) bool { return !(x < y || x > y) }
	case "neu":
		c = func(x, y float64) bool { return x != y }
	case "ltu":
		c = func(x, y float64) bool { return !(x >= y) }
	case "leu":
		c = func(x, y float64) bool { return !(x > y) }
	case "gtu":
		c = func(x, y float64) bool { return !(x <= y) }
	case "geu":
		c = func(x, y float64) bool { return !(x < y) }
	case "num":
		c = func(x, y float64) bool { return x == x && y == y }
	case "nan":
		c = func(x, y float64) bool { return x != x || y != y }
	default:
		return nil
	}
	return func(a, b uint64) bool { return c(get(a), get(b)) }
}

// intCompare returns setp's comparison for integers; lt/le/gt/ge follow
// the type's signedness, lo/ls/hi/hs are always unsigned.
func intCompare(cmp string, t ptype) func(a, b uint64) bool {
	less := intLess(t)
	mask := widthMask(t)
	switch cmp {
	case "lo", "ls", "hi", "hs":
		less = func(a, b uint64) bool { return a&mask < b&mask }
	}
	switch cmp {
	case "eq":
		return func(a, b uint64) bool { return a&mask == b&mask }
	case "ne":
		return func(a, b uint64) bool { return a&mask != b&mask }
	case "lt", "lo":
		return less
	case "le", "ls":
		return func(a, b uint64) bool { return !less(b, a) }
	case "gt", "hi":
		return func(a, b uint64) bool { return less(b, a) }
	case "ge", "hs":
		return func(a, b uint64) bool { return !less(a, b) }
	}
	return nil
}
