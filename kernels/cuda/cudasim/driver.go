package cudasim

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

var _ driver.Driver = (*Sim)(nil)

// Defaults of a new Sim.
const (
	// DefaultTotalMem is the memory the simulated device reports and the
	// limit Alloc enforces.
	DefaultTotalMem = 16 << 30
	// DefaultStepLimit is how many warp instructions one block may execute
	// before the launch fails with StepLimit: far more than any real block
	// needs. It is a deterministic backstop; DefaultTimeLimit usually
	// stops a spinning block first.
	DefaultStepLimit = 1 << 30
	// DefaultTimeLimit is how long one block may run before the launch
	// fails with StepLimit. The heaviest blocks of the backend's kernels
	// run for milliseconds, so even a slow, shared CI machine stays far
	// below it, while a hang is reported in seconds.
	DefaultTimeLimit = 5 * time.Second
	// TimeLimitEnv names the environment variable that overrides
	// DefaultTimeLimit for simulators made by New (a Go duration, "20s").
	TimeLimitEnv = "TAPEGRAD_CUDASIM_TIMEOUT"
	// MaxSharedPerBlock is sm_70's shared memory per block without opt-in.
	MaxSharedPerBlock = 48 << 10
	// maxModuleData bounds a module's .global and .const data.
	maxModuleData = 64 << 20
)

// Sim is the simulated device; it implements driver.Driver. Its methods
// are safe for concurrent use, though a Sim runs one launch at a time.
type Sim struct {
	mu        sync.Mutex
	mem       *memTable
	total     int64
	workers   int
	stepLimit int64
	timeLimit time.Duration
	optErr    error // a bad environment setting, returned by Launch
	raceCheck bool
	initCheck bool
	mode      Mode
	out       io.Writer
	launches  uint64
	spare     [][]*block // blocks of recent launches, by shape, for reuse
}

// Option configures New.
type Option func(*Sim)

// WithWorkers sets how many goroutines run blocks in parallel (default
// GOMAXPROCS). Props reports it as the SM count.
func WithWorkers(n int) Option { return func(s *Sim) { s.workers = max(n, 1) } }

// WithTotalMem sets the device memory size Alloc enforces.
func WithTotalMem(bytes int64) Option { return func(s *Sim) { s.total = bytes } }

// WithStepLimit bounds the warp instructions one block may execute, so an
// infinite loop fails with StepLimit instead of hanging.
func WithStepLimit(n int64) Option { return func(s *Sim) { s.stepLimit = n } }

// WithTimeLimit bounds the wall-clock time one block may run (default
// DefaultTimeLimit, or TAPEGRAD_CUDASIM_TIMEOUT), so a kernel that spins
// forever fails with StepLimit, naming a spinning thread, instead of
// hanging. The bound is per block rather than per launch so that it does
// not grow with the grid: a legitimate launch may run long, but no
// legitimate block does.
func WithTimeLimit(d time.Duration) Option { return func(s *Sim) { s.timeLimit = d } }

// WithRaceCheck turns shared-memory race detection on (the default) or off
// (slightly faster; out-of-bounds and uninitialised reads are still checked).
func WithRaceCheck(on bool) Option { return func(s *Sim) { s.raceCheck = on } }

// WithInitCheck turns the global-memory initialisation check on (the
// default) or off. On, cudasim tracks which bytes of each Alloc'ed block
// the host (CopyHtoD, Memset, CopyDtoD of defined bytes) or a kernel has
// written, and a kernel load or atomic that reads an unwritten byte
// faults with UninitRead, as compute-sanitizer's initcheck reports it.
// Copies to the host are not checked. Memory that the backend's caching
// allocator hands out again keeps what was written before, as on a GPU.
func WithInitCheck(on bool) Option { return func(s *Sim) { s.initCheck = on } }

// WithPrintf sets where device printf output goes (default os.Stdout).
func WithPrintf(w io.Writer) Option { return func(s *Sim) { s.out = w } }

