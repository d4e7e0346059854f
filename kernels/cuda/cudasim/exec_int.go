package cudasim

import (
	"math/bits"
)

// Integer semantics. Registers hold values zero-extended from their width
// (loads of signed types sign-extend, which the width mask makes
// equivalent); each operation reads its operands at the instruction's
// width and writes the result masked to it. Division by zero never panics:
// it gives what sm_70's division sequence computes (all ones for unsigned
// quotients, the dividend for remainders).

func widthMask(t ptype) uint64 {
	if t.bits() >= 64 {
		return ^uint64(0)
	}
	return 1<<t.bits() - 1
}

// sext sign-extends the low n bits of v.
func sext(v uint64, n uint) int64 {
	s := 64 - n
	return int64(v<<s) >> s
}

// intLess compares at t's width and signedness.
func intLess(t ptype) func(a, b uint64) bool {
	n, mask := t.bits(), widthMask(t)
	if t.signed() {
		return func(a, b uint64) bool { return sext(a, n) < sext(b, n) }
	}
	return func(a, b uint64) bool { return a&mask < b&mask }
}

// mulFull returns the low and high halves of the full product at t's
// width and signedness.
func mulFull(a, b uint64, t ptype) (lo, hi uint64) {
	n, mask := t.bits(), widthMask(t)
	if n == 64 {
		h, l := bits.Mul64(a, b)
		if t.signed() {
			// Signed high half: subtract the wrap-around of negative operands.
			if int64(a) < 0 {
				h -= b
			}
			if int64(b) < 0 {
				h -= a
			}
		}
		return l, h
	}
	var p uint64
	if t.signed() {
		p = uint64(sext(a, n) * sext(b, n))
	} else {
		p = (a & mask) * (b & mask)
	}
	return p & mask, p >> n & mask
}

// intBinary returns the two-operand integer operation op at type t.
func intBinary(op string, t ptype, sat bool) func(a, b uint64) uint64 {
	n, mask := t.bits(), widthMask(t)
	signed := t.signed()
	switch op {
	case "add":
		if sat {
			return func(a, b uint64) uint64 { return satS32(sext(a, 32) + sext(b, 32)) }
		}
		return func(a, b uint64) uint64 { return (a + b) & mask }
	case "sub":
		if sat {
			return func(a, b uint64) uint64 { return satS32(sext(a, 32) - sext(b, 32)) }
		}
		return func(a, b uint64) uint64 { return (a - b) & mask }
	case "mul.lo":
		return func(a, b uint64) uint64 { return a * b & mask }
	case "mul.hi":
		return func(a, b uint64) uint64 { _, h := mulFull(a, b, t); return h }
	case "mul.wide":
		wide := uint64(1)<<(2*n) - 1
		if signed {
			return func(a, b uint64) uint64 { return uint64(sext(a, n)*sext(b, n)) & wide }
		}
		return func(a, b uint64) uint64 { return (a & mask) * (b & mask) & wide }
	case "div":
		if signed {
			return func(a, b uint64) uint64 {
				x, y := sext(a, n), sext(b, n)
				switch {
				case y == 0 && x < 0:
					return 1
				case y == 0:
					return mask
				case y == -1:
					return uint64(-x) & mask // MIN / -1 wraps, as on the GPU
				}
				return uint64(x/y) & mask
			}
		}
		return func(a, b uint64) uint64 {
			if b&mask == 0 {
				return mask
			}
			return a & mask / (b & mask)
		}
	case "rem":
		if signed {
			return func(a, b uint64) uint64 {
				x, y := sext(a, n), sext(b, n)
				if y == 0 || y == -1 {
					if y == 0 {
						return uint64(x) & mask
					}
					return 0
				}
				return uint64(x%y) & mask
			}
		}
		return func(a, b uint64) uint64 {
			if b&mask == 0 {
				return a & mask
			}
			return a & mask % (b & mask)
		}
	case "min", "max":
		less := intLess(t)
		isMin := op == "min"
		return func(a, b uint64) uint64 {
			if less(a, b) == isMin {
				return a & mask
			}
			return b & mask
		}
	case "and":
		return func(a, b uint64) uint64 { return a & b & mask }
	case "or":
		return func(a, b uint64) uint64 { return (a | b) & mask }
	case "xor":
		return func(a, b uint64) uint64 { return (a ^ b) & mask }
	case "shl":
		// Shift amounts are unsigned 32-bit and clamp at the width.
		return func(a, b uint64) uint64 { return a << min(uint32(b), 64) & mask }
	case "shr":
		if signed {
			return func(a, b uint64) uint64 { return uint64(sext(a, n)>>min(uint32(b), 63)) & mask }
		}
		return func(a, b uint64) uint64 { return a & mask >> min(uint32(b), 64) }
	}
	return nil
}

func satS32(v int64) uint64 {
	return uint64(uint32(int32(max(min(v, 1<<31-1), -1<<31))))
}

