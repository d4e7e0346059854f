package device

import "math"

// BF16 is the bit pattern of one bfloat16 value: the top half of a
// float32 (1 sign, 8 exponent, 7 mantissa bits), so it has float32's range
// and about 3 significant decimal digits. It is the host element type of
// BFloat16 buffers (Write and Read take a []BF16).
type BF16 uint16

// F16 is the bit pattern of one IEEE 754 binary16 value (1 sign, 5
// exponent, 10 mantissa bits): largest finite 65504, smallest normal
// 2^-14, smallest subnormal 2^-24. It is the host element type of Float16
// buffers.
type F16 uint16

// BF16FromFloat32 rounds f to the nearest bfloat16, ties to even, as
// cvt.rn.bf16.f32 and PyTorch do: values past the largest finite bfloat16
// round to ±Inf, and a NaN stays a (quiet) NaN with its sign.
func BF16FromFloat32(f float32) BF16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return BF16(b>>16 | 0x40)
	}
	// Adding 0x7fff plus the lowest kept bit rounds half to even; a carry
	// out of the mantissa moves into the exponent, which is what rounding
	// up to the next binade (or to Inf) needs.
	b += 0x7fff + (b>>16)&1
	return BF16(b >> 16)
}

// Float32 returns b exactly.
func (b BF16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// F16FromFloat32 rounds f to the nearest float16, ties to even, as
// cvt.rn.f16.f32 does: subnormal results are rounded too, values at or
// past 65520 become ±Inf, and a NaN stays a quiet NaN with its sign.
func F16FromFloat32(f float32) F16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return F16(sign | 0x7e00 | uint16(mant>>13))
		}
		return F16(sign | 0x7c00)
	}
	e := exp - 127 + 15 // the float16 biased exponent
	if e >= 0x1f {
		return F16(sign | 0x7c00)
	}
	if e <= 0 {
		// A float16 subnormal m*2^-24: m = full >> (14-e), rounded.
		s := uint(14 - e)
		if s > 24 {
			return F16(sign) // below half the smallest subnormal
		}
		full := mant | 0x800000
		if exp == 0 {
			full = mant // a float32 subnormal: far below float16's range
		}
		m := full >> s
		rem, half := full&(1<<s-1), uint32(1)<<(s-1)
		if rem > half || rem == half && m&1 == 1 {
			m++ // may become 0x400, the smallest normal: still right
		}
		return F16(sign | uint16(m))
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++ // a carry into the exponent rounds up a binade, or to Inf
	}
	return F16(sign | uint16(h))
}

// Float32 returns h exactly.
func (h F16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		f := float32(mant) * (1.0 / (1 << 24)) // subnormal (or zero): exact
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// BF16s rounds each element of f to bfloat16.
func BF16s(f []float32) []BF16 {
	out := make([]BF16, len(f))
	for i, v := range f {
		out[i] = BF16FromFloat32(v)
	}
	return out
}

// F16s rounds each element of f to float16.
func F16s(f []float32) []F16 {
	out := make([]F16, len(f))
	for i, v := range f {
		out[i] = F16FromFloat32(v)
	}
	return out
}
