package cudasim

import (
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// launch is one kernel launch in progress.
type launch struct {
	prog       *program
	mem        *memTable
	params     []byte
	grid       [3]int
	block      [3]int
	dynShared  int
	sharedSize int
	workers    int
	raceCheck  bool
	stepLimit  int64
	timeLimit  time.Duration
	gridid     uint64
	outMu      sync.Mutex
	out        io.Writer
	// blocks holds one block per worker: reused from an earlier launch of
	// the same shape, or allocated by the worker.
	blocks []*block
}

// print writes device printf output, one call at a time.
func (l *launch) print(s string) {
	l.outMu.Lock()
	defer l.outMu.Unlock()
	io.WriteString(l.out, s)
}

// dims validates a grid or block extent: X must be positive (a zero-sized
// grid is an error, as cuLaunchKernel gives it); zero Y and Z mean 1.
func dims(what string, d driver.Dim3, limits [3]int) ([3]int, error) {
	v := [3]int{d.X, max(d.Y, 1), max(d.Z, 1)}
	if d.X <= 0 || d.Y < 0 || d.Z < 0 {
		return v, fmt.Errorf("%w: %s %v has a zero or negative extent", ErrInvalidValue, what, d)
	}
	for i := range v {
		if v[i] > limits[i] {
			return v, fmt.Errorf("%w: %s %v exceeds the limit %v", ErrInvalidValue, what, d, limits)
		}
	}
	return v, nil
}

// Launch runs kernel f on a grid of blocks and returns when every block
// has finished, or with the fault (a *Fault) of the lowest-numbered
// faulting block. Configuration errors wrap ErrInvalidValue, as the real
// driver rejects them before running anything: a grid or block whose X is
// not positive (zero Y and Z mean 1), more than 1024 threads per block,
// more than 48 KiB of static plus dynamic shared memory, a block shape
// .reqntid or .maxntid forbid, or arguments that do not match the .param
// list in count, size or kind.
func (s *Sim) Launch(f driver.Function, grid, blockDim driver.Dim3, sharedBytes int, args ...any) error {
	fn, ok := f.(*Function)
	if !ok || fn == nil || fn.sim != s {
		return fmt.Errorf("%w: Launch of a function not loaded by this cudasim device", ErrInvalidValue)
	}
	p := fn.prog
	g, err := dims("grid", grid, [3]int{math.MaxInt32, 65535, 65535})
	if err != nil {
		return fmt.Errorf("kernel %s: %w", p.kernel, err)
	}
	b, err := dims("block", blockDim, [3]int{1024, 1024, 64})
	if err != nil {
		return fmt.Errorf("kernel %s: %w", p.kernel, err)
	}
	if n := b[0] * b[1] * b[2]; n > 1024 {
		return fmt.Errorf("%w: kernel %s: block %v has %d threads, more than 1024", ErrInvalidValue, p.kernel, blockDim, n)
	}
	if err := checkNtid(p, b); err != nil {
		return err
	}
	shared := p.shared
	if sharedBytes > 0 {
		shared = alignUp(p.shared, p.dynAlig) + sharedBytes
	}
	if sharedBytes < 0 || shared > MaxSharedPerBlock {
		return fmt.Errorf("%w: kernel %s needs %d bytes of static and %d of dynamic shared memory; the limit is %d",
			ErrInvalidValue, p.kernel, p.shared, sharedBytes, MaxSharedPerBlock)
	}
	if s.optErr != nil {
		return s.optErr
	}
	params, err := marshalParams(p, args)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.launches++
	nblocks := g[0] * g[1] * g[2]
	l := &launch{prog: p, mem: s.mem, params: params, grid: g, block: b, dynShared: max(sharedBytes, 0),
		sharedSize: shared, workers: min(s.workers, nblocks), raceCheck: s.raceCheck,
		stepLimit: s.stepLimit, timeLimit: s.timeLimit, gridid: s.launches, out: s.out}
	l.blocks = s.takeSpare(p, b, shared, l.workers)
	flt := l.run(nblocks)
	s.keepSpare(l.blocks)
	if flt != nil {
		return flt
	}
	return nil
}

// spareSets bounds how many launch shapes keep their blocks for reuse.
const spareSets = 4

// takeSpare returns n blocks for a launch of p with this shape: those kept
// from an earlier launch of the same shape, nil (allocate) for the rest.
// Kernels are usually launched again with the same shape, and a block's
// register files are its costliest allocation.
func (s *Sim) takeSpare(p *program, dims [3]int, shared, n int) []*block {
	out := make([]*block, n)
	for i, set := range s.spare {
		if len(set) > 0 && set[0] != nil && set[0].fits(p, dims, shared) {
			copy(out, set)
			s.spare = append(s.spare[:i], s.spare[i+1:]...)
			break
		}
	}
	return out
}

// keepSpare remembers a launch's blocks, most recent first.
func (s *Sim) keepSpare(blocks []*block) {
	s.spare = append([][]*block{blocks}, s.spare...)
	if len(s.spare) > spareSets {
		s.spare = s.spare[:spareSets]
	}
}

// checkNtid enforces .reqntid and .maxntid.
func checkNtid(p *program, b [3]int) error {
	if r := p.reqntid; r[0] > 0 && r != b {
		return fmt.Errorf("%w: kernel %s requires block %v (.reqntid), got %v", ErrInvalidValue, p.kernel, r, b)
	}
	if m := p.maxntid; m[0] > 0 && b[0]*b[1]*b[2] > m[0]*m[1]*m[2] {
		return fmt.Errorf("%w: kernel %s allows at most %d threads per block (.maxntid), got %v",
			ErrInvalidValue, p.kernel, m[0]*m[1]*m[2], b)
	}
	return nil
}

// run executes the blocks over the workers. Blocks are taken in index
// order, so when block k faults every block below k has been taken; the
// others are skipped and the lowest faulting block is reported, which
// keeps reports independent of scheduling.
func (l *launch) run(nblocks int) *Fault {
	var next atomic.Int64
	var lowest atomic.Int64
	lowest.Store(math.MaxInt64)
	faults := make([]*Fault, l.workers)
	at := make([]int64, l.workers)
	work := func(wk int) {
		b := l.blocks[wk]
		if b == nil {
			b = newBlock(l.prog, l.block, l.sharedSize)
			l.blocks[wk] = b
		}
		b.bind(l, wk)
		defer func() {
			// A simulator bug must fail the launch, not the host program.
			if r := recover(); r != nil {
				faults[wk] = &Fault{Kind: Unsupported, Kernel: l.prog.kernel, Module: l.prog.module.name,
					Block: b.ctaidDim(), Detail: fmt.Sprintf("internal simulator error: %v", r)}
				at[wk] = int64(b.linear)
				lowestMin(&lowest, at[wk])
			}
		}()
		for {
			idx := next.Add(1) - 1
			if idx >= int64(nblocks) || idx > lowest.Load() {
				return
			}
			b.reset(int(idx))
			if f := b.run(); f != nil {
				faults[wk], at[wk] = f, idx
				lowestMin(&lowest, idx)
				return
			}
		}
	}
	if l.workers == 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for wk := 0; wk < l.workers; wk++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(wk)
			}()
		}
		wg.Wait()
	}
	var first *Fault
	for wk, f := range faults {
		if f != nil && at[wk] == lowest.Load() {
			first = f
		}
	}
	return first
}

