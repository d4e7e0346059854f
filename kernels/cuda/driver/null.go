package driver

import (
	"fmt"
	"sync"
)

// Null is a Driver that does no work: allocations return distinct
// addresses, copies and launches return at once, reads leave the host
// buffer as it is. Running the backend over Null measures its host cost
// per op (argument marshalling, allocation, bookkeeping) without a device.
type Null struct {
	mu   sync.Mutex
	next DevPtr
}

var (
	_ Driver         = (*Null)(nil)
	_ PackedLauncher = (*Null)(nil)
)

// Props describes an imaginary device with 80 SMs.
func (n *Null) Props() Props {
	return Props{Name: "null", TotalMem: 1 << 40, Major: 9, SMs: 80, MaxThreadsPerBlock: 1024,
		MaxSharedPerBlock: 48 << 10, MaxGridX: 1<<31 - 1, WarpSize: 32}
}

// Alloc returns the next free address, 256-byte aligned as cuMemAlloc's are.
func (n *Null) Alloc(bytes int) (DevPtr, error) {
	if bytes <= 0 {
		return 0, fmt.Errorf("null driver: Alloc of %d bytes", bytes)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.next == 0 {
		n.next = 1 << 20
	}
	p := n.next
	n.next += DevPtr((bytes + 255) &^ 255)
	return p, nil
}

// Free does nothing.
func (n *Null) Free(DevPtr) error { return nil }

// CopyHtoD does nothing.
func (n *Null) CopyHtoD(DevPtr, []byte) error { return nil }

// CopyDtoH does nothing.
func (n *Null) CopyDtoH([]byte, DevPtr) error { return nil }

// CopyDtoD does nothing.
func (n *Null) CopyDtoD(_, _ DevPtr, _ int) error { return nil }

// Memset does nothing.
func (n *Null) Memset(DevPtr, byte, int) error { return nil }

// Load returns a module with every function.
func (n *Null) Load(string, string) (Module, error) { return nullModule{}, nil }

// Launch does nothing.
func (n *Null) Launch(Function, Dim3, Dim3, int, ...any) error { return nil }

// LaunchPacked does nothing.
func (n *Null) LaunchPacked(Function, Dim3, Dim3, int, *Args) error { return nil }

// Sync does nothing.
func (n *Null) Sync() error { return nil }

type nullModule struct{}

func (nullModule) Function(name string) (Function, error) { return nullFunction(name), nil }

type nullFunction string

func (f nullFunction) Name() string { return string(f) }
