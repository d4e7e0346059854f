package cudasim

import (
	"math/bits"
)

// The lane loops below run an instruction's operation for the active lanes.
// A full mask takes a straight loop the compiler can unroll and bounds-check
// once; a partial one walks the set bits. Definedness propagates like
// valgrind's: a result is defined where all its inputs are, and only using
// an undefined value (as an address, a branch condition or stored data)
// faults, because nvcc itself moves undefined registers around harmlessly.

// def sets the definedness of slot d for lanes m from the sources.
func (w *warp) def(d int32, m uint32, srcs ...int32) {
	if d < 0 {
		return
	}
	v := m
	for _, s := range srcs {
		v &= w.ri[s]
	}
	w.ri[d] = w.ri[d]&^m | v
}

func execMov(w *warp, in *inst, m uint32) *Fault {
	d, a := w.row(in.d[0]), w.row(in.s[0])
	if m == fullMask {
		*d = *a
	} else {
		for mm := m; mm != 0; mm &= mm - 1 {
			l := bits.TrailingZeros32(mm) & 31
			d[l] = a[l]
		}
	}
	w.def(in.d[0], m, in.s[0])
	return nil
}

func exec1(w *warp, in *inst, m uint32) *Fault {
	d, a, f := w.row(in.d[0]), w.row(in.s[0]), in.f1
	if m == fullMask {
		for l := range d {
			d[l] = f(a[l])
		}
	} else {
		for mm := m; mm != 0; mm &= mm - 1 {
			l := bits.TrailingZeros32(mm) & 31
			d[l] = f(a[l])
		}
	}
	w.def(in.d[0], m, in.s[0])
	return nil
}

func exec2(w *warp, in *inst, m uint32) *Fault {
	d, a, b, f := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), in.f2
	if m == fullMask {
		for l := range d {
			d[l] = f(a[l], b[l])
		}
	} else {
		for mm := m; mm != 0; mm &= mm - 1 {
			l := bits.TrailingZeros32(mm) & 31
			d[l] = f(a[l], b[l])
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1])
	return nil
}

func exec3(w *warp, in *inst, m uint32) *Fault {
	d, a, b, c, f := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2]), in.f3
	if m == fullMask {
		for l := range d {
			d[l] = f(a[l], b[l], c[l])
		}
	} else {
		for mm := m; mm != 0; mm &= mm - 1 {
			l := bits.TrailingZeros32(mm) & 31
			d[l] = f(a[l], b[l], c[l])
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1], in.s[2])
	return nil
}

// execCarry runs add.cc/addc/sub.cc/subc/mad.cc/madc: f3 gets the carry
// (or borrow) in as c and returns the sum with the carry out in bit 64 of
// a 65-bit result folded into the top bit of the register width.
func execCarry(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	c := w.row(in.s[2])
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm) & 31
		cin := uint64(0)
		if in.cc&1 != 0 {
			cin = uint64(w.carry>>l) & 1
		}
		r, cout := carryOp(in, a[l], b[l], c[l], cin)
		d[l] = r
		if in.cc&2 != 0 {
			w.carry = w.carry&^(1<<l) | uint32(cout)<<l
		}
	}
	w.def(in.d[0], m, in.s[0], in.s[1], in.s[2])
	return nil
}

// Carry-chain operations (inst.mode of execCarry).
const (
	carryAdd uint8 = iota
	carrySub
	carryMadLo
	carryMadHi
)

// carryOp computes one lane of a carry-chain instruction. For
// subtraction CC.CF holds the borrow, as PTX defines subc: a - (b + CF).
func carryOp(in *inst, a, b, c, cin uint64) (uint64, uint64) {
	mask := widthMask(in.typ)
	wide := in.typ.bits() == 64
	a, b, c = a&mask, b&mask, c&mask
	switch in.mode {
	case carrySub:
		if wide {
			return bits.Sub64(a, b, cin)
		}
		r := a - b - cin
		return r & mask, r >> 63
	case carryMadLo:
		a, _ = mulFull(a, b, in.typ)
		b = c
	case carryMadHi:
		_, a = mulFull(a, b, in.typ)
		b = c
	}
	if wide {
		return bits.Add64(a, b, cin)
	}
	r := a + b + cin
	return r & mask, r >> 32 & 1
}

