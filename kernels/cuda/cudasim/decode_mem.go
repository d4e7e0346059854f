package cudasim

import (
	"strings"
)

func decMov(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	d.nargs(in, 2)
	dst, src := in.args[0], in.args[1]
	switch {
	case t == tPred:
		decPredOperands(d, in, out, 0)
	case src.kind == oName && (src.name == "%clock" || src.name == "%clock64"):
		out.d[0], out.nd, out.exec = d.dst(dst), 1, execClock
	case src.kind == oVec:
		out.d[0], out.nd = d.dst(dst), 1
		if len(src.sub) < 2 || len(src.sub) > 4 {
			d.failf("mov packs 2 to 4 registers")
		}
		for i, s := range src.sub {
			out.s[i] = d.src(s, tNone)
		}
		out.ns, out.exec = uint8(len(src.sub)), execPack
	case dst.kind == oVec:
		if len(dst.sub) < 2 || len(dst.sub) > 4 {
			d.failf("mov unpacks into 2 to 4 registers")
		}
		for i, s := range dst.sub {
			out.d[i] = d.dstOrSink(s)
		}
		out.s[0] = d.src(src, t)
		out.nd, out.ns, out.exec = uint8(len(dst.sub)), 1, execUnpack
	default:
		out.d[0], out.s[0] = d.dst(dst), d.src(src, t)
		out.nd, out.ns, out.exec = 1, 1, execMov
	}
}

func decCvt(d *decoder, in *instr, out *inst, m *mods) {
	if len(m.types) != 2 {
		d.failf("cvt needs a destination and a source type")
	}
	c := cvtSpec{dst: m.types[0], src: m.types[1], rnd: m.rnd, rint: m.rint, ftz: m.ftz, sat: m.sat,
		relu: m.take("relu"), satfinite: m.take("satfinite")}
	if m.take("rna") {
		c.rnd = rndA
		if c.dst != tTF32 {
			d.failf("cvt.rna is only defined for .tf32")
		}
	}
	if c.src == tF16x2 || c.src == tBF16x2 || c.src == tTF32 {
		d.failf("cvt from .%s is not supported (unpack with mov.b32)", c.src)
	}
	if c.src.float() && c.dst.integer() && !m.rint {
		d.failf("cvt from %s to %s needs .rni, .rzi, .rmi or .rpi", c.src, c.dst)
	}
	if c.dst.float() && c.src.float() && c.dst == c.src && !m.rint && m.hasRnd {
		d.failf("cvt.%s.%s takes an integer rounding mode", c.dst, c.src)
	}
	if (c.relu || c.satfinite) && !(c.dst.half() || c.dst == tTF32) {
		d.failf(".relu and .satfinite need an f16, bf16 or tf32 destination")
	}
	out.typ = c.dst
	if c.dst == tF16x2 || c.dst == tBF16x2 {
		// cvt.rn.f16x2.f32 d, a, b: a goes to the upper half, b to the lower.
		if c.src != tF32 {
			d.failf("cvt.%s takes .f32 sources", c.dst)
		}
		d.nargs(in, 3)
		d.operands(in, out, c.src)
		c.dst = tF16
		if out.typ == tBF16x2 {
			c.dst = tBF16
		}
		one := cvtFunc(c)
		out.f2, out.exec = func(a, b uint64) uint64 { return one(a)<<16 | one(b) }, exec2
		return
	}
	d.nargs(in, 2)
	out.d[0], out.s[0] = d.dst(in.args[0]), d.src(in.args[1], c.src)
	out.nd, out.ns = 1, 1
	out.f1, out.exec = cvtFunc(c), exec1
}

// windowOf is the generic window of a state space, 0 for global memory.
func windowOf(d *decoder, sp space) uint64 {
	switch sp {
	case spShared:
		return sharedWindow
	case spLocal:
		return localWindow
	case spParam:
		return paramWindow
	case spGlobal, spConst:
		return 0
	}
	d.failf("cvta needs a state space")
	return 0
}

func decCvta(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	d.nargs(in, 2)
	out.typ = t
	d.operands(in, out, t)
	win, mask := windowOf(d, m.sp), widthMask(t)
	if m.to {
		out.f1 = func(a uint64) uint64 { return (a - win) & mask }
	} else {
		out.f1 = func(a uint64) uint64 { return (a&mask + win) & mask }
	}
	out.exec = exec1
}

