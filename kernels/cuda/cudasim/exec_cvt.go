package cudasim

import (
	"math"
)

// cvtSpec is a parsed cvt: destination and source types and modifiers.
type cvtSpec struct {
	dst, src ptype
	rnd      uint8 // rounding direction
	rint     bool  // .rni/.rzi/.rmi/.rpi: round a float to an integral value
	ftz, sat bool
	// relu (negative results become +0) and satfinite (no Inf: the
	// largest finite value instead) for f16, bf16 and tf32 destinations
	relu, satfinite bool
}

// cvtFunc returns the conversion as a function of register bits. PTX
// rules Go does not share: float-to-integer conversions saturate to the
// destination range and turn NaN into 0; integer-to-integer .sat clamps;
// float-to-float .sat clamps to [0, 1].
func cvtFunc(c cvtSpec) func(uint64) uint64 {
	sn, dn := c.src.bits(), c.dst.bits()
	dmask := widthMask(c.dst)
	switch {
	case c.src.integer() && c.dst.integer():
		return func(a uint64) uint64 {
			if !c.src.signed() {
				v := a & widthMask(c.src)
				if c.sat {
					v = min(v, maxOf(c.dst))
				}
				return v & dmask
			}
			v := sext(a, sn)
			if c.sat {
				switch {
				case v < 0 && !c.dst.signed():
					v = 0
				case c.dst.signed():
					v = max(min(v, int64(maxOf(c.dst))), -int64(maxOf(c.dst))-1)
				case dn < 64:
					v = min(v, int64(maxOf(c.dst)))
				}
			}
			return uint64(v) & dmask
		}
	case c.src.integer():
		return func(a uint64) uint64 {
			// hi is the nearest float64, lo the (sign-correct) remainder.
			var hi, lo float64
			if c.src.signed() {
				v := sext(a, sn)
				hi = float64(v)
				if hi >= 0x1p63 {
					lo = float64(v-math.MaxInt64) - 1
				} else {
					lo = float64(v - int64(hi))
				}
			} else {
				v := a & widthMask(c.src)
				hi = float64(v)
				if hi >= 0x1p64 {
					lo = float64(int64(v-math.MaxUint64)) - 1
				} else {
					lo = float64(int64(v - uint64(hi)))
				}
			}
			return fromFloat(hi, lo, c)
		}
	case c.dst.integer():
		return func(a uint64) uint64 {
			f := toFloat(a, c.src, c.ftz)
			if f != f {
				return 0
			}
			return satInt(roundInt(f, c.rnd), c.dst)
		}
	}
	return func(a uint64) uint64 {
		f := toFloat(a, c.src, c.ftz)
		if c.rint {
			f = roundInt(f, c.rnd)
		}
		return fromFloat(f, 0, c)
	}
}

// satInt converts an integral float to integer type t, saturating at the
// type's range. The bounds compare as floats, where the int64 maximum
// rounds up to 2^63, so that int64(f) is only taken in range.
func satInt(f float64, t ptype) uint64 {
	top := maxOf(t)
	if t.signed() {
		switch {
		case f >= float64(top):
			return top
		case f <= -float64(top)-1:
			return ^top & widthMask(t)
		}
		return uint64(int64(f)) & widthMask(t)
	}
	switch {
	case f <= 0:
		return 0
	case f >= float64(top):
		return top
	}
	return uint64(f)
}

func maxOf(t ptype) uint64 {
	if t.signed() {
		return widthMask(t) >> 1
	}
	return widthMask(t)
}

// roundInt rounds to an integral value in a direction.
func roundInt(f float64, rnd uint8) float64 {
	switch rnd {
	case rndZ:
		return math.Trunc(f)
	case rndM:
		return math.Floor(f)
	case rndP:
		return math.Ceil(f)
	}
	return math.RoundToEven(f)
}

// toFloat reads register bits of a float type as float64.
func toFloat(a uint64, t ptype, ftz bool) float64 {
	switch t {
	case tF16, tBF16:
		return formatOf(t).value(a)
	case tF32:
		x := f32(a)
		if ftz {
			x = ftz32(x)
		}
		return float64(x)
	}
	return f64(a)
}

// fromFloat rounds the exact value hi+lo to the destination float type.
func fromFloat(hi, lo float64, c cvtSpec) uint64 {
	switch c.dst {
	case tF16, tBF16, tTF32:
		if c.sat {
			hi, lo = sat64(hi), 0
		}
		if c.relu && (hi < 0 || hi == 0 && math.Signbit(hi)) {
			hi, lo = 0, 0
		}
		return formatOf(c.dst).round(hi, lo, c.rnd, c.satfinite)
	case tF32:
		var r float32
		switch {
		case hi != hi && c.sat:
			return 0
		case hi != hi:
			return canonNaN32
		}
		r = round32(hi, lo, c.rnd)
		if c.ftz {
			r = ftz32(r)
		}
		if c.sat {
			r = float32(sat64(float64(r)))
		}
		return uint64(math.Float32bits(r))
	}
	if lo != 0 {
		hi = round64(hi, lo, c.rnd)
	}
	if c.sat {
		hi = sat64(hi)
	}
	return math.Float64bits(hi)
}