// New returns a simulated device.
func New(opts ...Option) *Sim {
	s := &Sim{mem: newMemTable(), total: DefaultTotalMem, workers: runtime.GOMAXPROCS(0),
		stepLimit: DefaultStepLimit, timeLimit: DefaultTimeLimit, raceCheck: true, initCheck: true, out: os.Stdout}
	if v := os.Getenv(TimeLimitEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			s.optErr = fmt.Errorf("%w: %s=%q is not a positive duration such as 20s", ErrInvalidValue, TimeLimitEnv, v)
		}
		s.timeLimit = d
	}
	if m, err := parseMode(os.Getenv(ModeEnv)); err != nil {
		s.optErr = err
	} else {
		s.mode = m
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Props describes the simulated device: an sm_70 without opt-in shared
// memory, with one SM per worker.
func (s *Sim) Props() driver.Props {
	return driver.Props{
		Name: "cudasim", TotalMem: s.total, Major: 7, Minor: 0, SMs: s.workers,
		MaxThreadsPerBlock: 1024, MaxSharedPerBlock: MaxSharedPerBlock,
		MaxGridX: math.MaxInt32, WarpSize: 32,
	}
}

// LiveBytes returns the bytes allocated with Alloc and not yet freed.
func (s *Sim) LiveBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.live
}

// Alloc returns device memory. Its bytes are zero, but with the
// initialisation check on (the default) a kernel that reads them before
// anything writes them faults with UninitRead, since cuMemAlloc's memory
// holds garbage on a GPU. Like cuMemAlloc it rejects a non-positive size;
// beyond TotalMem it returns ErrOutOfMemory.
func (s *Sim) Alloc(bytes int) (driver.DevPtr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes <= 0 {
		return 0, fmt.Errorf("%w: Alloc of %d bytes", ErrInvalidValue, bytes)
	}
	if int64(bytes) > s.total-s.mem.live {
		return 0, fmt.Errorf("%w: Alloc of %d bytes with %d of %d bytes in use",
			ErrOutOfMemory, bytes, s.mem.live, s.total)
	}
	a := s.mem.add(bytes, false, "")
	if s.initCheck {
		a.def = make([]uint32, (bytes+31)/32)
	}
	s.mem.live += int64(bytes)
	return driver.DevPtr(a.base), nil
}

// Free releases an allocation made by Alloc.
func (s *Sim) Free(p driver.DevPtr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.mem.remove(uint64(p))
	if !ok {
		return fmt.Errorf("%w: Free(%#x): %s", ErrInvalidPointer, uint64(p), s.mem.describe(uint64(p), 1))
	}
	s.mem.live -= int64(a.size)
	return nil
}

// span returns n bytes of device memory at p, with their allocation and
// offset in it, or an error naming op.
func (s *Sim) span(op string, p driver.DevPtr, n int) ([]byte, *allocation, uint64, error) {
	if n < 0 {
		return nil, nil, 0, fmt.Errorf("%w: %s of %d bytes", ErrInvalidValue, op, n)
	}
	a := s.mem.find(uint64(p))
	if a == nil || uint64(n) > a.size-(uint64(p)-a.base) {
		return nil, nil, 0, fmt.Errorf("%w: %s of %d bytes at %#x: %s", ErrInvalidPointer, op, n, uint64(p),
			s.mem.describe(uint64(p), n))
	}
	off := uint64(p) - a.base
	return a.data[off : off+uint64(n)], a, off, nil
}

// CopyHtoD copies host bytes to device memory.
func (s *Sim) CopyHtoD(dst driver.DevPtr, src []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, a, off, err := s.span("CopyHtoD", dst, len(src))
	if err == nil {
		copy(b, src)
		a.defineRange(off, uint64(len(src)))
	}
	return err
}

// CopyDtoH copies device memory to host bytes.
func (s *Sim) CopyDtoH(dst []byte, src driver.DevPtr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _, _, err := s.span("CopyDtoH", src, len(dst))
	if err == nil {
		copy(dst, b)
	}
	return err
}