func decIsspacep(d *decoder, in *instr, out *inst, m *mods) {
	d.nargs(in, 2)
	out.pd, _ = d.pred(in.args[0])
	out.s[0] = d.src(in.args[1], tU64)
	want := m.sp
	if want == spConst {
		want = spGlobal
	}
	out.cmp = func(a, _ uint64) bool { sp, _ := classify(a); return sp == want }
	out.exec = execSetp
}

func decLdSt(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ, out.vec = t, uint8(m.vec)
	d.nargs(in, 2)
	mem, val := in.args[1], in.args[0]
	if in.op == "st" {
		mem, val = in.args[0], in.args[1]
	}
	var symSp space
	out.s[0], out.off, symSp = d.addr(mem)
	out.sp = m.sp
	if out.sp == spConst {
		out.sp = spGlobal
	}
	if out.sp == spNone && symSp != spNone {
		d.failf("generic access to the %s variable %s needs cvta", symSp, mem.name)
	}
	regs := []operand{val}
	if val.kind == oVec {
		regs = val.sub
	}
	if len(regs) != m.vec {
		d.failf("%s.v%d needs %d registers", in.op, m.vec, m.vec)
	}
	for i, r := range regs {
		if in.op == "st" {
			out.s[1+i] = d.src(r, t)
		} else {
			out.d[i] = d.dstOrSink(r)
		}
	}
	out.exec = execLd
	if in.op == "st" {
		out.exec = execSt
	} else if symSp == spParam && m.vec == 1 && d.lookup(mem.name).addr < scratchBase {
		out.exec = execLdKernelParam
	}
}

