package cudasim

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

const fullMask = ^uint32(0)

// Group wait states.
const (
	waitNone uint8 = iota
	waitBar        // at a bar.sync until the block releases it
	waitSync       // at a warp-synchronous instruction until its member lanes arrive
)

// group is a set of lanes of one warp at the same PC. A converged warp has
// one group; a branch that splits the lanes makes two, and groups that
// reach the same PC merge again. The scheduler runs the runnable group
// with the lowest PC, so lanes reconverge at the first instruction that
// all paths reach (for the forward-branching code nvcc emits, the
// immediate post-dominator), but gives the other groups of a long-diverged
// warp turns, as Volta's independent thread scheduling does (see pick).
type group struct {
	pc   int32
	mask uint32
	wait uint8
}

// warp holds the state of 32 lanes. Registers are stored lane-minor: slot
// s of lane l is r[s*32+l], so an instruction sweeps contiguous memory.
type warp struct {
	b       *block
	id      int
	r       []uint64 // register values
	ri      []uint32 // per slot, the lanes whose value is defined
	p       []uint32 // predicate values, one bit per lane
	pi      []uint32 // per predicate, the lanes whose value is defined
	groups  []group
	live    uint32 // lanes that exist and have not exited
	local   []byte // 32 local frames
	scratch []byte // 32 call-parameter frames
	stack   [32][]int32
	syncEp  uint32 // counts warp-level synchronisations, for race checks
	carry   uint32 // CC.CF per lane
	cache   *allocation
	streak  int    // instructions run while diverged since the last turn
	turn    uint32 // lanes whose groups run first during their turn, 0 for none
	// async holds each lane's cp.async copies in flight, asyncGroups the
	// number of groups it has committed.
	async       [32][]asyncCopy
	asyncGroups [32]uint32
}

// row returns slot s of all 32 lanes.
func (w *warp) row(s int32) *[32]uint64 { return (*[32]uint64)(w.r[int(s)*32:]) }

// tid returns the %tid of a lane.
func (w *warp) tid(l int) driver.Dim3 {
	return driver.Dim3{X: int(uint32(w.row(sTidX)[l])), Y: int(uint32(w.row(sTidY)[l])), Z: int(uint32(w.row(sTidZ)[l]))}
}

// fault builds a Fault for lane l at instruction in.
func (w *warp) fault(in *inst, l int, k Kind, detail string) *Fault {
	p := w.b.prog
	f := &Fault{Kind: k, Kernel: p.kernel, Module: p.module.name, Line: int(in.line), Thread: w.tid(l),
		Block: w.b.ctaidDim(), Detail: detail}
	if n := int(in.line) - 1; n >= 0 && n < len(p.module.lines) {
		f.Inst = strings.Join(strings.Fields(p.module.lines[n]), " ")
	}
	f.SourceFile, f.SourceLine, _ = p.module.source(int(in.line))
	return f
}

// faultAt is fault with an address.
func (w *warp) faultAt(in *inst, l int, k Kind, addr uint64, detail string) *Fault {
	f := w.fault(in, l, k, detail)
	f.Addr, f.HasAddr = addr, true
	return f
}

// fairSlice is how many instructions a diverged warp runs before another
// of its runnable groups gets a turn. Volta's independent thread
// scheduling guarantees every lane eventually progresses, and kernels
// rely on it (a lane holding a spin lock while the others of its warp
// spin); lowest-PC-first alone would run the spinners forever. The slice
// is long enough that ordinary divergence (short if/else, loops that
// lanes leave at different times) reconverges before a turn comes up.
const fairSlice = 1 << 10

// pick returns the group to run next, or -1 when none is runnable: the
// runnable group with the lowest PC, so that paths meet again where they
// join, except that a diverged warp gives other groups turns (see
// fairSlice), during which the lowest-PC group holding the turn's lanes
// runs.
func (w *warp) pick() int {
	if len(w.groups) == 1 {
		if w.groups[0].wait == waitNone {
			return 0
		}
		return -1
	}
	if w.streak++; w.streak >= fairSlice {
		w.streak = 0
		w.rotate()
	}
	if w.turn != 0 {
		if best := w.lowest(w.turn); best >= 0 {
			return best
		}
		w.turn = 0
	}
	return w.lowest(fullMask)
}

