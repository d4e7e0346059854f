package cudasim

import (
	"fmt"
	"strconv"
	"strings"
)

// Decoder limits: a kernel's register file is allocated per warp, so its
// size is bounded to keep hostile PTX from exhausting memory.
const (
	maxSlots      = 1 << 15
	maxParamBytes = 4096 // CUDA's kernel parameter limit
)

// symInfo is a resolved variable name.
type symInfo struct {
	sp   space
	addr uint64 // address within sp (a global address for global/const)
	decl *varDecl
}

// decoder turns one kernel and the device functions it reaches into a
// program.
type decoder struct {
	mod     *module
	globals map[string]*allocation // module .global/.const data, placed at Load
	funcs   map[string]*function
	prog    *program
	base    map[*function]int32 // first PC of each function
	consts  map[uint64]int32
	slots   int32
	// sharedOff is the offset of each static shared variable
	sharedOff map[*varDecl]uint64
	// paramAddr is the call-scratch address of each device-function
	// parameter and return value
	paramAddr map[*varDecl]uint64
	// per function being decoded
	fn    *function
	regs  map[string]int32
	preds map[string]int32
	syms  map[string]symInfo
	cur   *instr
	gpu   bool // ModeGPU: contract mul+add, perturb .approx results
}

// decodeFailure unwinds the decoder like errAt unwinds the parser.
type decodeFailure struct {
	line int
	msg  string
}

func (d *decoder) failf(format string, args ...any) {
	line := d.fn.line
	if d.cur != nil {
		line = d.cur.line
	}
	panic(decodeFailure{line, fmt.Sprintf(format, args...)})
}

// decodeKernel builds the program of entry.
func decodeKernel(mod *module, globals map[string]*allocation, entry *function, mode Mode) (p *program, err error) {
	d := &decoder{mod: mod, globals: globals, funcs: map[string]*function{}, base: map[*function]int32{},
		consts: map[uint64]int32{}, slots: nSpecial, gpu: mode == ModeGPU}
	for _, f := range mod.funcs {
		if f.defined || d.funcs[f.name] == nil {
			d.funcs[f.name] = f
		}
	}
	d.prog = &program{kernel: entry.name, module: mod, maxntid: entry.maxntid, reqntid: entry.reqntid,
		names: make([]string, nSpecial)}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(decodeFailure)
			if !ok {
				// A decoder bug must still give an error, not crash the host.
				e = decodeFailure{d.fn.line, fmt.Sprintf("internal decoder error: %v", r)}
				if d.cur != nil {
					e.line = d.cur.line
				}
			}
			p, err = nil, &ParseError{Module: mod.name, Line: e.line, Msg: e.msg}
		}
	}()
	d.fn = entry
	d.reach(entry, nil)
	d.layout()
	for _, f := range d.prog.funcs {
		d.function(f)
	}
	d.prog.nslots = int(d.slots)
	return d.prog, nil
}

// reach lists the functions entry can call, in first-call order, and
// rejects recursion: cudasim gives each function one static frame.
func (d *decoder) reach(f *function, path []*function) {
	for _, g := range path {
		if g == f {
			d.failf("recursive call of %s: cudasim gives each device function a single frame", f.name)
		}
	}
	if _, seen := d.base[f]; seen {
		return
	}
	d.base[f] = -1
	d.prog.funcs = append(d.prog.funcs, f)
	for _, in := range f.body {
		if in.op != "call" {
			continue
		}
		for _, a := range in.args {
			if a.kind != oName {
				continue
			}
			g := d.funcs[a.name]
			if g == nil {
				break
			}
			if g.defined {
				d.reach(g, append(path, f))
			} else if builtinOf(g.name) == 0 {
				d.cur = in
				d.failf("call of undefined function %s", g.name)
			}
			break
		}
	}
}

