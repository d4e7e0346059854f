package cudasim

import (
	"fmt"
	"math/bits"
)

// mmaInfo is a decoded mma.sync: D (m x n) = A (m x k) * B (k x n) + C.
// Each operand is a list of register slots; an element table gives, for
// every lane and element of the lane's fragment (elements numbered low to
// high through the registers, two per register for 16-bit types), its
// index in the row-major matrix, as the PTX ISA's fragment layouts define.
type mmaInfo struct {
	m, n, k    int
	ab, cd, dt ptype // element types of A and B, C, D
	d, a, b, c []int32
	aIdx, bIdx [32][]int // lane -> element -> index in A (m x k) or B (k x n, row-major)
	cIdx       [32][4]int
}

// mmaLayout returns the fragment element tables of a shape and input type
// (PTX ISA, "Matrix Fragments for mma.m16n8k4/k8/k16"). Lane l belongs to
// group l>>2 and is thread l%4 of it.
func mmaLayout(x *mmaInfo) {
	tf32 := x.ab == tTF32
	na, nb := x.m*x.k/32, x.k*x.n/32
	for l := range 32 {
		g, t := l>>2, l&3
		x.aIdx[l], x.bIdx[l] = make([]int, na), make([]int, nb)
		for i := range na {
			var row, col int
			switch {
			case tf32 && x.k == 4:
				row, col = g+8*i, t
			case tf32:
				row, col = g+8*(i&1), t+4*(i>>1)
			case x.k == 8:
				row, col = g+8*(i>>1), 2*t+i&1
			default:
				row, col = g+8*(i>>1&1), 2*t+i&1+8*(i>>2)
			}
			x.aIdx[l][i] = row*x.k + col
		}
		for i := range nb {
			var row int
			switch {
			case tf32:
				row = t + 4*i
			case x.k == 8:
				row = 2*t + i
			default:
				row = 2*t + i&1 + 8*(i>>1)
			}
			x.bIdx[l][i] = row*x.n + g
		}
		for i := range 4 {
			x.cIdx[l][i] = (g+8*(i>>1))*x.n + 2*t + i&1
		}
	}
}

// decMma decodes mma.sync.aligned.{m16n8k16,m16n8k8,m16n8k4}.row.col
// .dtype.atype.btype.ctype d, a, b, c for f16 and bf16 inputs (k8, k16)
// and tf32 inputs (k4, k8), with f32 or (for f16) f16 accumulators.
func decMma(d *decoder, in *instr, out *inst, m *mods) {
	if !m.take("sync") {
		d.failf("mma needs .sync")
	}
	x := &mmaInfo{m: 16, n: 8}
	switch m.takeOne("m16n8k16", "m16n8k8", "m16n8k4") {
	case "m16n8k16":
		x.k = 16
	case "m16n8k8":
		x.k = 8
	case "m16n8k4":
		x.k = 4
	default:
		d.failf("mma shapes other than m16n8k16, m16n8k8 and m16n8k4 are not supported")
	}
	if !m.take("row") || !m.take("col") {
		d.failf("mma.m16n8k%d needs .row.col", x.k)
	}
	if len(m.types) != 4 || m.types[1] != m.types[2] {
		d.failf("mma needs .dtype.atype.btype.ctype with equal A and B types")
	}
	x.dt, x.ab, x.cd = m.types[0], m.types[1], m.types[3]
	m.types = nil
	switch {
	case x.ab == tTF32 && (x.k == 4 || x.k == 8) && x.dt == tF32 && x.cd == tF32:
	case x.ab == tBF16 && x.k != 4 && x.dt == tF32 && x.cd == tF32:
	case x.ab == tF16 && x.k != 4 && (x.dt == tF32 || x.dt == tF16) && (x.cd == tF32 || x.cd == tF16):
	default:
		d.failf("mma.m16n8k%d.%s.%s.%s.%s is not supported", x.k, x.dt, x.ab, x.ab, x.cd)
	}
	per := func(t ptype) int { // elements per register
		if t == tF16 || t == tBF16 {
			return 2
		}
		return 1
	}
	regs := func(op operand, n int, what string, dst bool) []int32 {
		if op.kind != oVec || len(op.sub) != n {
			d.failf("mma operand %s needs {} with %d registers", what, n)
		}
		var s []int32
		for _, r := range op.sub {
			if dst {
				s = append(s, d.dst(r))
			} else {
				s = append(s, d.src(r, tB32))
			}
		}
		return s
	}
	d.nargs(in, 4)
	x.d = regs(in.args[0], 4/per(x.dt), "D", true)
	x.a = regs(in.args[1], x.m*x.k/32/per(x.ab), "A", false)
	x.b = regs(in.args[2], x.k*x.n/32/per(x.ab), "B", false)
	x.c = regs(in.args[3], 4/per(x.cd), "C", false)
	mmaLayout(x)
	out.mma = x
	out.kind, out.exec = kWarpSync, execMma
	out.member = d.constant(uint64(fullMask))
}

