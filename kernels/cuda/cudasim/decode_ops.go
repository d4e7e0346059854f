package cudasim

import (
	"math"
	"math/bits"
	"slices"
	"strings"
)

// opDecoder fills out from a parsed instruction and its modifiers.
type opDecoder func(d *decoder, in *instr, out *inst, m *mods)

var opDecoders map[string]opDecoder

func init() {
	opDecoders = map[string]opDecoder{
		"add": decArith, "sub": decArith, "mul": decArith, "mad": decArith, "fma": decArith,
		"div": decArith, "rem": decArith, "min": decArith, "max": decArith,
		"addc": decArith, "subc": decArith, "madc": decArith, "mul24": decMul24, "mad24": decMul24,
		"abs": decUnary, "neg": decUnary, "not": decUnary, "cnot": decUnary, "popc": decUnary,
		"clz": decUnary, "brev": decUnary, "bfind": decUnary, "rcp": decUnary, "sqrt": decUnary,
		"rsqrt": decUnary, "ex2": decUnary, "lg2": decUnary, "sin": decUnary, "cos": decUnary,
		"tanh": decUnary,
		"and":  decLogic, "or": decLogic, "xor": decLogic,
		"shl": decShift, "shr": decShift,
		"bfe": decBits, "prmt": decBits, "sad": decBits, "shf": decBits, "bfi": decBfi,
		"copysign": decCopysign, "testp": decTestp,
		"setp": decSetp, "selp": decSelp, "slct": decSlct,
		"mov": decMov, "cvt": decCvt, "cvta": decCvta, "isspacep": decIsspacep,
		"ld": decLdSt, "ldu": decLdSt, "st": decLdSt, "atom": decAtom, "red": decAtom,
		"bra": decControl, "ret": decControl, "exit": decControl, "trap": decControl, "call": decCall,
		"brkpt": decNop, "membar": decNop, "fence": decNop, "prefetch": decNop, "prefetchu": decNop,
		"nanosleep": decNop, "pmevent": decNop,
		"bar": decBar, "barrier": decBar,
		"shfl": decWarp, "vote": decWarp, "match": decWarp, "activemask": decWarp,
		"mma": decMma, "ldmatrix": decLdmatrix, "cp": decCp, "createpolicy": decCreatepolicy,
	}
}

// unsupportedOps are instruction families that nvcc emits for features
// tapegrad's kernels do not use, named in Load's error.
var unsupportedOps = map[string]string{
	"wmma":     "tensor-core matrix multiply",
	"stmatrix": "tensor-core fragment store",
	"cp":       "asynchronous copy", "mbarrier": "asynchronous barrier", "redux": "warp reduction",
	"dp4a": "integer dot product", "dp2a": "integer dot product", "lop3": "three-input logic",
	"elect": "warp leader election", "alloca": "dynamic stack allocation",
	"mapa": "cluster shared memory", "getctarank": "cluster shared memory",
	"tex": "texture", "tld4": "texture", "suld": "surface", "sust": "surface",
}

// instruction decodes one parsed instruction.
func (d *decoder) instruction(in *instr) inst {
	zero := d.constant(0)
	out := inst{guard: -1, pd: -1, pq: -1, ps: -1, member: -1, line: int32(in.line), vec: 1,
		d: [4]int32{-1, -1, -1, -1}, s: [5]int32{zero, zero, zero, zero, zero}}
	if in.guard != "" {
		g, neg := d.pred(operand{kind: oName, name: in.guard})
		out.guard, out.gneg = g, neg != in.gneg
	}
	dec, ok := opDecoders[in.op]
	if !ok {
		if what, known := unsupportedOps[in.op]; known {
			d.failf("%s (%s) is not supported", in.op, what)
		}
		d.failf("instruction %s is not supported", in.op)
	}
	m := classifyMods(in.mods)
	if m.unsupported != "" {
		d.failf(".%s is not supported (cudasim has no fp8 or fp4/fp6 types)", m.unsupported)
	}
	dec(d, in, &out, &m)
	if len(m.words) > 0 {
		d.failf("unsupported modifier .%s on %s", strings.Join(m.words, "."), in.op)
	}
	if out.kind == kPlain && out.exec == nil || out.kind == kWarpSync && out.exec == nil {
		d.failf("%s is not supported", in.text())
	}
	return out
}

