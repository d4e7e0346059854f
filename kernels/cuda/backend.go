package cuda

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

//go:embed ptx/*.ptx
var ptxFiles embed.FS

// moduleSource is where a backend reads its modules from: the PTX, which
// cudasim interprets (and a GPU JIT-compiles), or in the cuda build the
// fatbinaries holding sm_80/sm_90 machine code beside that PTX.
type moduleSource struct {
	files    fs.FS
	dir, ext string
}

var ptxSource = moduleSource{ptxFiles, "ptx", ".ptx"}

// Modules of the embedded PTX, one per kernels/cuda/src/*.cu.
const (
	modMemory  = "memory"
	modUnary   = "unary"
	modBinary  = "binary"
	modReduce  = "reduce"
	modMatmul  = "matmul"
	modSoftmax = "softmax"
	modIndex   = "index"
	modConv    = "conv"
	modOptim   = "optim"
	modRand    = "rand"
	modProbe   = "probe"
	modSort    = "sort"
)

// Launch shape of the 1-D grid-stride kernels.
const (
	blockSize = 256 // threads per block of every kernel (their __launch_bounds__)
	warpSize  = 32
	// wavesPerSM bounds a 1-D grid at this many blocks per multiprocessor;
	// the kernels' grid-stride loops cover the rest.
	wavesPerSM = 32
)

// Backend is the CUDA implementation of device.Backend over a
// driver.Driver: the GPU (build tag cuda) or the cudasim simulator. Its
// methods are safe for concurrent use; driver calls are serialised.
type Backend struct {
	dev   device.Device
	drv   *tracker // over count, over the driver New was given
	count *driver.Counting
	props driver.Props

	// gridCap is the most blocks a 1-D launch uses.
	gridCap int
	// collect runs the garbage collector and waits for finalizers to return
	// dead buffers; tests replace it. gcPressure is SetGCPressure's value.
	collect    func()
	gcPressure int64

	src     moduleSource
	mu      sync.Mutex
	alloc   allocator
	modules map[string]driver.Module
	funcs   map[kname]driver.Function
	// pack is the argument list of the launch being prepared: filled right
	// before launch, with b.mu held and nothing in between that could
	// release it or launch.
	pack driver.Args
	// operands backs the layouts MatMul checks A and B with.
	operands [2][2][3]int
	// status is the device status word (statusBytes; 0 until a kernel
	// that may set it first runs): kernels that meet bad input record it
	// there. checked says no such kernel ran since the last look at it.
	status  driver.DevPtr
	checked bool
}

var _ device.Backend = (*Backend)(nil)

// New returns a backend for dev that runs its kernels on drv.
func New(dev device.Device, drv driver.Driver) *Backend {
	count := driver.NewCounting(drv)
	tr := newTracker(count)
	p := drv.Props()
	maxGrid := p.MaxGridX
	if maxGrid <= 0 {
		maxGrid = 1<<31 - 1
	}
	b := &Backend{
		dev:        dev,
		drv:        tr,
		count:      count,
		props:      p,
		gridCap:    max(1, min(maxGrid, max(p.SMs, 1)*wavesPerSM)),
		collect:    collectGarbage,
		gcPressure: DefaultGCPressure,
		src:        ptxSource,
		alloc:      newAllocator(tr),
		modules:    map[string]driver.Module{},
		funcs:      map[kname]driver.Function{},
		checked:    true,
	}
	if u, ok := drv.(driver.Undefiner); ok {
		b.alloc.undef = u
	}
	return b
}

// Device returns the device this backend runs on.
func (b *Backend) Device() device.Device { return b.dev }

// Info describes the device from its properties.
func (b *Backend) Info() device.Info {
	note := fmt.Sprintf("%d threads/block, %d KiB shared/block, warp %d",
		b.props.MaxThreadsPerBlock, b.props.MaxSharedPerBlock/1024, b.props.WarpSize)
	if b.dev.Kind == device.CUDASim {
		note = "PTX interpreted on the CPU by cudasim; " + note
	}
	return device.Info{
		Name:        b.props.Name,
		TotalMemory: b.props.TotalMem,
		Compute:     fmt.Sprintf("%d.%d", b.props.Major, b.props.Minor),
		SMs:         b.props.SMs,
		Note:        note,
	}
}

// Memory returns the caching allocator's counters.
func (b *Backend) Memory() device.MemStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.alloc.st
}

// DriverCounts returns how many calls of each kind the backend has made to
// its driver: launches, syncs, copies by direction and bytes, allocations.
// Differences between two snapshots show what a piece of code costs on the
// device, e.g. that a training step makes no blocking copy.
func (b *Backend) DriverCounts() driver.Counts { return b.count.Counts() }

// Sync waits for all queued work and reports the first asynchronous error,
// including an int32 division by zero since the last Sync or Read.
func (b *Backend) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.drv.Sync(); err != nil {
		return fmt.Errorf("cuda: sync: %w", err)
	}
	return b.checkStatus()
}

// Status codes of the device status word (TG_ST_* in src/common.cuh),
// each with the op it reports and what the value was.
var statusOps = [...]struct{ op, what string }{
	1: {"Binary Div", "int32 division by zero"},
	2: {"IndexSelect", "index"},
	3: {"IndexAdd", "index"},
	4: {"Gather", "index"},
	5: {"ScatterAdd", "index"},
	6: {"CrossEntropy", "label"},
}

// statusBytes is the size of the status word: code, value, bound, position.
const statusBytes = 16

