package cudasim

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// timeSlice is how many instructions a warp runs before the block moves to
// the next warp, so that warps spinning on each other's shared-memory
// writes still progress.
const timeSlice = 1 << 12

// block runs one thread block on one goroutine. A worker reuses its block
// (and the warps' register files) for every block it takes.
type block struct {
	l      *launch
	prog   *program
	dims   [3]int // block shape
	warps  []*warp
	smid   int
	linear int // block index in the grid
	ctaid  [3]int
	shared []byte
	shadow []shadowWord
	dirty  int    // shadow words [0, dirty) may be non-zero
	epoch  uint32 // barrier intervals completed, for race checks
	stamp  uint32 // executed warp instructions, identifies one instruction's accesses
	steps  int64
	start  time.Time // when the block started, for the time limit
	clock  int64     // steps at the last look at the clock
	// spinner is the warp that last used a whole time slice: when the
	// block runs out of time, a thread of it is the one to name.
	spinner *warp
	// pending is the first read of unwritten shared memory in this
	// barrier interval, reported when the interval ends unless a write
	// by another warp turns it into a race first.
	pending *Fault
	// waitBar and waitSync are scratch lists for releaseBarrier
	waitBar, waitSync []waiter
}

func (b *block) ctaidDim() driver.Dim3 {
	return driver.Dim3{X: b.ctaid[0], Y: b.ctaid[1], Z: b.ctaid[2]}
}

// newBlock allocates the state of a block of shape dims running p with
// sharedSize bytes of shared memory. Everything set here is the same for
// every launch of that shape, so Sim keeps blocks for reuse.
func newBlock(p *program, dims [3]int, sharedSize int) *block {
	b := &block{prog: p, dims: dims, shared: make([]byte, sharedSize), shadow: make([]shadowWord, (sharedSize+3)/4)}
	nthreads := dims[0] * dims[1] * dims[2]
	for i := 0; i < (nthreads+31)/32; i++ {
		w := &warp{b: b, id: i,
			r: make([]uint64, p.nslots*32), ri: make([]uint32, p.nslots),
			p: make([]uint32, p.npreds), pi: make([]uint32, p.npreds),
			local: make([]byte, 32*p.local), scratch: make([]byte, 32*p.scratch)}
		for _, c := range p.consts {
			w.fill(c.slot, c.val)
		}
		for l := 0; l < 32; l++ {
			t := i*32 + l
			set := func(s int32, v uint64) { w.row(s)[l] = v }
			set(sTidX, uint64(t%dims[0]))
			set(sTidY, uint64(t/dims[0]%dims[1]))
			set(sTidZ, uint64(t/(dims[0]*dims[1])))
			set(sLaneid, uint64(l))
			set(sLanemaskEq, 1<<l)
			set(sLanemaskLe, 1<<(l+1)-1)
			set(sLanemaskLt, 1<<l-1)
			set(sLanemaskGe, uint64(fullMask<<l))
			set(sLanemaskGt, uint64(fullMask<<l<<1))
		}
		for k := int32(0); k < 3; k++ {
			w.fill(sNtidX+k, uint64(dims[k]))
		}
		w.fill(sWarpid, uint64(i))
		w.fill(sNwarpid, 32)
		w.fill(sTotalSmem, uint64(sharedSize))
		for s := int32(0); s < nSpecial; s++ {
			w.ri[s] = fullMask
		}
		b.warps = append(b.warps, w)
	}
	return b
}

// fits reports whether the block can run a launch of p with this shape.
func (b *block) fits(p *program, dims [3]int, sharedSize int) bool {
	return b.prog == p && b.dims == dims && len(b.shared) == sharedSize
}

// bind attaches the block to launch l on worker smid, setting the special
// registers that vary between launches.
func (b *block) bind(l *launch, smid int) {
	b.l, b.smid = l, smid
	for _, w := range b.warps {
		for k := int32(0); k < 3; k++ {
			w.fill(sNctaidX+k, uint64(l.grid[k]))
		}
		w.fill(sNsmid, uint64(l.workers))
		w.fill(sGridid, l.gridid)
		w.fill(sDynSmem, uint64(l.dynShared))
		w.fill(sSmid, uint64(smid))
	}
}