// execSetp compares a and b, combines with an optional predicate and
// writes p (and q = the negated comparison combined the same way).
func execSetp(w *warp, in *inst, m uint32) *Fault {
	a, b, cmp := w.row(in.s[0]), w.row(in.s[1]), in.cmp
	var r uint32
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		if cmp(a[l], b[l]) {
			r |= 1 << l
		}
	}
	defined := m & w.ri[in.s[0]] & w.ri[in.s[1]]
	p, q := r, ^r
	if in.ps >= 0 {
		c := w.p[in.ps]
		if in.psneg {
			c = ^c
		}
		defined &= w.pi[in.ps]
		p, q = boolOp(in.mode, p, c), boolOp(in.mode, q, c)
	}
	w.setPred(in.pd, m, p, defined)
	w.setPred(in.pq, m, q, defined)
	return nil
}

func boolOp(op uint8, a, b uint32) uint32 {
	switch op {
	case boolAnd:
		return a & b
	case boolOr:
		return a | b
	}
	return a ^ b
}

// Predicate-combining operations of setp and the pred logic instructions.
const (
	boolAnd uint8 = iota + 1
	boolOr
	boolXor
	predNot
)

// setPred writes predicate p for lanes m; defined says where it is defined.
func (w *warp) setPred(p int32, m, v, defined uint32) {
	if p < 0 {
		return
	}
	w.p[p] = w.p[p]&^m | v&m
	w.pi[p] = w.pi[p]&^m | defined&m
}

// execPredLogic is and/or/xor/not/mov on predicates: p = s0 op s1, with
// in.negs bit 0 and 1 negating the sources.
func execPredLogic(w *warp, in *inst, m uint32) *Fault {
	a, def := w.p[in.s[0]], w.pi[in.s[0]]
	if in.negs&1 != 0 {
		a = ^a
	}
	r := a
	switch in.mode {
	case predNot:
		r = ^a
	case boolAnd, boolOr, boolXor:
		b := w.p[in.s[1]]
		if in.negs&2 != 0 {
			b = ^b
		}
		def &= w.pi[in.s[1]]
		r = boolOp(in.mode, a, b)
	}
	w.setPred(in.pd, m, r, def)
	return nil
}

// execSelp is selp: d = p ? a : b.
func execSelp(w *warp, in *inst, m uint32) *Fault {
	d, a, b := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1])
	pv := w.p[in.ps]
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm) & 31
		if pv>>l&1 != 0 {
			d[l] = a[l]
		} else {
			d[l] = b[l]
		}
	}
	sel := w.ri[in.s[1]]&^pv | w.ri[in.s[0]]&pv
	w.ri[in.d[0]] = w.ri[in.d[0]]&^m | sel&w.pi[in.ps]&m
	return nil
}

// execPack is mov.bN d, {a, b, ...}: the sources concatenated, first lowest.
func execPack(w *warp, in *inst, m uint32) *Fault {
	width := uint(in.typ.bits()) / uint(in.ns)
	part := uint64(1)<<width - 1
	d := w.row(in.d[0])
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		var v uint64
		for k := 0; k < int(in.ns); k++ {
			v |= (w.r[int(in.s[k])*32+l] & part) << (width * uint(k))
		}
		d[l] = v
	}
	w.def(in.d[0], m, in.s[:in.ns]...)
	return nil
}

// execUnpack is mov.bN {a, b, ...}, s: the source split, lowest first.
func execUnpack(w *warp, in *inst, m uint32) *Fault {
	width := uint(in.typ.bits()) / uint(in.nd)
	part := uint64(1)<<width - 1
	s := w.row(in.s[0])
	for k := 0; k < int(in.nd); k++ {
		d := in.d[k]
		if d < 0 {
			continue
		}
		for mm := m; mm != 0; mm &= mm - 1 {
			l := bits.TrailingZeros32(mm)
			w.r[int(d)*32+l] = s[l] >> (width * uint(k)) & part
		}
		w.def(d, m, in.s[0])
	}
	return nil
}

// execClock reads %clock/%clock64: the block's executed instruction count,
// which grows monotonically like a cycle counter.
func execClock(w *warp, in *inst, m uint32) *Fault {
	d := w.row(in.d[0])
	v := uint64(w.b.steps) + uint64(w.b.stamp)
	for mm := m; mm != 0; mm &= mm - 1 {
		d[bits.TrailingZeros32(mm)] = v & widthMask(in.typ)
	}
	w.ri[in.d[0]] |= m
	return nil
}

// execNop is membar, fence, prefetch, nanosleep: the block's warps run on
// one goroutine, so its memory is sequentially consistent already, and
// blocks only share global memory through atomics.
func execNop(*warp, *inst, uint32) *Fault { return nil }