// lowest returns the runnable group with the lowest PC among those
// holding lanes of m, or -1.
func (w *warp) lowest(m uint32) int {
	best := -1
	for i := range w.groups {
		g := &w.groups[i]
		if g.wait == waitNone && g.mask&m != 0 && (best < 0 || g.pc < w.groups[best].pc) {
			best = i
		}
	}
	return best
}

// rotate hands the turn to the runnable group whose first lane comes
// next after the running group's first lane, cyclically, so every
// runnable group gets a turn.
func (w *warp) rotate() {
	cur := -1
	if w.turn != 0 {
		cur = w.lowest(w.turn)
	}
	if cur < 0 {
		cur = w.lowest(fullMask)
	}
	if cur < 0 {
		return
	}
	from := bits.TrailingZeros32(w.groups[cur].mask)
	next, dist := -1, 33
	for i := range w.groups {
		g := &w.groups[i]
		if i == cur || g.wait != waitNone {
			continue
		}
		if d := (bits.TrailingZeros32(g.mask) - from + 32) % 32; d < dist {
			next, dist = i, d
		}
	}
	if next >= 0 {
		w.turn = w.groups[next].mask
	}
}

// moveTo sets group gi's PC and merges it with any group already there.
func (w *warp) moveTo(gi int, pc int32) {
	w.groups[gi].pc = pc
	w.groups[gi].wait = waitNone
	if len(w.groups) == 1 {
		return
	}
	for j := range w.groups {
		if j != gi && w.groups[j].pc == pc {
			w.groups[j].mask |= w.groups[gi].mask
			w.groups[j].wait = waitNone
			w.removeGroup(gi)
			w.joined()
			return
		}
	}
}

// scatter replaces group gi by the given groups (empty ones dropped) and
// merges groups that meet at a PC.
func (w *warp) scatter(gi int, to ...group) {
	w.removeGroup(gi)
	for _, g := range to {
		if g.mask != 0 {
			w.groups = append(w.groups, g)
		}
	}
	w.merge()
}

// merge joins groups that share a PC.
func (w *warp) merge() {
	for i := 0; i < len(w.groups); i++ {
		for j := i + 1; j < len(w.groups); j++ {
			if w.groups[i].pc == w.groups[j].pc {
				w.groups[i].mask |= w.groups[j].mask
				w.groups[i].wait = waitNone
				w.removeGroup(j)
				j--
			}
		}
	}
	w.joined()
}

func (w *warp) removeGroup(i int) {
	w.groups = append(w.groups[:i], w.groups[i+1:]...)
}

// joined ends the turns of a warp whose groups have merged into one, so
// its next divergence starts lowest-PC-first.
func (w *warp) joined() {
	if len(w.groups) <= 1 {
		w.turn, w.streak = 0, 0
	}
}

// exitLanes retires the lanes m of group gi.
func (w *warp) exitLanes(gi int, m uint32) {
	w.live &^= m
	w.groups[gi].mask &^= m
	if w.groups[gi].mask == 0 {
		w.removeGroup(gi)
		w.joined()
	} else {
		w.moveTo(gi, w.groups[gi].pc+1)
	}
}