// elemValue decodes element e (numbered low to high) of a fragment held
// in regs for lane l. tf32 operands ignore the low 13 bits of their
// register, as the tensor cores do.
func (w *warp) elemValue(regs []int32, t ptype, l, e int) float64 {
	switch t {
	case tF16, tBF16:
		v := w.row(regs[e>>1])[l] >> (16 * uint(e&1))
		return formatOf(t).value(v & 0xffff)
	case tTF32:
		return float64(f32(w.row(regs[e])[l] &^ 0x1fff))
	}
	return float64(f32(w.row(regs[e])[l]))
}

// execMma runs mma.sync for the whole warp: every product is exact in
// float64, each output element's k products and its C are summed in
// float64 and rounded once to D's type. All 32 lanes must execute it.
func execMma(w *warp, in *inst, m uint32) *Fault {
	x := in.mma
	if m != fullMask {
		return w.fault(in, bits.TrailingZeros32(m), BarrierDivergence, fmt.Sprintf(
			"mma.sync.aligned needs all 32 lanes of the warp converged, but only lanes %s execute it", laneSet(m)))
	}
	var a [16 * 16]float64
	var b [16 * 8]float64
	var c [16 * 8]float64
	defined := true
	for _, regs := range [][]int32{x.a, x.b, x.c} {
		for _, s := range regs {
			defined = defined && w.ri[s] == fullMask
		}
	}
	for l := range 32 {
		for e, idx := range x.aIdx[l] {
			a[idx] = w.elemValue(x.a, x.ab, l, e)
		}
		for e, idx := range x.bIdx[l] {
			b[idx] = w.elemValue(x.b, x.ab, l, e)
		}
		for e, idx := range x.cIdx[l] {
			c[idx] = w.elemValue(x.c, x.cd, l, e)
		}
	}
	var dm [16 * 8]uint64
	for i := range x.m {
		for j := range x.n {
			s := c[i*x.n+j]
			for kk := range x.k {
				s += a[i*x.k+kk] * b[kk*x.n+j]
			}
			if x.dt == tF16 {
				dm[i*x.n+j] = fmtF16.round(s, 0, rndN, false)
			} else {
				dm[i*x.n+j] = uint64(canon32(float32(s)))
			}
		}
	}
	for l := range 32 {
		ci := &x.cIdx[l]
		if x.dt == tF16 {
			for r, s := range x.d {
				w.row(s)[l] = dm[ci[2*r]] | dm[ci[2*r+1]]<<16
			}
		} else {
			for e, s := range x.d {
				w.row(s)[l] = dm[ci[e]]
			}
		}
	}
	for _, s := range x.d {
		if defined {
			w.ri[s] = fullMask
		} else {
			w.ri[s] = 0
		}
	}
	return nil
}