// nargs checks the operand count.
func (d *decoder) nargs(in *instr, n ...int) {
	for _, k := range n {
		if len(in.args) == k {
			return
		}
	}
	d.failf("%s takes %v operands, got %d", in.op, n, len(in.args))
}

// operands sets out.d[0] from args[0] and out.s from the rest, read as t.
func (d *decoder) operands(in *instr, out *inst, t ptype) {
	out.d[0] = d.dst(in.args[0])
	for i, a := range in.args[1:] {
		out.s[i] = d.src(a, t)
	}
	out.nd, out.ns = 1, uint8(len(in.args)-1)
}

func decArith(d *decoder, in *instr, out *inst, m *mods) {
	if t := m.halfTyp(d); t.half() {
		decHalf(d, in, out, m, t)
		return
	}
	t := m.typ(d)
	out.typ = t
	op := in.op
	if t.float() {
		o := fop{op: op, t: t, rnd: m.rnd, ftz: m.ftz, sat: m.sat, nan: m.nan}
		if op == "mad" || op == "fma" {
			d.nargs(in, 4)
		} else {
			d.nargs(in, 3)
		}
		d.operands(in, out, t)
		switch op {
		case "min", "max":
			out.f2, out.exec = floatMinMax(o), exec2
		case "add", "sub", "mul", "div":
			f := floatArith(o)
			out.f2, out.exec = func(a, b uint64) uint64 { return f(a, b, 0) }, exec2
			if d.gpu && op == "div" && t == tF32 && (slices.Contains(in.mods, "approx") || slices.Contains(in.mods, "full")) {
				out.f2 = approxGPU(op, out.f2)
				return
			}
		case "mad", "fma":
			out.f3, out.exec = floatArith(o), exec3
		default:
			d.failf("%s.%s is not supported", op, t)
		}
		if fast := fastArith(op, t, m); fast != nil {
			out.exec = fast
		}
		return
	}
	if op == "mul" || op == "mad" || op == "madc" {
		op += "." + m.takeOne("lo", "hi", "wide")
		if strings.HasSuffix(op, ".") {
			d.failf("%s needs .lo, .hi or .wide", in.op)
		}
	}
	cc := m.take("cc")
	if cc || op == "addc" || op == "subc" || strings.HasPrefix(op, "madc") {
		decCarry(d, in, out, op, cc)
		return
	}
	if strings.HasPrefix(op, "mad") {
		d.nargs(in, 4)
		d.operands(in, out, t)
		if op == "mad.wide" {
			out.s[2] = d.src(in.args[3], wideType(t))
		}
		out.f3, out.exec = intTernary(op, t, "", m.sat), exec3
	} else {
		d.nargs(in, 3)
		d.operands(in, out, t)
		out.f2, out.exec = intBinary(op, t, m.sat), exec2
		if out.f2 == nil {
			d.failf("%s.%s is not supported", op, t)
		}
	}
	if fast := fastArith(op, t, m); fast != nil {
		out.exec = fast
	}
}

// decMul24 decodes mul24/mad24.{lo,hi}: a product of the low 24 bits of
// the operands (sign- or zero-extended), .lo its bits 0..31, .hi 16..47.
func decMul24(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	hi := m.takeOne("lo", "hi") == "hi"
	d.nargs(in, 3+b2i(in.op == "mad24"))
	d.operands(in, out, t)
	f := func(a, b, c uint64) uint64 {
		var p uint64
		if t.signed() {
			p = uint64(sext(a, 24) * sext(b, 24))
		} else {
			p = (a & 0xffffff) * (b & 0xffffff)
		}
		if hi {
			p >>= 16
		}
		return (p + c) & 0xffffffff
	}
	out.f3, out.exec = f, exec3
}

// wideType is the type twice as wide as t, for .wide operands.
func wideType(t ptype) ptype {
	switch t {
	case tS16:
		return tS32
	case tU16:
		return tU32
	case tS32:
		return tS64
	}
	return tU64
}

