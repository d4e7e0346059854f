package cudasim

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
)

// cp.async is modelled as asynchronous: the source is read when the copy
// is issued, but the bytes land in shared memory only at the
// cp.async.wait_group (or wait_all) of the issuing thread that covers the
// copy's group. Until then the destination words are marked pending, and
// any access to them, by any thread, is a Race fault; once landed, they
// count as written by the issuing thread at the wait, so another thread
// that reads them without a bar.sync in between races as usual.

// asyncCopy is one cp.async in flight.
type asyncCopy struct {
	off   uint64 // shared destination
	n     int
	group uint32 // the commit group it will belong to
	line  int32
	data  [16]byte
}

// Modes of cp.async (inst.mode).
const (
	cpCopy uint8 = iota
	cpCommit
	cpWaitGroup
	cpWaitAll
)

// decCp decodes cp.async.{ca,cg}.shared{::cta}.global [d], [s], size
// {, src-size | ignore-src}, cp.async.commit_group, cp.async.wait_group N
// and cp.async.wait_all.
func decCp(d *decoder, in *instr, out *inst, m *mods) {
	if !m.take("async") {
		d.failf("cp without .async is not supported")
	}
	switch m.takeOne("commit_group", "wait_group", "wait_all", "bulk", "mbarrier") {
	case "commit_group":
		d.nargs(in, 0)
		out.mode, out.exec = cpCommit, execCpAsync
		return
	case "wait_group":
		d.nargs(in, 1)
		if in.args[0].kind != oInt || in.args[0].ival < 0 {
			d.failf("cp.async.wait_group needs a non-negative integer constant")
		}
		out.mode, out.off, out.exec = cpWaitGroup, in.args[0].ival, execCpAsync
		return
	case "wait_all":
		d.nargs(in, 0)
		out.mode, out.exec = cpWaitAll, execCpAsync
		return
	case "":
	default:
		d.failf("cp.async.bulk and cp.async.mbarrier are not supported")
	}
	// The state spaces come in order: destination, then source.
	var sps []string
	for _, w := range in.mods {
		if w == "shared" || w == "shared::cta" || w == "global" {
			sps = append(sps, w)
		}
	}
	if len(sps) != 2 || sps[0] == "global" || sps[1] != "global" {
		d.failf("cp.async copies .shared.global only")
	}
	args := in.args
	if slices.Contains(in.mods, "L2::cache_hint") {
		// The last operand is a cache policy, a hint with no effect here.
		if len(args) < 4 {
			d.failf("cp.async.L2::cache_hint needs a cache-policy operand")
		}
		d.src(args[len(args)-1], tB64)
		args = args[:len(args)-1]
	}
	if len(args) != 3 && len(args) != 4 {
		d.failf("cp.async takes a destination, a source, a size and an optional src-size or ignore-src")
	}
	size := args[2]
	if size.kind != oInt || size.ival != 4 && size.ival != 8 && size.ival != 16 {
		d.failf("cp.async copies 4, 8 or 16 bytes")
	}
	out.vec = uint8(size.ival)
	var sp space
	out.s[0], out.off, sp = d.addr(args[0])
	if sp != spNone && sp != spShared {
		d.failf("cp.async destination %s is not shared memory", args[0].name)
	}
	out.s[1], out.soff, _ = d.addr(args[1])
	out.s[2] = d.constant(uint64(size.ival)) // src-size
	if len(args) == 4 {
		a := args[3]
		if _, isPred := d.preds[a.name]; a.kind == oName && isPred {
			out.ps, out.psneg = d.pred(a) // ignore-src: read nothing, zero-fill
		} else {
			out.s[2] = d.src(a, tU32)
		}
	}
	m.sp = spNone
	m.types = nil
	out.mode, out.exec = cpCopy, execCpAsync
}

// execCpAsync runs the cp.async instructions for lanes m.
func execCpAsync(w *warp, in *inst, m uint32) *Fault {
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		var f *Fault
		switch in.mode {
		case cpCopy:
			f = w.cpIssue(in, l)
		case cpCommit:
			w.asyncGroups[l]++
		case cpWaitGroup:
			if n := uint64(w.asyncGroups[l]); uint64(in.off) < n {
				w.cpLand(in, l, uint32(n-uint64(in.off)))
			}
		case cpWaitAll:
			w.asyncGroups[l]++
			w.cpLand(in, l, w.asyncGroups[l])
		}
		if f != nil {
			return f
		}
	}
	return nil
}