func decAtom(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	op := m.takeOne("add", "min", "max", "inc", "dec", "and", "or", "xor", "exch", "cas")
	m.take("noftz")
	if op == "" || t.bits() != 32 && t.bits() != 64 {
		d.failf("unsupported atomic %s", in.text())
	}
	args := in.args
	if in.op == "atom" {
		d.nargs(in, 3, 4)
		out.d[0] = d.dstOrSink(args[0])
		args = args[1:]
	}
	if n := 2 + b2i(op == "cas"); len(args) != n {
		d.failf("%s.%s takes %d operands", in.op, op, n+len(in.args)-len(args))
	}
	var symSp space
	out.s[0], out.off, symSp = d.addr(args[0])
	out.sp = m.sp
	if out.sp == spNone && symSp != spNone {
		out.sp = symSp
	}
	for i, a := range args[1:] {
		out.s[1+i] = d.src(a, t)
	}
	out.ns = uint8(len(args))
	out.f3, out.exec = atomOp(op, t, out.sp == spGlobal), execAtom
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func decControl(d *decoder, in *instr, out *inst, m *mods) {
	m.types = nil
	m.take("uni") // a uniform branch is still correct when executed per lane
	switch in.op {
	case "bra":
		d.nargs(in, 1)
		if in.args[0].kind != oName {
			d.failf("bra needs a label")
		}
		idx, ok := d.fn.labels[in.args[0].name]
		if !ok {
			d.failf("undefined label %s", in.args[0].name)
		}
		out.kind, out.target = kBra, d.base[d.fn]+int32(idx)
	case "ret":
		out.kind = kRet
		if d.fn.entry {
			out.kind = kExit
		}
	case "exit":
		out.kind = kExit
	case "trap":
		out.kind = kTrap
	}
}

// decCall decodes call{.uni} (rets), f, (args).
func decCall(d *decoder, in *instr, out *inst, m *mods) {
	m.take("uni")
	var rets, args []operand
	var name string
	for i, a := range in.args {
		switch {
		case a.kind == oList && name == "" && i == 0:
			rets = a.sub
		case a.kind == oName && name == "":
			name = a.name
		case a.kind == oList && name != "" && args == nil:
			args = a.sub
		default:
			d.failf("unsupported call form (indirect calls are not supported)")
		}
	}
	f := d.funcs[name]
	if f == nil {
		d.failf("call of unknown function %s", name)
	}
	info := &callInfo{builtin: builtinOf(name)}
	if f.defined {
		info.builtin = 0
	}
	if len(args) != len(f.params) || len(rets) != len(f.rets) {
		d.failf("call of %s with %d arguments and %d results, want %d and %d",
			name, len(args), len(rets), len(f.params), len(f.rets))
	}
	copies := func(list []operand, decls []*varDecl, toCallee bool) []paramCopy {
		var cs []paramCopy
		for i, a := range list {
			s := d.lookup(a.name)
			if a.kind != oName || s.sp != spParam {
				d.failf("call operand %s must be a .param variable", a.name)
			}
			c := paramCopy{from: s.addr, to: s.addr, size: s.decl.bytes()}
			if f.defined {
				callee := d.paramAddr[decls[i]]
				c.size = min(c.size, decls[i].bytes())
				if toCallee {
					c.to = callee
				} else {
					c.from = callee
				}
			}
			cs = append(cs, c)
		}
		return cs
	}
	info.args = copies(args, f.params, true)
	info.rets = copies(rets, f.rets, false)
	out.kind, out.call = kCall, info
	if f.defined {
		out.target = d.base[f]
	}
}

func decBar(d *decoder, in *instr, out *inst, m *mods) {
	if m.take("warp") {
		m.take("sync")
		d.nargs(in, 1)
		out.kind, out.mode, out.exec = kWarpSync, wsBarWarp, execNop
		out.member = d.src(in.args[0], tU32)
		return
	}
	m.take("cta")
	if m.take("arrive") {
		d.failf("bar.arrive is not supported")
	}
	out.kind = kBar
	args := in.args
	if m.take("red") {
		red := m.takeOne("popc", "and", "or")
		out.mode = map[string]uint8{"popc": redPopc, "and": redAnd, "or": redOr}[red]
		if out.mode == 0 || len(args) < 3 {
			d.failf("bar.red needs .popc, .and or .or, a destination, a barrier and a predicate")
		}
		if red == "popc" {
			out.d[0] = d.dst(args[0])
		} else {
			out.pd, _ = d.pred(args[0])
		}
		out.ps, out.psneg = d.pred(args[len(args)-1])
		args = args[1 : len(args)-1]
		m.types = nil
	} else if !m.take("sync") {
		d.failf("unsupported barrier %s", in.text())
	}
	// Every barrier id acts as the block-wide barrier (nvcc emits bar.sync 0
	// for __syncthreads); a thread count, which makes a partial barrier, is
	// not supported.
	if len(args) != 1 {
		d.failf("barriers with a thread count are not supported")
	}
}

func decWarp(d *decoder, in *instr, out *inst, m *mods) {
	t := m.typ(d)
	out.typ = t
	if in.op == "activemask" {
		d.nargs(in, 1)
		out.d[0], out.exec = d.dst(in.args[0]), execActivemask
		return
	}
	if !m.take("sync") {
		d.failf("%s without .sync is not supported for sm_70 and later", in.op)
	}
	out.kind = kWarpSync
	args := in.args
	if len(args) < 3 {
		d.failf("%s takes at least 3 operands", in.op)
	}
	out.member = d.src(args[len(args)-1], tU32)
	dst := args[0]
	if dst.kind == oPair {
		out.pd, _ = d.pred(dst.sub[1])
		dst = dst.sub[0]
	}
	switch in.op {
	case "shfl":
		d.nargs(in, 5)
		mode := m.takeOne("up", "down", "bfly", "idx")
		out.mode = map[string]uint8{"up": wsShflUp, "down": wsShflDown, "bfly": wsShflBfly, "idx": wsShflIdx}[mode]
		if out.mode == 0 {
			d.failf("shfl needs .up, .down, .bfly or .idx")
		}
		out.d[0] = d.dst(dst)
		for i := 0; i < 3; i++ {
			out.s[i] = d.src(args[1+i], tB32)
		}
		out.exec = execShfl
	case "vote":
		d.nargs(in, 3)
		mode := m.takeOne("all", "any", "uni", "ballot")
		out.mode = map[string]uint8{"all": wsVoteAll, "any": wsVoteAny, "uni": wsVoteUni, "ballot": wsVoteBallot}[mode]
		if out.mode == 0 {
			d.failf("vote needs .all, .any, .uni or .ballot")
		}
		if out.mode == wsVoteBallot {
			out.d[0] = d.dst(dst)
		} else {
			out.pd, _ = d.pred(dst)
		}
		out.ps, out.psneg = d.pred(args[1])
		out.exec = execVote
	case "match":
		d.nargs(in, 3)
		mode := m.takeOne("any", "all")
		out.mode = wsMatchAny
		if mode == "all" {
			out.mode = wsMatchAll
		} else if mode == "" {
			d.failf("match needs .any or .all")
		}
		out.d[0], out.s[0] = d.dst(dst), d.src(args[1], t)
		out.exec = execMatch
	default:
		d.failf("unsupported %s", strings.Join(append([]string{in.op}, in.mods...), "."))
	}
}