// lowestMin lowers v to x if x is smaller.
func lowestMin(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if x >= cur || v.CompareAndSwap(cur, x) {
			return
		}
	}
}

// marshalParams lays the arguments out as the kernel's .param list.
func marshalParams(p *program, args []any) ([]byte, error) {
	if len(args) != len(p.params) {
		return nil, fmt.Errorf("%w: kernel %s takes %d parameters, got %d arguments",
			ErrInvalidValue, p.kernel, len(p.params), len(args))
	}
	buf := make([]byte, p.psize)
	for i, v := range p.params {
		bad := func(want string) error {
			return fmt.Errorf("%w: kernel %s parameter %d (%s, %s): got %T, want %s",
				ErrInvalidValue, p.kernel, i, v.name, paramDesc(v), args[i], want)
		}
		dst := buf[p.poff[i]:][:v.bytes()]
		if v.array {
			b, ok := args[i].([]byte)
			if !ok || len(b) != v.bytes() {
				return nil, bad(fmt.Sprintf("a []byte of length %d", v.bytes()))
			}
			copy(dst, b)
			continue
		}
		val, kind, size := scalarArg(args[i])
		want := map[ptype]string{tF32: "float32", tF64: "float64"}[v.typ]
		switch {
		case kind == 0:
			return nil, bad("a DevPtr, sized integer, float32, float64 or []byte")
		case size != v.bytes():
			return nil, bad(fmt.Sprintf("a %d-byte value", v.bytes()))
		case v.typ.float() && kind != 'f', kind == 'f' && !v.typ.float() && !(v.typ >= tB8 && v.typ <= tB64):
			if want == "" {
				want = "an integer"
			}
			return nil, bad(want)
		}
		putLE(dst, size, val)
	}
	return buf, nil
}

// scalarArg returns an argument's bits, its class ('i' integer, 'f' float,
// 0 unsupported) and size.
func scalarArg(a any) (uint64, byte, int) {
	switch v := a.(type) {
	case driver.DevPtr:
		return uint64(v), 'i', 8
	case int8:
		return uint64(v), 'i', 1
	case uint8:
		return uint64(v), 'i', 1
	case int16:
		return uint64(v), 'i', 2
	case uint16:
		return uint64(v), 'i', 2
	case int32:
		return uint64(v), 'i', 4
	case uint32:
		return uint64(v), 'i', 4
	case int64:
		return uint64(v), 'i', 8
	case uint64:
		return v, 'i', 8
	case float32:
		return uint64(math.Float32bits(v)), 'f', 4
	case float64:
		return math.Float64bits(v), 'f', 8
	}
	return 0, 0, 0
}

func paramDesc(v *varDecl) string {
	if v.array {
		return fmt.Sprintf(".b8[%d]", v.bytes())
	}
	return "." + v.typ.String()
}
