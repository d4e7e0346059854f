package cudasim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ErrInvalidValue is wrapped by errors for arguments the real driver also
// rejects (CUDA_ERROR_INVALID_VALUE): bad launch configurations, parameter
// lists that do not match the kernel, non-positive sizes.
var ErrInvalidValue = errors.New("cudasim: invalid value")

// ErrOutOfMemory is wrapped by Alloc when the request would take the live
// bytes past Props().TotalMem.
var ErrOutOfMemory = fmt.Errorf("cudasim: %w", driver.ErrOutOfMemory)

// ErrInvalidPointer is wrapped by Free and the copy functions when a pointer
// is not the start (Free) or inside (copies) of a live allocation.
var ErrInvalidPointer = errors.New("cudasim: invalid device pointer")

// Kind classifies a Fault.
type Kind int

// The kinds of fault a launch can end with.
const (
	// OutOfBounds is an access outside every allocation, shared memory
	// block, local frame or parameter buffer (including use after Free).
	OutOfBounds Kind = iota + 1
	// Misaligned is an access whose address is not a multiple of its size.
	Misaligned
	// UninitRead is a read of shared memory that no thread of the block has
	// written in this launch, a read of device memory that nothing has
	// written since Alloc, or a use of an uninitialised register as an
	// address, a branch condition or stored data.
	UninitRead
	// Race is a pair of shared-memory accesses to the same word by two
	// threads, at least one a write, with no barrier between them.
	Race
	// BarrierDivergence is a block whose threads wait at different barrier
	// instructions, so bar.sync would pair up unrelated code.
	BarrierDivergence
	// Deadlock is a block that cannot progress: threads wait at a barrier or
	// a warp-synchronous instruction that the others never reach.
	Deadlock
	// Trap is trap, __trap() or a failed device-side assert.
	Trap
	// StepLimit is a block that ran longer or more instructions than the
	// configured limits (see WithTimeLimit and WithStepLimit): an
	// infinite loop or a livelock. The fault names a thread that was
	// executing when the block was stopped.
	StepLimit
	// Unsupported is a state cudasim cannot execute (PTX it cannot run is
	// rejected by Load instead), or an internal simulator error.
	Unsupported
)

var kindNames = [...]string{
	OutOfBounds:       "out-of-bounds access",
	Misaligned:        "misaligned access",
	UninitRead:        "uninitialised read",
	Race:              "shared-memory race",
	BarrierDivergence: "divergent barrier",
	Deadlock:          "deadlock",
	Trap:              "trap",
	StepLimit:         "block never ends",
	Unsupported:       "unsupported operation",
}

// String names k as the fault messages do.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Fault is the error a launch returns when a kernel misbehaves. Its message
// carries every field, so a test log alone locates the bug.
type Fault struct {
	Kind   Kind
	Kernel string // .entry name
	Module string // name given to Load
	Line   int    // PTX source line of the faulting instruction
	Inst   string // that line's text, trimmed
	// SourceFile and SourceLine are the CUDA source position of the
	// instruction when the PTX carries line information (nvcc -lineinfo
	// or -G); SourceLine is 0 otherwise.
	SourceFile string
	SourceLine int
	Thread     driver.Dim3 // %tid of the faulting thread
	Block      driver.Dim3 // %ctaid of its block
	Addr       uint64      // address involved, when there is one
	HasAddr    bool        // whether Addr is meaningful
	Detail     string      // what exactly went wrong
}

// Error formats the fault on one line:
// "cudasim: <kind> in kernel K at M:L (file.cu:N) `inst`, thread (x,y,z) block (x,y,z), address 0x..: detail",
// the source position only with line information.
func (f *Fault) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cudasim: %s in kernel %s at %s:%d", f.Kind, f.Kernel, f.Module, f.Line)
	if f.SourceLine > 0 {
		fmt.Fprintf(&b, " (%s:%d)", f.SourceFile, f.SourceLine)
	}
	if f.Inst != "" {
		fmt.Fprintf(&b, " `%s`", f.Inst)
	}
	fmt.Fprintf(&b, ", thread %v block %v", f.Thread, f.Block)
	if f.HasAddr {
		fmt.Fprintf(&b, ", address %#x", f.Addr)
	}
	if f.Detail != "" {
		b.WriteString(": ")
		b.WriteString(f.Detail)
	}
	return b.String()
}

// ParseError is returned by Load for PTX that cudasim cannot parse or
// decode, with the position of the offending token.
type ParseError struct {
	Module string // name given to Load
	Line   int    // 1-based PTX line
	Msg    string // what is wrong
}

// Error formats the error as "cudasim: module:line: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("cudasim: %s:%d: %s", e.Module, e.Line, e.Msg)
}