// decCarry decodes add.cc, addc, sub.cc, subc, mad.cc, madc.
func decCarry(d *decoder, in *instr, out *inst, op string, cc bool) {
	if out.typ.bits() != 32 && out.typ.bits() != 64 {
		d.failf("%s needs a 32- or 64-bit type", in.op)
	}
	if cc {
		out.cc |= 2
	}
	switch op {
	case "addc", "subc", "madc.lo", "madc.hi":
		out.cc |= 1
	}
	switch {
	case strings.HasPrefix(op, "add"):
		out.mode = carryAdd
	case strings.HasPrefix(op, "sub"):
		out.mode = carrySub
	case strings.HasSuffix(op, ".lo"):
		out.mode = carryMadLo
	case strings.HasSuffix(op, ".hi"):
		out.mode = carryMadHi
	default:
		d.failf("%s with a carry is not supported", op)
	}
	if strings.HasPrefix(op, "mad") {
		d.nargs(in, 4)
	} else {
		d.nargs(in, 3)
	}
	d.operands(in, out, out.typ)
	out.exec = execCarry
}

func decUnary(d *decoder, in *instr, out *inst, m *mods) {
	if t := m.halfTyp(d); t.half() {
		decHalf(d, in, out, m, t)
		return
	}
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 2)
	if t == tPred {
		if in.op != "not" {
			d.failf("%s.pred is not supported", in.op)
		}
		decPredOperands(d, in, out, predNot)
		return
	}
	out.d[0] = d.dst(in.args[0])
	out.s[0] = d.src(in.args[1], t)
	out.nd, out.ns, out.exec = 1, 1, exec1
	if t.float() {
		out.f1 = floatUnary(fop{op: in.op, t: t, rnd: m.rnd, ftz: m.ftz, sat: m.sat})
		if f := out.f1; f != nil && d.gpu && t == tF32 && slices.Contains(in.mods, "approx") {
			g := approxGPU(in.op, func(a, _ uint64) uint64 { return f(a) })
			out.f1 = func(a uint64) uint64 { return g(a, 0) }
		}
	} else {
		out.f1 = intUnary(in.op, t, m.take("shiftamt"))
	}
	if out.f1 == nil {
		d.failf("%s.%s is not supported", in.op, t)
	}
}

// decPredOperands decodes predicate logic: p = a op b (or op a).
func decPredOperands(d *decoder, in *instr, out *inst, mode uint8) {
	out.pd, _ = d.pred(in.args[0])
	out.d[0] = -1
	for i, a := range in.args[1:] {
		p, neg := d.pred(a)
		out.s[i] = p
		if neg {
			out.negs |= 1 << i
		}
	}
	out.mode, out.exec = mode, execPredLogic
}

func decLogic(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 3)
	if t == tPred {
		decPredOperands(d, in, out, map[string]uint8{"and": boolAnd, "or": boolOr, "xor": boolXor}[in.op])
		return
	}
	d.operands(in, out, t)
	out.f2, out.exec = intBinary(in.op, t, false), exec2
}

func decShift(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 3)
	d.operands(in, out, t)
	out.s[1] = d.src(in.args[2], tU32)
	out.f2, out.exec = intBinary(in.op, t, false), exec2
}

func decBits(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 4)
	d.operands(in, out, t)
	mode := ""
	switch in.op {
	case "bfe":
		out.s[1], out.s[2] = d.src(in.args[2], tU32), d.src(in.args[3], tU32)
	case "shf":
		mode = m.takeOne("l", "r") + m.takeOne("wrap", "clamp")
		if len(mode) < 2 || t.bits() != 32 {
			d.failf("shf needs .l or .r, .wrap or .clamp and a 32-bit type")
		}
	case "prmt":
		mode = m.takeOne("f4e", "b4e", "rc8", "ecl", "ecr", "rc16")
	}
	out.f3, out.exec = intTernary(in.op, t, mode, false), exec3
}