// cpIssue starts lane l's copy: it reads the source now and marks the
// destination words pending.
func (w *warp) cpIssue(in *inst, l int) *Fault {
	for _, s := range in.s[:3] {
		if f := w.checkDefined(in, s, 1<<l, "cp.async operand"); f != nil {
			return f
		}
	}
	n := int(in.vec)
	dst := w.row(in.s[0])[l] + uint64(in.off)
	src := w.row(in.s[1])[l] + uint64(in.soff)
	srcSize := int(w.row(in.s[2])[l] & 0xffffffff)
	if in.ps >= 0 && (w.p[in.ps]>>l&1 != 0) != in.psneg {
		srcSize = 0
	}
	if srcSize > n {
		return w.fault(in, l, OutOfBounds, fmt.Sprintf("cp.async src-size %d exceeds its copy size %d", srcSize, n))
	}
	if src%uint64(n) != 0 {
		return w.faultAt(in, l, Misaligned, src, fmt.Sprintf("%d-byte cp.async source must be %d-byte aligned", n, n))
	}
	c := asyncCopy{n: n, group: w.asyncGroups[l], line: in.line}
	if srcSize > 0 {
		buf, global, f := w.access(in, l, spGlobal, src, srcSize, false, false)
		if f != nil {
			return f
		}
		for i := range srcSize {
			c.data[i] = byte(loadMem(buf[i:], 1, global))
		}
	}
	if _, _, f := w.access(in, l, spShared, dst, n, true, false); f != nil {
		return f
	}
	c.off = dst
	tid := uint16(w.id*32 + l + 1)
	for wi := dst >> 2; wi < (dst+uint64(n))>>2; wi++ {
		w.b.shadow[wi].pend = tid
	}
	w.async[l] = append(w.async[l], c)
	return nil
}

// cpLand completes lane l's copies of the groups before limit: the bytes
// land, and count as written by the lane at this instruction.
func (w *warp) cpLand(in *inst, l int, limit uint32) {
	b := w.b
	tid := uint16(w.id*32 + l + 1)
	w.async[l] = slices.DeleteFunc(w.async[l], func(c asyncCopy) bool {
		if c.group >= limit {
			return false
		}
		copy(b.shared[c.off:c.off+uint64(c.n)], c.data[:c.n])
		for wi := c.off >> 2; wi < (c.off+uint64(c.n))>>2; wi++ {
			sw := &b.shadow[wi]
			sw.pend, sw.init = 0, 0xf
			sw.wTid, sw.wEp, sw.wSync, sw.wStamp, sw.wLine = tid, b.epoch, w.syncEp, b.stamp, c.line
		}
		return true
	})
}

// decCreatepolicy decodes createpolicy, which makes a cache policy for
// the .L2::cache_hint forms of ld, st and cp.async. Caches are not
// simulated, so the policy is an arbitrary defined value.
func decCreatepolicy(d *decoder, in *instr, out *inst, m *mods) {
	m.takeOne("fractional", "range", "cvt")
	if t := m.typ(d); t != tB64 {
		d.failf("createpolicy makes a .b64 policy")
	}
	if len(in.args) < 2 {
		d.failf("createpolicy needs a destination and its operands")
	}
	out.d[0], out.s[0] = d.dst(in.args[0]), d.constant(0x10000000)
	out.nd, out.ns, out.exec = 1, 1, execMov
}

// pendingRace is the fault for an access to a shared word that a
// cp.async of thread pend-1 has not delivered yet.
func (w *warp) pendingRace(in *inst, l int, off uint64, pend uint16, write bool) *Fault {
	t := int(pend) - 1
	line := "?"
	for _, c := range w.b.warps[t/32].async[t%32] {
		if off >= c.off && off < c.off+uint64(c.n) {
			line = strconv.Itoa(int(c.line))
		}
	}
	what := "read"
	if write {
		what = "write"
	}
	return w.faultAt(in, l, Race, off, fmt.Sprintf(
		"%s of shared offset %d while the cp.async of thread %v at line %s into it is still in flight: "+
			"that thread's cp.async.wait_group or wait_all must complete it (and a bar.sync order it before other threads' accesses)",
		what, off, w.b.threadDim(t), line))
}
