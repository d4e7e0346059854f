package cudasim

import (
	"fmt"
	"math/bits"
)

// Warp-synchronous instruction kinds (inst.mode for kWarpSync).
const (
	wsBarWarp uint8 = iota // bar.warp.sync
	wsShflUp
	wsShflDown
	wsShflBfly
	wsShflIdx
	wsVoteAll
	wsVoteAny
	wsVoteUni
	wsVoteBallot
	wsMatchAny
	wsMatchAll
)

// warpSync runs a shfl/vote/match/bar.warp.sync once every live lane of
// its member mask has arrived at it. Until then the group waits and the
// warp runs its other groups, which merge with this one when they get
// here. Lanes that have exited (or never existed, in a partial warp) are
// not waited for, as CUDA specifies; values read from them are undefined.
func (w *warp) warpSync(gi int, in *inst, m uint32) *Fault {
	g := &w.groups[gi]
	need, f := w.syncNeed(in, m)
	if f != nil {
		return f
	}
	if need&^g.mask != 0 {
		g.wait = waitSync
		return nil
	}
	if m != 0 {
		if f := in.exec(w, in, m); f != nil {
			return f
		}
	}
	w.syncEp++
	w.moveTo(gi, g.pc+1)
	return nil
}

// syncNeed returns the live lanes named by the member masks of lanes m at
// the warp-synchronous instruction in. A member mask must include its own
// lane.
func (w *warp) syncNeed(in *inst, m uint32) (uint32, *Fault) {
	if f := w.checkDefined(in, in.member, m, "member mask"); f != nil {
		return 0, f
	}
	mm := w.row(in.member)
	var need uint32
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		mk := uint32(mm[l])
		if mk&(1<<l) == 0 {
			return 0, w.fault(in, l, Deadlock, fmt.Sprintf("member mask %#08x does not include the executing lane %d", mk, l))
		}
		need |= mk
	}
	return need & w.live, nil
}

// recheckWaits runs when no group of the warp can run. A group waiting at
// a warp-synchronous instruction becomes runnable again if the lanes it
// waited for have exited meanwhile. And __syncwarp in divergent code,
// which Volta allows, is resolved here: when the waiting groups all sit at
// bar.warp.sync instructions whose masks they cover together, all of them
// pass. It reports whether any group can run now.
func (w *warp) recheckWaits() bool {
	code := w.b.prog.code
	for i, g := range w.groups {
		if g.wait != waitSync {
			continue
		}
		if need, f := w.syncNeed(&code[g.pc], g.mask); f == nil && need&^g.mask == 0 {
			w.groups[i].wait = waitNone
			return true
		}
	}
	var at, need uint32
	for _, g := range w.groups {
		in := &code[g.pc]
		if g.wait != waitSync || in.mode != wsBarWarp {
			return false
		}
		at |= g.mask
		n, _ := w.syncNeed(in, g.mask)
		need |= n
	}
	if len(w.groups) < 2 || need&^at != 0 {
		return false
	}
	w.syncEp++
	for i := range w.groups {
		w.groups[i].pc++
		w.groups[i].wait = waitNone
	}
	w.merge()
	return true
}

// execShfl is shfl.sync.{up,down,bfly,idx}.b32 d[|p], a, b, c.
func execShfl(w *warp, in *inst, m uint32) *Fault {
	src := *w.row(in.s[0])
	srcDef := w.ri[in.s[0]] & m // only lanes executing the shfl supply values
	b, c := w.row(in.s[1]), w.row(in.s[2])
	d := w.row(in.d[0])
	var valid, def uint32
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		bval, cval := int(b[l]&31), int(c[l])
		seg := cval >> 8 & 31
		maxLane := l&seg | cval&31&^seg
		var j int
		var ok bool
		switch in.mode {
		case wsShflUp:
			j = l - bval
			ok = j >= maxLane
		case wsShflDown:
			j = l + bval
			ok = j <= maxLane
		case wsShflBfly:
			j = l ^ bval
			ok = j <= maxLane
		default:
			j = l&seg | bval&^seg
			ok = j <= maxLane
		}
		if !ok {
			j = l
		} else {
			valid |= 1 << l
		}
		d[l&31] = src[j&31]
		if srcDef>>j&1 != 0 {
			def |= 1 << l
		}
	}
	w.ri[in.d[0]] = w.ri[in.d[0]]&^m | def
	w.setPred(in.pd, m, valid, m)
	return nil
}

// execVote is vote.sync.{all,any,uni}.pred and vote.sync.ballot.b32 over
// the lanes of each lane's member mask that execute the vote.
func execVote(w *warp, in *inst, m uint32) *Fault {
	if w.pi[in.ps]&m != m {
		return w.fault(in, bits.TrailingZeros32(m&^w.pi[in.ps]), UninitRead,
			fmt.Sprintf("vote predicate %s is uninitialised", w.b.prog.pnames[in.ps]))
	}
	pv := w.p[in.ps]
	if in.psneg {
		pv = ^pv
	}
	mm := w.row(in.member)
	var res uint32
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		set := uint32(mm[l]) & m
		var r bool
		switch in.mode {
		case wsVoteAll:
			r = pv&set == set
		case wsVoteAny:
			r = pv&set != 0
		case wsVoteUni:
			r = pv&set == set || pv&set == 0
		default:
			w.r[int(in.d[0])*32+l] = uint64(pv & set)
			continue
		}
		if r {
			res |= 1 << l
		}
	}
	if in.mode == wsVoteBallot {
		w.ri[in.d[0]] |= m
	} else {
		w.setPred(in.pd, m, res, m)
	}
	return nil
}

// execMatch is match.any.sync and match.all.sync: lanes of the member
// mask holding the same value.
func execMatch(w *warp, in *inst, m uint32) *Fault {
	a, mm := w.row(in.s[0]), w.row(in.member)
	mask := widthMask(in.typ)
	var out [32]uint64
	var all uint32
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		set := uint32(mm[l]) & m
		var same uint32
		for y := set; y != 0; y &= y - 1 {
			k := bits.TrailingZeros32(y)
			if a[k]&mask == a[l]&mask {
				same |= 1 << k
			}
		}
		if in.mode == wsMatchAny {
			out[l] = uint64(same)
			continue
		}
		if same == set {
			out[l] = uint64(set)
			all |= 1 << l
		}
	}
	d := w.row(in.d[0])
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		d[l] = out[l]
	}
	w.def(in.d[0], m, in.s[0])
	w.setPred(in.pd, m, all, m)
	return nil
}

// execActivemask is activemask.b32: the lanes executing it together.
func execActivemask(w *warp, in *inst, m uint32) *Fault {
	d := w.row(in.d[0])
	for x := m; x != 0; x &= x - 1 {
		d[bits.TrailingZeros32(x)] = uint64(m)
	}
	w.ri[in.d[0]] |= m
	return nil
}