func decBfi(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 5)
	d.operands(in, out, t)
	out.s[2], out.s[3] = d.src(in.args[3], tU32), d.src(in.args[4], tU32)
	f := bfi(t)
	out.exec = func(w *warp, in *inst, m uint32) *Fault {
		dr, a, b, p, n := w.row(in.d[0]), w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2]), w.row(in.s[3])
		for x := m; x != 0; x &= x - 1 {
			l := bits.TrailingZeros32(x)
			dr[l] = f(a[l], b[l], p[l], n[l])
		}
		w.def(in.d[0], m, in.s[:4]...)
		return nil
	}
}

func decCopysign(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 3)
	d.operands(in, out, t)
	sign := uint64(1) << (t.bits() - 1)
	out.f2, out.exec = func(a, b uint64) uint64 { return b&^sign | a&sign }, exec2
}

func decTestp(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 2)
	out.pd, _ = d.pred(in.args[0])
	out.s[0] = d.src(in.args[1], t)
	test := m.takeOne("finite", "infinite", "number", "notanumber", "normal", "subnormal")
	get := func(v uint64) float64 { return toFloat(v, t, false) }
	minNormal := 0x1p-126
	if t == tF64 {
		minNormal = 0x1p-1022
	}
	out.cmp = func(a, _ uint64) bool {
		x := get(a)
		ax := math.Abs(x)
		switch test {
		case "finite":
			return ax <= math.MaxFloat64
		case "infinite":
			return math.IsInf(x, 0)
		case "number":
			return x == x
		case "notanumber":
			return x != x
		case "normal":
			return ax >= minNormal && ax <= math.MaxFloat64
		}
		return ax > 0 && ax < minNormal
	}
	out.exec = execSetp
}

func decSetp(d *decoder, in *instr, out *inst, m *mods) {
	t := m.halfTyp(d)
	if !t.half() {
		t = m.typ(d)
	}
	out.typ = t
	d.nargs(in, 3, 4)
	cmp := m.takeOne("eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs",
		"equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan")
	if t.half() {
		out.cmp = halfCompare(cmp, t, m.ftz)
	} else if t.float() {
		out.cmp = floatCompare(cmp, t, m.ftz)
	} else {
		out.cmp = intCompare(cmp, t)
	}
	if out.cmp == nil {
		d.failf("setp.%s.%s is not supported", cmp, t)
	}
	if len(in.args) == 4 {
		out.mode = map[string]uint8{"and": boolAnd, "or": boolOr, "xor": boolXor}[m.takeOne("and", "or", "xor")]
		if out.mode == 0 {
			d.failf("setp with a predicate operand needs .and, .or or .xor")
		}
		out.ps, out.psneg = d.pred(in.args[3])
	}
	dst := in.args[0]
	if dst.kind == oPair {
		out.pq, _ = d.pred(dst.sub[1])
		dst = dst.sub[0]
	}
	out.pd, _ = d.pred(dst)
	out.s[0], out.s[1] = d.src(in.args[1], t), d.src(in.args[2], t)
	out.exec = execSetp
	if t == tF16x2 || t == tBF16x2 {
		out.exec = execSetpX2
	}
}

func decSelp(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 4)
	out.d[0] = d.dst(in.args[0])
	out.s[0], out.s[1] = d.src(in.args[1], t), d.src(in.args[2], t)
	out.ps, out.psneg = d.pred(in.args[3])
	if out.psneg {
		d.failf("selp does not take a negated predicate")
	}
	out.exec = execSelp
}

func decSlct(d *decoder, in *instr, out *inst, m *mods) {
	if len(m.types) != 2 {
		d.failf("slct needs a destination and a selector type")
	}
	t, ct := m.types[0], m.types[1]
	out.typ = t
	d.nargs(in, 4)
	d.operands(in, out, t)
	out.s[2] = d.src(in.args[3], ct)
	ftz := m.ftz
	out.f3, out.exec = func(a, b, c uint64) uint64 {
		sel := sext(c, 32) >= 0
		if ct == tF32 {
			x := f32(c)
			if ftz {
				x = ftz32(x)
			}
			sel = x >= 0
		}
		if sel {
			return a
		}
		return b
	}, exec3
}

func decNop(d *decoder, in *instr, out *inst, m *mods) {
	m.words = nil // fence.proxy.*, membar.gl, prefetch.L2 levels: all orderings hold already
	m.types = nil
	out.exec = execNop
}