func builtinOf(name string) int {
	switch name {
	case "vprintf":
		return builtinPrintf
	case "__assertfail":
		return builtinAssert
	}
	return 0
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// layout assigns kernel parameters, shared memory, local frames, call
// scratch and PCs.
func (d *decoder) layout() {
	p := d.prog
	off := 0
	for _, v := range p.funcs[0].params {
		off = alignUp(off, max(v.align, 1))
		p.params = append(p.params, v)
		p.poff = append(p.poff, off)
		off += v.bytes()
	}
	if off > maxParamBytes {
		d.failf("kernel parameters take %d bytes, more than %d", off, maxParamBytes)
	}
	p.psize = off
	// Static shared memory: module-scope .shared variables the kernel's
	// code names, then those declared inside its functions.
	used := map[string]bool{}
	for _, f := range p.funcs {
		for _, in := range f.body {
			for _, a := range in.args {
				collectNames(a, used)
			}
		}
	}
	p.dynAlig = 16
	d.sharedOff = map[*varDecl]uint64{}
	place := func(v *varDecl) {
		p.shared = alignUp(p.shared, max(v.align, 1))
		d.sharedOff[v] = uint64(p.shared)
		p.shared += v.bytes()
	}
	for _, v := range d.mod.vars {
		if v.space == spShared && v.extern {
			p.dynAlig = max(p.dynAlig, v.align)
		} else if v.space == spShared && used[v.name] {
			place(v)
		}
	}
	for _, f := range p.funcs {
		for _, v := range f.vars {
			if v.space == spShared {
				place(v)
			}
		}
	}
	d.paramAddr = map[*varDecl]uint64{}
	for _, f := range p.funcs[1:] {
		for _, v := range append(append([]*varDecl{}, f.params...), f.rets...) {
			d.paramAddr[v] = d.scratch(v)
		}
	}
	pc := int32(0)
	for _, f := range p.funcs {
		d.base[f] = pc
		pc += int32(len(f.body)) + 1 // + the implicit ret at the end
	}
	p.code = make([]inst, 0, pc)
}

func collectNames(a operand, used map[string]bool) {
	if a.kind == oName || a.kind == oAddr {
		used[a.name] = true
	}
	for _, s := range a.sub {
		collectNames(s, used)
	}
}

// function decodes f's body into the program, appending an implicit ret
// so that falling off the end behaves as in PTX.
func (d *decoder) function(f *function) {
	d.fn, d.cur = f, nil
	d.regs, d.preds, d.syms = map[string]int32{}, map[string]int32{}, map[string]symInfo{}
	p := d.prog
	for _, r := range f.regs {
		names := []string{r.name}
		if r.count > 0 {
			names = names[:0]
			for i := 0; i < r.count; i++ {
				names = append(names, r.name+strconv.Itoa(i))
			}
		}
		for _, n := range names {
			if r.typ == tPred {
				d.preds[n] = int32(p.npreds)
				p.npreds++
				p.pnames = append(p.pnames, n)
			} else {
				d.regs[n] = d.newSlot()
				p.names[d.regs[n]] = n
			}
		}
	}
	d.symbols(f)
	for i, in := range f.body {
		d.cur = in
		if d.gpu {
			if fused := d.contract(f, i); fused != nil {
				p.code = append(p.code, *fused)
				continue
			}
		}
		p.code = append(p.code, d.instruction(in))
	}
	d.cur = nil
	end := inst{kind: kRet, guard: -1, line: int32(f.line), pd: -1, pq: -1, ps: -1}
	if f.entry {
		end.kind = kExit
	}
	p.code = append(p.code, end)
}

func (d *decoder) newSlot() int32 {
	if d.slots >= maxSlots {
		d.failf("kernel needs more than %d registers", maxSlots)
	}
	d.slots++
	d.prog.names = append(d.prog.names, "")
	return d.slots - 1
}

// symbols resolves the names f can address: its parameters, its body
// variables and module data.
func (d *decoder) symbols(f *function) {
	p := d.prog
	if f.entry {
		for i, v := range f.params {
			d.syms[v.name] = symInfo{spParam, uint64(p.poff[i]), v}
		}
	} else {
		for _, v := range append(append([]*varDecl{}, f.params...), f.rets...) {
			d.syms[v.name] = symInfo{spParam, d.paramAddr[v], v}
		}
	}
	for _, v := range f.vars {
		switch v.space {
		case spLocal:
			p.local = alignUp(p.local, max(v.align, 1))
			d.syms[v.name] = symInfo{spLocal, uint64(p.local), v}
			p.local += v.bytes()
		case spParam:
			d.syms[v.name] = symInfo{spParam, d.scratch(v), v}
		case spShared:
			d.syms[v.name] = symInfo{spShared, d.sharedOffset(v), v}
		default:
			d.failf("%s variables cannot be declared inside a function", v.space)
		}
	}
}

// scratch places a call parameter in the per-thread call scratch.
func (d *decoder) scratch(v *varDecl) uint64 {
	p := d.prog
	p.scratch = alignUp(p.scratch, max(v.align, 1))
	a := scratchBase + uint64(p.scratch)
	p.scratch += v.bytes()
	if p.scratch > 1<<20 {
		d.failf("call parameters exceed 1 MiB")
	}
	return a
}

// sharedOffset returns a shared variable's offset in the block's shared
// memory; every extern (dynamic) array starts at the same aligned base.
func (d *decoder) sharedOffset(v *varDecl) uint64 {
	if v.extern {
		return uint64(alignUp(d.prog.shared, d.prog.dynAlig))
	}
	off, ok := d.sharedOff[v]
	if !ok {
		d.failf("shared variable %s is not used by kernel %s", v.name, d.prog.kernel)
	}
	return off
}

// lookup resolves a non-register name to its space and address.
func (d *decoder) lookup(name string) symInfo {
	if s, ok := d.syms[name]; ok {
		return s
	}
	for _, v := range d.mod.vars {
		if v.name != name {
			continue
		}
		switch v.space {
		case spShared:
			return symInfo{spShared, d.sharedOffset(v), v}
		case spGlobal, spConst:
			if a := d.globals[name]; a != nil {
				return symInfo{v.space, a.base, v}
			}
		}
	}
	d.failf("undefined symbol %s", name)
	return symInfo{}
}

// constant returns the slot preset to v in every lane.
func (d *decoder) constant(v uint64) int32 {
	if s, ok := d.consts[v]; ok {
		return s
	}
	s := d.newSlot()
	d.consts[v] = s
	d.prog.consts = append(d.prog.consts, constSlot{s, v})
	return s
}

// constPred returns a predicate preset to v in every lane, for literal
// predicate operands (mov.pred %p, 0).
func (d *decoder) constPred(v bool) int32 {
	for _, c := range d.prog.cpreds {
		if c.val == v {
			return c.idx
		}
	}
	i := int32(d.prog.npreds)
	d.prog.npreds++
	d.prog.pnames = append(d.prog.pnames, fmt.Sprint(v))
	d.prog.cpreds = append(d.prog.cpreds, constPred{i, v})
	return i
}

// src resolves a source operand read as type t to a slot.
func (d *decoder) src(op operand, t ptype) int32 {
	switch op.kind {
	case oInt, oF32, oF64, oFDec:
		return d.constant(immBits(op, t))
	case oName:
		if op.neg {
			d.failf("unexpected ! on %s", op.name)
		}
		if s, ok := d.regs[op.name]; ok && op.ival == 0 {
			return s
		}
		if s, ok := specialRegs[op.name]; ok {
			return s
		}
		if strings.HasPrefix(op.name, "%") {
			d.failf("undeclared register %s", op.name)
		}
		return d.constant(d.lookup(op.name).addr + uint64(op.ival))
	}
	d.failf("unexpected operand form")
	return 0
}

// dstOrSink resolves a destination that may be the sink _ (giving -1),
// as in vector loads and unpacking moves.
func (d *decoder) dstOrSink(op operand) int32 {
	if op.kind == oName && op.name == "_" {
		return -1
	}
	return d.dst(op)
}

// dst resolves a destination register.
func (d *decoder) dst(op operand) int32 {
	if op.kind != oName || op.neg {
		d.failf("destination must be a register")
	}
	s, ok := d.regs[op.name]
	if !ok {
		d.failf("undeclared register %s", op.name)
	}
	return s
}

// pred resolves a predicate register operand, with its ! if any.
func (d *decoder) pred(op operand) (int32, bool) {
	if op.kind == oName && op.name == "_" {
		return -1, false
	}
	if op.kind == oInt {
		return d.constPred(op.ival != 0), false
	}
	if op.kind != oName {
		d.failf("expected a predicate register")
	}
	i, ok := d.preds[op.name]
	if !ok {
		d.failf("undeclared predicate %s", op.name)
	}
	return i, op.neg
}

// addr resolves [base+off] to a slot holding the base and the offset, and
// the state space of a symbolic base (spNone for registers).
func (d *decoder) addr(op operand) (int32, int64, space) {
	if op.kind != oAddr {
		d.failf("expected an address operand [..]")
	}
	if op.name == "" {
		return d.constant(0), op.ival, spNone
	}
	if s, ok := d.regs[op.name]; ok {
		return s, op.ival, spNone
	}
	sym := d.lookup(op.name)
	return d.constant(sym.addr), op.ival, sym.sp
}