// fill sets slot s to v in every lane.
func (w *warp) fill(s int32, v uint64) {
	row := w.row(s)
	for l := range row {
		row[l] = v
	}
}

// reset prepares the block to run block linear index idx.
func (b *block) reset(idx int) {
	g := b.l.grid
	b.linear = idx
	b.ctaid = [3]int{idx % g[0], idx / g[0] % g[1], idx / (g[0] * g[1])}
	b.epoch, b.stamp, b.steps = 1, 0, 0
	b.pending, b.spinner, b.clock = nil, nil, 0
	b.start = time.Now()
	clear(b.shadow[:b.dirty])
	b.dirty = 0
	nthreads := b.dims[0] * b.dims[1] * b.dims[2]
	for i, w := range b.warps {
		for k := int32(0); k < 3; k++ {
			w.fill(sCtaidX+k, uint64(b.ctaid[k]))
		}
		clear(w.ri[nSpecial:])
		for _, c := range b.prog.consts {
			w.ri[c.slot] = fullMask
		}
		clear(w.pi)
		for _, c := range b.prog.cpreds {
			w.pi[c.idx] = fullMask
			w.p[c.idx] = uint32(-int32(b2u(c.val)))
		}
		n := min(32, nthreads-i*32)
		w.live = uint32(1<<n - 1)
		w.groups = append(w.groups[:0], group{pc: 0, mask: w.live})
		w.syncEp, w.carry, w.cache = 0, 0, nil
		w.streak, w.turn = 0, 0
		for l := range w.stack {
			w.stack[l] = w.stack[l][:0]
			w.async[l] = w.async[l][:0]
		}
		w.asyncGroups = [32]uint32{}
	}
}

// run executes the block to completion or to its first fault.
func (b *block) run() *Fault {
	for {
		ran, done := false, true
		for _, w := range b.warps {
			if len(w.groups) == 0 {
				continue
			}
			done = false
			n, f := w.run(timeSlice)
			if f != nil {
				return b.settle(f)
			}
			if n > 0 {
				ran = true
				b.steps += int64(n)
				if n == timeSlice {
					b.spinner = w
				}
				if f := b.checkLimits(); f != nil {
					return b.settle(f)
				}
			}
		}
		if done {
			return b.pending
		}
		if !ran {
			if f := b.releaseBarrier(); f != nil {
				return f
			}
		}
	}
}

// settle chooses the fault a block reports: a race stands, but any other
// fault after an unwritten shared read in the same interval is likely its
// consequence, so the read is reported instead.
func (b *block) settle(f *Fault) *Fault {
	if f.Kind != Race && b.pending != nil {
		return b.pending
	}
	return f
}

// waiter is a group of lanes blocked at an instruction.
type waiter struct {
	w *warp
	g int
}

// releaseBarrier is called when no warp can run. If every live thread
// waits at one barrier it releases them (the next barrier interval
// starts); otherwise the block can never progress and the reason is
// reported.
func (b *block) releaseBarrier() *Fault {
	atBar, atSync := b.waitBar[:0], b.waitSync[:0]
	live, arrived := 0, 0
	pc, onePC := int32(-1), true
	for _, w := range b.warps {
		live += bits.OnesCount32(w.live)
		for i, g := range w.groups {
			switch g.wait {
			case waitBar:
				atBar = append(atBar, waiter{w, i})
				arrived += bits.OnesCount32(g.mask)
				onePC = onePC && (pc < 0 || pc == g.pc)
				pc = g.pc
			case waitSync:
				atSync = append(atSync, waiter{w, i})
			}
		}
	}
	b.waitBar, b.waitSync = atBar, atSync
	if b.pending != nil {
		return b.pending
	}
	if len(atSync) == 0 && arrived == live && onePC {
		b.finishBarrier(atBar)
		return nil
	}
	first := atBar
	if len(first) == 0 {
		first = atSync
	}
	x := first[0]
	in := &b.prog.code[x.w.groups[x.g].pc]
	l := bits.TrailingZeros32(x.w.groups[x.g].mask)
	var where []string
	for _, w := range b.warps {
		where = append(where, w.describeWaits()...)
	}
	sort.Strings(where)
	detail := strings.Join(where, "; ")
	if len(atSync) == 0 {
		return x.w.fault(in, l, BarrierDivergence, "threads wait at different barrier instructions: "+detail)
	}
	return x.w.fault(in, l, Deadlock, "no thread can progress: "+detail)
}