// intUnary returns the one-operand integer operation op at type t; the
// result type of popc/clz/bfind is .u32.
func intUnary(op string, t ptype, shiftamt bool) func(a uint64) uint64 {
	n, mask := t.bits(), widthMask(t)
	switch op {
	case "not":
		return func(a uint64) uint64 { return ^a & mask }
	case "cnot":
		return func(a uint64) uint64 { return b2u(a&mask == 0) }
	case "neg":
		return func(a uint64) uint64 { return -a & mask }
	case "abs":
		return func(a uint64) uint64 {
			if v := sext(a, n); v < 0 {
				return uint64(-v) & mask
			}
			return a & mask
		}
	case "popc":
		return func(a uint64) uint64 { return uint64(bits.OnesCount64(a & mask)) }
	case "clz":
		return func(a uint64) uint64 { return uint64(bits.LeadingZeros64(a&mask) - (64 - int(n))) }
	case "brev":
		return func(a uint64) uint64 { return bits.Reverse64(a) >> (64 - n) }
	case "bfind":
		return func(a uint64) uint64 {
			v := a & mask
			if t.signed() && sext(a, n) < 0 {
				v = ^a & mask
			}
			if v == 0 {
				return 0xffffffff
			}
			pos := uint64(63 - bits.LeadingZeros64(v))
			if shiftamt {
				return uint64(n-1) - pos
			}
			return pos
		}
	}
	return nil
}

// intTernary returns mad/bfe/bfi/sad/prmt/shf at type t.
func intTernary(op string, t ptype, mode string, sat bool) func(a, b, c uint64) uint64 {
	n, mask := t.bits(), widthMask(t)
	switch op {
	case "mad.lo":
		return func(a, b, c uint64) uint64 { return (a*b + c) & mask }
	case "mad.hi":
		if sat {
			return func(a, b, c uint64) uint64 {
				_, h := mulFull(a, b, t)
				return satS32(sext(h, 32) + sext(c, 32))
			}
		}
		return func(a, b, c uint64) uint64 { _, h := mulFull(a, b, t); return (h + c) & mask }
	case "mad.wide":
		mul := intBinary("mul.wide", t, false)
		wide := uint64(1)<<(2*n) - 1
		if n == 32 {
			return func(a, b, c uint64) uint64 { return mul(a, b) + c }
		}
		return func(a, b, c uint64) uint64 { return (mul(a, b) + c) & wide }
	case "sad":
		less := intLess(t)
		return func(a, b, c uint64) uint64 {
			if less(a, b) {
				a, b = b, a
			}
			return ((a-b)&mask + c) & mask
		}
	case "bfe":
		// Bits [pos, pos+len) of a, beyond the width filled with the sign
		// bit a[min(pos+len-1, msb)] for signed types (zero when len is 0).
		return func(a, b, c uint64) uint64 {
			pos, ln := uint(b&0xff), uint(c&0xff)
			var sbit uint64
			if t.signed() && ln > 0 {
				sbit = a >> min(pos+ln-1, n-1) & 1
			}
			var r uint64
			for i := uint(0); i < n; i++ {
				bit := sbit
				if i < ln && pos+i < n {
					bit = a >> (pos + i) & 1
				}
				r |= bit << i
			}
			return r
		}
	case "shf":
		// funnel shift of the 64-bit value b:a by c (.wrap: c mod 32; .clamp: min(c, 32)).
		left := mode[0] == 'l'
		wrap := mode[1:] == "wrap"
		return func(a, b, c uint64) uint64 {
			s := uint32(c)
			if wrap {
				s &= 31
			} else {
				s = min(s, 32)
			}
			v := b&0xffffffff<<32 | a&0xffffffff
			if left {
				return v << s >> 32 & 0xffffffff
			}
			return v >> s & 0xffffffff
		}
	case "prmt":
		return func(a, b, c uint64) uint64 { return prmt(uint32(a), uint32(b), uint32(c), mode) }
	}
	return nil
}

// bfi inserts the low c bits of a into b at position pos (bfi d, a, b, pos, len).
func bfi(t ptype) func(a, b, pos, ln uint64) uint64 {
	n, mask := t.bits(), widthMask(t)
	return func(a, b, pos, ln uint64) uint64 {
		p, l := uint(pos&0xff), uint(ln&0xff)
		r := b & mask
		for i := uint(0); i < l && p+i < n; i++ {
			r = r&^(1<<(p+i)) | (a>>i&1)<<(p+i)
		}
		return r
	}
}

// prmt permutes the bytes of b:a under selector c, with the optional
// PTX modes f4e, b4e, rc8, ecl, ecr, rc16.
func prmt(a, b, c uint32, mode string) uint64 {
	x := uint64(b)<<32 | uint64(a)
	byteOf := func(i uint32) uint32 { return uint32(x>>(8*(i&7))) & 0xff }
	var r uint32
	switch mode {
	case "":
		for i := 0; i < 4; i++ {
			sel := c >> (4 * i) & 0xf
			v := byteOf(sel & 7)
			if sel&8 != 0 { // replicate the sign bit
				v = uint32(int32(int8(v)) >> 7 & 0xff)
			}
			r |= v << (8 * i)
		}
	default:
		s := c & 3
		var idx [4]uint32
		switch mode {
		case "f4e":
			idx = [4]uint32{s, s + 1, s + 2, s + 3}
		case "b4e":
			idx = [4]uint32{8 - s, 7 - s, 6 - s, 5 - s}
		case "rc8":
			idx = [4]uint32{s, s, s, s}
		case "ecl":
			idx = [4]uint32{s, max(s, 1), max(s, 2), 3}
		case "ecr":
			idx = [4]uint32{0, min(s, 1), min(s, 2), s}
		case "rc16":
			h := (c & 1) * 2
			idx = [4]uint32{h, h + 1, h, h + 1}
		}
		for i, k := range idx {
			r |= byteOf(k&7) << (8 * i)
		}
	}
	return uint64(r)
}