// run executes up to budget instructions of this warp and returns how many
// it executed; a warp that executed none is finished or blocked.
func (w *warp) run(budget int) (int, *Fault) {
	code := w.b.prog.code
	n := 0
	for ; n < budget; n++ {
		gi := w.pick()
		if gi < 0 {
			if w.recheckWaits() {
				continue
			}
			break
		}
		g := &w.groups[gi]
		in := &code[g.pc]
		m := g.mask
		if in.guard >= 0 {
			if w.pi[in.guard]&m != m {
				l := bits.TrailingZeros32(m &^ w.pi[in.guard])
				return n, w.fault(in, l, UninitRead, fmt.Sprintf("guard predicate %s is uninitialised", w.b.prog.pnames[in.guard]))
			}
			if in.gneg {
				m &^= w.p[in.guard]
			} else {
				m &= w.p[in.guard]
			}
		}
		w.b.stamp++
		switch in.kind {
		case kPlain:
			if m != 0 {
				if f := in.exec(w, in, m); f != nil {
					return n, f
				}
			}
			w.moveTo(gi, g.pc+1)
		case kBra:
			switch m {
			case g.mask:
				w.moveTo(gi, in.target)
			case 0:
				w.moveTo(gi, g.pc+1)
			default:
				w.scatter(gi, group{pc: g.pc + 1, mask: g.mask &^ m}, group{pc: in.target, mask: m})
			}
		case kExit:
			if m == 0 {
				w.moveTo(gi, g.pc+1)
			} else {
				w.exitLanes(gi, m)
			}
		case kRet:
			if f := w.ret(gi, m); f != nil {
				return n, f
			}
		case kCall:
			if f := w.call(gi, m); f != nil {
				return n, f
			}
		case kBar:
			if m == g.mask {
				g.wait = waitBar
			} else {
				w.scatter(gi, group{pc: g.pc + 1, mask: g.mask &^ m}, group{pc: g.pc, mask: m, wait: waitBar})
			}
		case kWarpSync:
			if f := w.warpSync(gi, in, m); f != nil {
				return n, f
			}
		case kTrap:
			if m != 0 {
				return n, w.fault(in, bits.TrailingZeros32(m), Trap, "trap instruction executed")
			}
			w.moveTo(gi, g.pc+1)
		}
	}
	return n, nil
}

// call enters a device function (or runs a builtin) for the lanes m; the
// other lanes of the group step over the call.
func (w *warp) call(gi int, m uint32) *Fault {
	g := w.groups[gi]
	in := &w.b.prog.code[g.pc]
	if m == 0 {
		w.moveTo(gi, g.pc+1)
		return nil
	}
	if in.call.builtin != 0 {
		if f := w.builtin(in, m); f != nil {
			return f
		}
		w.moveTo(gi, g.pc+1)
		return nil
	}
	frame := w.b.prog.scratch
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		base := w.scratch[l*frame:]
		for _, c := range in.call.args {
			copy(base[c.to-scratchBase:][:c.size], base[c.from-scratchBase:][:c.size])
		}
		w.stack[l] = append(w.stack[l], g.pc)
	}
	w.scatter(gi, group{pc: g.pc + 1, mask: g.mask &^ m}, group{pc: in.target, mask: m})
	return nil
}

// ret returns the lanes m to their call sites, copying return values.
// Lanes that called from different sites and met inside the function part
// here again.
func (w *warp) ret(gi int, m uint32) *Fault {
	g := w.groups[gi]
	code := w.b.prog.code
	frame := w.b.prog.scratch
	to := []group{{pc: g.pc + 1, mask: g.mask &^ m}}
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		st := w.stack[l]
		if len(st) == 0 {
			return w.fault(&code[g.pc], l, Unsupported, "ret with an empty call stack")
		}
		site := st[len(st)-1]
		w.stack[l] = st[:len(st)-1]
		base := w.scratch[l*frame:]
		for _, c := range code[site].call.rets {
			copy(base[c.to-scratchBase:][:c.size], base[c.from-scratchBase:][:c.size])
		}
		to = append(to, group{pc: site + 1, mask: 1 << l})
	}
	w.scatter(gi, to...)
	return nil
}

// describeWaits summarises where blocked lanes wait, for deadlock reports.
func (w *warp) describeWaits() []string {
	var out []string
	for _, g := range w.groups {
		in := &w.b.prog.code[g.pc]
		out = append(out, fmt.Sprintf("warp %d lanes %s wait at line %d", w.id, laneSet(g.mask), in.line))
	}
	return out
}

// laneSet formats a lane mask as ranges: "0-15,20".
func laneSet(m uint32) string {
	var parts []string
	for l := 0; l < 32; {
		if m&(1<<l) == 0 {
			l++
			continue
		}
		e := l
		for e+1 < 32 && m&(1<<(e+1)) != 0 {
			e++
		}
		if e == l {
			parts = append(parts, fmt.Sprint(l))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", l, e))
		}
		l = e + 1
	}
	return strings.Join(parts, ",")
}
