package cudasim

import (
	"math"
	"math/bits"
)

// Specialised lane loops for the instructions that dominate real kernels
// (the inner loops of GEMMs, reductions and elementwise maps). They compute
// exactly what the generic closures compute, without a call per lane.

// fastArith returns a specialised exec for a decoded arithmetic
// instruction, or nil. op is the opcode with its .lo/.hi/.wide suffix.
func fastArith(op string, t ptype, m *mods) execFn {
	if m.ftz || m.sat || m.rnd != rndN || m.nan {
		return nil
	}
	switch {
	case t == tF32 && (op == "fma" || op == "mad"):
		return execFmaF32
	case t == tF32 && op == "add":
		return execAddF32
	case t == tF32 && op == "mul":
		return execMulF32
	case t == tF64 && op == "fma":
		return execFmaF64
	case t.float():
		return nil
	case t.bits() == 32 && op == "add":
		return execAdd32
	case t.bits() == 64 && op == "add":
		return execAdd64
	case t.bits() == 32 && op == "mad.lo":
		return execMadLo32
	case t == tS32 && op == "mul.wide":
		return execMulWideS32
	}
	return nil
}

// fma32 is fma.rn.f32. The float64 FMA of float32 operands rounds the
// exact result once to 53 bits; converting that to float32 rounds again,
// which is only wrong when the first rounding lands exactly on a float32
// halfway point (or the result is float32-subnormal, where the halfway
// bits differ). Those rare cases take the exact path.
func fma32(a, b, c uint64) uint64 {
	x := float64(math.Float32frombits(uint32(a)))
	y := float64(math.Float32frombits(uint32(b)))
	z := float64(math.Float32frombits(uint32(c)))
	r := math.FMA(x, y, z)
	if bits := math.Float64bits(r); bits&(1<<29-1) == 1<<28 || math.Abs(r) < 0x1p-126 {
		hi, lo := twoSum(x*y, z)
		r = float64(round32(hi, lo, rndN))
	}
	f := float32(r)
	if f != f {
		return canonNaN32
	}
	return uint64(math.Float32bits(f))
}

func execFmaF32(w *warp, in *inst, m uint32) *Fault {
	d, a, b, c := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2])
	if m == fullMask {
		for l := range d {
			d[l] = fma32(a[l], b[l], c[l])
		}
	} else {
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x) & 31
			d[l] = fma32(a[l], b[l], c[l])
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1], in.s[2])
	return nil
}

func add32f(a, b uint64) uint64 {
	r := math.Float32frombits(uint32(a)) + math.Float32frombits(uint32(b))
	if r != r {
		return canonNaN32
	}
	return uint64(math.Float32bits(r))
}

func mul32f(a, b uint64) uint64 {
	r := math.Float32frombits(uint32(a)) * math.Float32frombits(uint32(b))
	if r != r {
		return canonNaN32
	}
	return uint64(math.Float32bits(r))
}

func execAddF32(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	if m == fullMask {
		for l := range d {
			d[l] = add32f(a[l], b[l])
		}
	} else {
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x) & 31
			d[l] = add32f(a[l], b[l])
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}

func execMulF32(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	if m == fullMask {
		for l := range d {
			d[l] = mul32f(a[l], b[l])
		}
	} else {
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x) & 31
			d[l] = mul32f(a[l], b[l])
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}

func execFmaF64(w *warp, in *inst, m uint32) *Fault {
	d, a, b, c := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2])
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x) & 31
		d[l] = math.Float64bits(math.FMA(math.Float64frombits(a[l]), math.Float64frombits(b[l]), math.Float64frombits(c[l])))
	}
	w.def(in.d[0], m, in.s[0], in.s[1], in.s[2])
	return nil
}

func execAdd32(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	if m == fullMask {
		for l := range d {
			d[l] = uint64(uint32(a[l]) + uint32(b[l]))
		}
	} else {
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x) & 31
			d[l] = uint64(uint32(a[l]) + uint32(b[l]))
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}

func execAdd64(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	if m == fullMask {
		for l := range d {
			d[l] = a[l] + b[l]
		}
	} else {
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x) & 31
			d[l] = a[l] + b[l]
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}

func execMadLo32(w *warp, in *inst, m uint32) *Fault {
	d, a, b, c := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2])
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x) & 31
		d[l] = uint64(uint32(a[l])*uint32(b[l]) + uint32(c[l]))
	}
	w.def(in.d[0], m, in.s[0], in.s[1], in.s[2])
	return nil
}

func execMulWideS32(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x) & 31
		d[l] = uint64(int64(int32(a[l])) * int64(int32(b[l])))
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}
