package cudasim

import (
	"fmt"
	"math/bits"
)

// decLdmatrix decodes ldmatrix.sync.aligned.m8n8.{x1,x2,x4}{.trans}
// {.shared{::cta}}.b16 d, [a]: inst.vec is the number of matrices and
// inst.mode 1 for .trans.
func decLdmatrix(d *decoder, in *instr, out *inst, m *mods) {
	if !m.take("sync") || !m.take("m8n8") {
		d.failf("ldmatrix needs .sync and the .m8n8 shape (.m16n16 and .m8n16 are not supported)")
	}
	n := map[string]uint8{"x1": 1, "x2": 2, "x4": 4}[m.takeOne("x1", "x2", "x4")]
	if n == 0 {
		d.failf("ldmatrix needs .x1, .x2 or .x4")
	}
	if m.take("trans") {
		out.mode = 1
	}
	if t := m.halfTyp(d); t != tB16 {
		d.failf("ldmatrix.%s is not supported (only .b16)", t)
	}
	if m.sp != spNone && m.sp != spShared {
		d.failf("ldmatrix reads shared memory, not .%s", m.sp)
	}
	d.nargs(in, 2)
	dst := in.args[0]
	if dst.kind != oVec || len(dst.sub) != int(n) {
		d.failf("ldmatrix.x%d needs {} with %d registers", n, n)
	}
	for i, r := range dst.sub {
		out.d[i] = d.dst(r)
	}
	var symSp space
	out.s[0], out.off, symSp = d.addr(in.args[1])
	out.sp = m.sp
	if out.sp == spNone && symSp != spNone {
		out.sp = symSp
	}
	out.typ, out.vec, out.nd = tB16, n, n
	out.kind, out.exec = kWarpSync, execLdmatrix
	out.member = d.constant(uint64(fullMask))
}

// execLdmatrix loads in.vec 8x8 matrices of 16-bit elements: lanes 8i to
// 8i+7 give the addresses of matrix i's rows (16 bytes each, 16-byte
// aligned, in shared memory), and lane l receives in register i the
// elements 2(l%4) and 2(l%4)+1 of row l/4 (with .trans, of column l/4:
// rows 2(l%4) and 2(l%4)+1), the lower one in the low half (PTX ISA,
// ldmatrix). Each row is read as a shared access of the lane that gave
// its address, with the race and initialisation checks of ld.shared.
func execLdmatrix(w *warp, in *inst, m uint32) *Fault {
	if m != fullMask {
		return w.fault(in, bits.TrailingZeros32(m), BarrierDivergence, fmt.Sprintf(
			"ldmatrix.sync.aligned needs all 32 lanes of the warp converged, but only lanes %s execute it", laneSet(m)))
	}
	n := int(in.vec)
	providers := uint32(1)<<(8*n) - 1
	if n == 4 {
		providers = fullMask
	}
	if f := w.checkDefined(in, in.s[0], providers, "address"); f != nil {
		return f
	}
	var rows [32][8]uint64 // matrix i row r at rows[8i+r]
	a := w.row(in.s[0])
	for p := range 8 * n {
		addr := a[p] + uint64(in.off)
		sp := in.sp
		if sp == spNone {
			if sp, _ = classify(addr); sp != spShared {
				return w.faultAt(in, p, OutOfBounds, addr, "ldmatrix row address is not in shared memory")
			}
		}
		buf, _, f := w.access(in, p, sp, addr, 16, false, false)
		if f != nil {
			return f
		}
		for e := range 8 {
			rows[p][e] = uint64(buf[2*e]) | uint64(buf[2*e+1])<<8
		}
	}
	trans := in.mode == 1
	for i := range n {
		d := w.row(in.d[i])
		for l := range 32 {
			r, c := l>>2, 2*(l&3)
			if trans {
				d[l] = rows[8*i+c][r] | rows[8*i+c+1][r]<<16
			} else {
				d[l] = rows[8*i+r][c] | rows[8*i+r][c+1]<<16
			}
		}
		w.ri[in.d[i]] = fullMask
	}
	return nil
}
