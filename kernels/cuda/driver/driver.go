// Package driver is the narrow interface between the CUDA backend and
// whatever executes its PTX: the real GPU through gorgonia's cu package (build
// tag cuda) or the cudasim simulator. It imports nothing, so both
// implementations and the backend can depend on it without cycles.
package driver

import (
	"errors"
	"fmt"
)

// ErrOutOfMemory is wrapped by an Alloc error when the device has no room
// for the request. It is the only allocation failure worth retrying after
// freeing cached memory.
var ErrOutOfMemory = errors.New("out of device memory")

// ErrDeviceFault is wrapped by errors that leave the device context
// unusable: a kernel read an illegal address, ran an illegal instruction,
// or otherwise faulted. The GPU reports such a fault at whichever call
// comes next, so the call that returns it is usually not the culprit; the
// backend names the last kernel it launched.
var ErrDeviceFault = errors.New("device fault (sticky: the context is unusable)")

// DevPtr is an address in device memory. 0 is never a valid allocation.
type DevPtr uint64

// Dim3 is a grid or block extent. X must be positive; zero Y and Z
// mean 1.
type Dim3 struct{ X, Y, Z int }

// Count returns X*Y*Z, treating zero components as 1.
func (d Dim3) Count() int { return max(d.X, 1) * max(d.Y, 1) * max(d.Z, 1) }

// String formats d as (x,y,z).
func (d Dim3) String() string { return fmt.Sprintf("(%d,%d,%d)", d.X, d.Y, d.Z) }

// Props are the device properties the backend sizes its launches from.
type Props struct {
	Name               string
	TotalMem           int64
	Major, Minor       int // compute capability
	SMs                int
	MaxThreadsPerBlock int
	MaxSharedPerBlock  int // bytes of shared memory a block may use
	MaxGridX           int
	WarpSize           int
}

// Module is loaded PTX.
type Module interface {
	// Function looks up an .entry by its (extern "C") name.
	Function(name string) (Function, error)
}

// Function is a kernel entry point of a loaded Module.
type Function interface {
	Name() string
}

// Driver executes PTX kernels on one device. Implementations are safe for
// use from one goroutine at a time; the backend serialises calls.
//
// Launch arguments are Go values matching the kernel's .param list in
// order: DevPtr, int32, uint32, int64, uint64, float32 or float64 for
// scalars, and []byte for an aggregate passed by value (a C struct such as
// a shape/stride descriptor, which nvcc declares as
// `.param .align A .b8 name[N]`; the slice holds its N little-endian
// bytes). A mismatch in count or size is an error. A driver that can take
// the same arguments packed in an Args also implements PackedLauncher,
// which the backend prefers: boxing each value in an interface costs an
// allocation per argument.
type Driver interface {
	Props() Props
	// Alloc allocates bytes > 0 of device memory (0 is an error, as with
	// cuMemAlloc; the backend serves empty buffers itself).
	Alloc(bytes int) (DevPtr, error)
	Free(p DevPtr) error
	CopyHtoD(dst DevPtr, src []byte) error
	CopyDtoH(dst []byte, src DevPtr) error
	CopyDtoD(dst, src DevPtr, bytes int) error
	Memset(dst DevPtr, value byte, bytes int) error
	// Load compiles/loads PTX text; name is used in error messages.
	Load(name, ptx string) (Module, error)
	Launch(f Function, grid, block Dim3, sharedBytes int, args ...any) error
	// Sync waits for all launched work and returns the first asynchronous
	// error.
	Sync() error
}

// Undefiner is implemented by drivers that track which device bytes were
// written (cudasim): the caching allocator calls Undefine when it hands a
// cached block out again, so that reading what the previous owner left is
// caught like reading fresh memory.
type Undefiner interface {
	Undefine(p DevPtr, bytes int) error
}