// finishBarrier releases the lanes waiting at a barrier, computing the
// bar.red result first.
func (b *block) finishBarrier(atBar []waiter) {
	x := atBar[0]
	in := &b.prog.code[x.w.groups[x.g].pc]
	if in.mode != 0 {
		var count uint64
		for _, x := range atBar {
			g := x.w.groups[x.g]
			pv := x.w.p[in.ps]
			if in.psneg {
				pv = ^pv
			}
			count += uint64(bits.OnesCount32(pv & g.mask))
		}
		res := count
		switch in.mode {
		case redAnd:
			res = b2u(int(count) == b.liveThreads())
		case redOr:
			res = b2u(count != 0)
		}
		for _, x := range atBar {
			g := x.w.groups[x.g]
			if in.mode == redPopc {
				row := x.w.row(in.d[0])
				for mm := g.mask; mm != 0; mm &= mm - 1 {
					row[bits.TrailingZeros32(mm)] = res
				}
				x.w.ri[in.d[0]] |= g.mask
			} else {
				x.w.p[in.pd] = x.w.p[in.pd]&^g.mask | uint32(-int32(res))&g.mask
				x.w.pi[in.pd] |= g.mask
			}
		}
	}
	b.epoch++
	for _, w := range b.warps {
		for i := range w.groups {
			if w.groups[i].wait == waitBar {
				w.groups[i].pc++
				w.groups[i].wait = waitNone
			}
		}
		w.merge()
	}
}

func (b *block) liveThreads() int {
	n := 0
	for _, w := range b.warps {
		n += bits.OnesCount32(w.live)
	}
	return n
}

func b2u(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// clockEvery is how many warp instructions run between looks at the
// clock: a few milliseconds of work, so the check costs nothing.
const clockEvery = 1 << 17

// checkLimits returns a StepLimit fault once the block has run more
// instructions or longer than the launch allows.
func (b *block) checkLimits() *Fault {
	if b.steps > b.l.stepLimit {
		return b.stepFault(fmt.Sprintf("block ran more than %d instructions", b.l.stepLimit), "")
	}
	if b.l.timeLimit > 0 && b.steps-b.clock >= clockEvery {
		b.clock = b.steps
		if d := time.Since(b.start); d > b.l.timeLimit {
			return b.stepFault(fmt.Sprintf("block still running after %v (%d warp instructions)", d.Round(time.Millisecond), b.steps),
				fmt.Sprintf(" (if it is legitimately this slow, raise %s or use WithTimeLimit)", TimeLimitEnv))
		}
	}
	return nil
}

// stepFault reports a block that does not end, naming a thread that was
// executing when it was stopped: a lane of the warp that last used a
// whole time slice, rather than one waiting at a barrier after the loop.
func (b *block) stepFault(detail, hint string) *Fault {
	ws := b.warps
	if b.spinner != nil {
		ws = append([]*warp{b.spinner}, ws...)
	}
	for _, w := range ws {
		if gi := w.pick(); gi >= 0 {
			g := w.groups[gi]
			return w.fault(&b.prog.code[g.pc], bits.TrailingZeros32(g.mask), StepLimit,
				fmt.Sprintf("%s: an infinite loop or a livelock; warp %d lanes %s are executing here%s", detail, w.id, laneSet(g.mask), hint))
		}
	}
	for _, w := range b.warps {
		if len(w.groups) > 0 {
			g := w.groups[0]
			return w.fault(&b.prog.code[g.pc], bits.TrailingZeros32(g.mask), StepLimit, detail+hint)
		}
	}
	return nil
}