// CopyDtoD copies between device ranges (overlap allowed).
func (s *Sim) CopyDtoD(dst, src driver.DevPtr, bytes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, fa, foff, err := s.span("CopyDtoD source", src, bytes)
	if err != nil {
		return err
	}
	to, ta, toff, err := s.span("CopyDtoD destination", dst, bytes)
	if err == nil {
		copy(to, from)
		copyDefined(ta, toff, fa, foff, uint64(bytes))
	}
	return err
}

// Memset fills device memory with a byte.
func (s *Sim) Memset(dst driver.DevPtr, value byte, bytes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, a, off, err := s.span("Memset", dst, bytes)
	if err == nil {
		for i := range b {
			b[i] = value
		}
		a.defineRange(off, uint64(bytes))
	}
	return err
}

// Undefine marks bytes of device memory as never written, as if freshly
// allocated: the CUDA backend calls it (driver.Undefiner) when its
// caching allocator hands out a block again, so that a kernel reading what
// the block's previous owner left behind is reported as an uninitialised
// read, as on a fresh allocation.
func (s *Sim) Undefine(dst driver.DevPtr, bytes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, a, off, err := s.span("Undefine", dst, bytes)
	if err == nil && s.initCheck {
		a.undefineRange(off, uint64(bytes))
	}
	return err
}

// Sync returns nil: Launch runs kernels to completion and returns their
// faults itself.
func (s *Sim) Sync() error { return nil }

// Module is a loaded PTX module; it implements driver.Module.
type Module struct {
	name    string
	kernels map[string]*Function
}

// Function is a kernel of a loaded module; it implements driver.Function.
type Function struct {
	sim  *Sim
	prog *program
}

// Name returns the kernel's .entry name.
func (f *Function) Name() string { return f.prog.kernel }

// Function looks up a kernel by its .entry name.
func (m *Module) Function(name string) (driver.Function, error) {
	f, ok := m.kernels[name]
	if !ok {
		return nil, fmt.Errorf("cudasim: module %s has no kernel %q", m.name, name)
	}
	return f, nil
}

// Load parses and decodes PTX. Module-scope .global and .const data is
// placed in device memory with its initializers; every .entry is decoded
// now, so unsupported PTX fails here rather than at launch.
func (s *Sim) Load(name, ptx string) (driver.Module, error) {
	mod, err := parse(name, ptx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	globals, err := s.placeGlobals(mod)
	if err != nil {
		return nil, err
	}
	m := &Module{name: name, kernels: map[string]*Function{}}
	for _, f := range mod.funcs {
		if !f.entry || !f.defined {
			continue
		}
		p, err := decodeKernel(mod, globals, f, s.mode)
		if err != nil {
			return nil, err
		}
		m.kernels[f.name] = &Function{sim: s, prog: p}
	}
	return m, nil
}

// placeGlobals allocates module .global/.const variables and writes their
// initializers, which may hold addresses of other variables.
func (s *Sim) placeGlobals(mod *module) (map[string]*allocation, error) {
	globals := map[string]*allocation{}
	total := 0
	for _, v := range mod.vars {
		if (v.space == spGlobal || v.space == spConst) && !v.extern {
			if total += v.bytes(); total > maxModuleData {
				return nil, &ParseError{Module: mod.name, Line: v.line, Msg: "module data exceeds 64 MiB"}
			}
			if _, dup := globals[v.name]; dup {
				return nil, &ParseError{Module: mod.name, Line: v.line, Msg: "duplicate variable " + v.name}
			}
			globals[v.name] = s.mem.add(v.bytes(), v.space == spConst, v.name)
		}
	}
	for _, v := range mod.vars {
		a := globals[v.name]
		if a == nil || a.label != v.name {
			continue
		}
		n := v.typ.size()
		for i, iv := range v.init {
			val := iv.bits
			if iv.sym != "" {
				target := globals[iv.sym]
				if target == nil {
					return nil, &ParseError{Module: mod.name, Line: v.line, Msg: "initializer names unknown variable " + iv.sym}
				}
				val = target.base + uint64(iv.off)
			}
			putLE(a.data[i*n:], n, val)
		}
	}
	return globals, nil
}