// checkStatus reads and clears the status word if a kernel that may set
// it ran since the last look: the first bad input a kernel met (an int32
// division by zero, an index or label out of range) becomes an error
// naming the op and the value.
func (b *Backend) checkStatus() error {
	if b.checked {
		return nil
	}
	b.checked = true
	var w [statusBytes]byte
	if err := b.drv.CopyDtoH(w[:], b.status); err != nil {
		return fmt.Errorf("cuda: read status word: %w", err)
	}
	le := binary.LittleEndian
	code := int(le.Uint32(w[0:]))
	if code == 0 {
		return nil
	}
	if err := b.drv.Memset(b.status, 0, statusBytes); err != nil {
		return fmt.Errorf("cuda: clear status word: %w", err)
	}
	value, bound, pos := int32(le.Uint32(w[4:])), int32(le.Uint32(w[8:])), int32(le.Uint32(w[12:]))
	if code >= len(statusOps) || statusOps[code].op == "" {
		return fmt.Errorf("cuda: the device status word holds unknown code %d", code)
	}
	s := statusOps[code]
	if code == 1 {
		return fmt.Errorf("cuda: %s: %s (found on the device since the last Sync or Read)", s.op, s.what)
	}
	return fmt.Errorf("cuda: %s: %s %d at position %d is outside [0, %d) (found on the device since the last Sync or Read): %w",
		s.op, s.what, value, pos, bound, device.ErrIndex)
}

// statusWord returns the status word, allocating and zeroing it on first
// use, and marks it as needing a look.
func (b *Backend) statusWord() (driver.DevPtr, error) {
	if b.status == 0 {
		p, err := b.drv.Alloc(statusBytes)
		if err != nil {
			return 0, fmt.Errorf("cuda: alloc status word: %w", err)
		}
		if err := b.drv.Memset(p, 0, statusBytes); err != nil {
			return 0, errors.Join(fmt.Errorf("cuda: clear status word: %w", err), b.drv.Free(p))
		}
		b.status = p
	}
	b.checked = false
	return b.status, nil
}

// kname is a kernel's name in up to four parts, e.g. {"add", "_vec_",
// "f32"}: launches look kernels up by the parts, so that no name is
// concatenated per call.
type kname [4]string

// String joins the parts.
func (k kname) String() string { return k[0] + k[1] + k[2] + k[3] }

// function returns kernel k of module mod, loading the module's embedded
// image on first use.
func (b *Backend) function(mod string, k kname) (driver.Function, error) {
	if f, ok := b.funcs[k]; ok {
		return f, nil
	}
	m, ok := b.modules[mod]
	if !ok {
		file := mod + b.src.ext
		img, err := fs.ReadFile(b.src.files, b.src.dir+"/"+file)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", mod, err)
		}
		if m, err = b.drv.Load(file, string(img)); err != nil {
			return nil, fmt.Errorf("load module %s: %w", mod, err)
		}
		b.modules[mod] = m
	}
	f, err := m.Function(k.String())
	if err != nil {
		return nil, fmt.Errorf("look up in module %s: %w", mod, err)
	}
	b.funcs[k] = f
	return f, nil
}

// args empties and returns the backend's argument list for the next
// launch. The caller holds b.mu, fills the list and calls launch with
// nothing in between that could release b.mu (reserve, scratch) or launch.
func (b *Backend) args() *driver.Args { return b.pack.Reset() }

// launch runs kernel k of module mod with blockSize threads per block and
// the arguments packed since args. Every error names the kernel. The
// caller holds b.mu.
func (b *Backend) launch(mod string, k kname, grid driver.Dim3) error {
	f, err := b.function(mod, k)
	if err != nil {
		return fmt.Errorf("cuda: launch %s: %w", k, err)
	}
	if err := driver.LaunchArgs(b.drv, f, grid, driver.Dim3{X: blockSize}, 0, &b.pack); err != nil {
		return fmt.Errorf("cuda: launch %s: %w", k, err)
	}
	return nil
}

// grid1D sizes a grid-stride launch over n work items of one thread each.
func (b *Backend) grid1D(n int) driver.Dim3 {
	return driver.Dim3{X: max(1, min((n+blockSize-1)/blockSize, b.gridCap))}
}

// gridWarps sizes a launch that gives each of n items a warp.
func (b *Backend) gridWarps(n int) driver.Dim3 {
	return b.grid1D(n * warpSize)
}

// gridBlocks sizes a launch that gives each of n items a block.
func (b *Backend) gridBlocks(n int) driver.Dim3 {
	return driver.Dim3{X: max(1, min(n, b.gridCap))}
}

// collectGarbage runs the GC and waits (a bounded time) until the
// finalizers and cleanups it queued have run, so that tensors that died
// return their buffers before an allocation is retried. The finalizer and
// cleanup queues run in batches: a sentinel queued by a second GC is only
// reached once the batch holding the first GC's work has finished.
func collectGarbage() {
	timeout := time.After(time.Second)
	for range 2 {
		fin, clean := make(chan struct{}), make(chan struct{})
		runtime.SetFinalizer(new([32]byte), func(*[32]byte) { close(fin) })
		runtime.AddCleanup(new([32]byte), func(ch chan struct{}) { close(ch) }, clean)
		runtime.GC()
		for _, ch := range []chan struct{}{fin, clean} {
			select {
			case <-ch:
			case <-timeout:
				return
			}
		}
	}
}
