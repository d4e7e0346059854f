package cudasim

import "math"

// hfmt is a narrow binary floating-point format: float16 (IEEE binary16),
// bfloat16 (float32's top half) or tf32 (float32's exponent with 10
// mantissa bits, kept in a 32-bit register with the low 13 bits zero).
type hfmt struct {
	mbits, ebits uint // stored mantissa and exponent bits
	shift        uint // where the pattern sits in its register (tf32: 13)
	nan          uint64
}

var (
	fmtF16  = hfmt{mbits: 10, ebits: 5, nan: 0x7fff}
	fmtBF16 = hfmt{mbits: 7, ebits: 8, nan: 0x7fff}
	fmtTF32 = hfmt{mbits: 10, ebits: 8, shift: 13, nan: canonNaN32}
)

// formatOf is the narrow format of a 16-bit float type (or its pair) and
// of tf32.
func formatOf(t ptype) hfmt {
	switch t {
	case tBF16, tBF16x2:
		return fmtBF16
	case tTF32:
		return fmtTF32
	}
	return fmtF16
}

func (f hfmt) bias() int { return 1<<(f.ebits-1) - 1 }

// value decodes a pattern of the format exactly (bits above the pattern
// are ignored). Every value of the three formats is a float32, so they
// are rebuilt as float32 bit patterns rather than computed.
func (f hfmt) value(h uint64) float64 {
	if f.ebits == 8 { // bf16 and tf32: float32's top bits
		if f.shift == 0 {
			return float64(math.Float32frombits(uint32(h&0xffff) << 16))
		}
		return float64(math.Float32frombits(uint32(h) &^ (1<<f.shift - 1)))
	}
	sign := uint32(h&0x8000) << 16
	exp, mant := uint32(h>>10)&0x1f, uint32(h&0x3ff)
	switch exp {
	case 0x1f:
		return float64(math.Float32frombits(sign | 0x7f800000 | mant<<13))
	case 0: // zero or subnormal: mant * 2^-24
		v := float64(mant) * 0x1p-24
		if sign != 0 {
			v = -v
		}
		return v
	}
	return float64(math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13))
}

// Rounding directions beyond rndN..rndP: to nearest with ties away from
// zero (cvt.rna.tf32.f32).
const rndA uint8 = 4

// round rounds the exact value hi+lo (hi = fl64(hi+lo), as twoSum gives)
// to the format once, in direction rnd. satfinite turns results past the
// largest finite value (and infinities) into it. NaN gives the format's
// canonical NaN, as the hardware's conversions do.
func (f hfmt) round(hi, lo float64, rnd uint8, satfinite bool) uint64 {
	if hi != hi {
		return f.nan
	}
	var sign uint64
	if math.Signbit(hi) {
		sign, hi, lo = 1<<(f.mbits+f.ebits), -hi, -lo
	}
	inf := uint64(1<<f.ebits-1) << f.mbits
	switch {
	case hi == 0:
		return sign << f.shift
	case math.IsInf(hi, 0) && satfinite:
		return (sign | inf - 1) << f.shift
	case math.IsInf(hi, 0):
		return (sign | inf) << f.shift
	}
	emin := 1 - f.bias()
	_, exp := math.Frexp(hi)
	e := max(exp-1, emin)
	// q is hi in units of the result's last place (exact: a power-of-two
	// scaling of a float64 well inside its range), l the rest in the same
	// units; l only matters where q is an integer or a tie.
	q := math.Ldexp(hi, int(f.mbits)-e)
	l := math.Ldexp(lo, int(f.mbits)-e)
	n := math.Floor(q)
	if q == n && l < 0 && n == float64(uint64(1)<<f.mbits) && e > emin {
		// Just below a power of two: the binade below has finer places.
		e--
		n, q, l = 2*n, 2*q, 2*l
	}
	frac := q - n
	cmp := 0 // the remainder against half a place: -1 below, 0 a tie, 1 above
	inexact := frac != 0 || l != 0
	switch {
	case frac == 0 && l > 0:
		cmp = -1
	case frac == 0 && l < 0:
		n--
		cmp = 1
	case frac == 0.5 && l > 0, frac > 0.5:
		cmp = 1
	case frac == 0.5 && l < 0, frac < 0.5:
		cmp = -1
	}
	up := false
	neg := sign != 0
	switch rnd {
	case rndN:
		up = cmp > 0 || cmp == 0 && inexact && math.Mod(n, 2) == 1
	case rndA:
		up = cmp >= 0 && inexact
	case rndM:
		up = inexact && neg
	case rndP:
		up = inexact && !neg
	}
	if up {
		n++
	}
	// The pattern of n places at exponent e: below the smallest normal
	// n is the subnormal mantissa, above it n carries the implicit bit
	// into the exponent field, and a round-up to the next binade carries on.
	bits := uint64(e-emin)<<f.mbits + uint64(n)
	if bits >= inf {
		// Overflow: to Inf unless the direction (or .satfinite) stops at
		// the largest finite value.
		bits = inf
		if satfinite || rnd == rndZ || rnd == rndM && !neg || rnd == rndP && neg {
			bits = inf - 1
		}
	}
	return (sign | bits) << f.shift
}
