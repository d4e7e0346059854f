package device

import (
	"fmt"
	"os"
	"sync"
)

// Driver opens backends of one kind. Backend packages register one from
// their init functions.
type Driver interface {
	// Count returns how many devices of this kind the machine has, or an
	// error that says why there are none.
	Count() (int, error)
	// Open opens device number index.
	Open(index int) (Backend, error)
}

var (
	mu       sync.Mutex
	drivers  = map[Kind]Driver{}
	backends = map[Device]Backend{}
)

// Register makes a kind of device available. Registering a kind twice
// panics: two packages claim the same devices.
func Register(k Kind, d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := drivers[k]; dup {
		panic("device: Register called twice for " + k.String())
	}
	drivers[k] = d
}

// missing explains how to get a kind the build lacks.
func missing(k Kind) error {
	switch k {
	case CPU:
		return fmt.Errorf("cpu: not linked in; import _ %q", "github.com/tapegrad/tapegrad/kernels/cpu")
	case CUDA:
		return fmt.Errorf("cuda: not compiled in; build with -tags cuda on a machine with the CUDA driver")
	case CUDASim:
		return fmt.Errorf("cudasim: not linked in; import _ %q", "github.com/tapegrad/tapegrad/kernels/cuda")
	}
	return fmt.Errorf("%v: no such device kind", k)
}

// Open returns the backend of d, opening it on first use; later calls
// return the same Backend.
func Open(d Device) (Backend, error) {
	mu.Lock()
	defer mu.Unlock()
	if b, ok := backends[d]; ok {
		return b, nil
	}
	drv, ok := drivers[d.Kind]
	if !ok {
		return nil, missing(d.Kind)
	}
	n, err := drv.Count()
	if err != nil {
		return nil, fmt.Errorf("%v: %w", d, err)
	}
	if d.Index < 0 || d.Index >= n {
		return nil, fmt.Errorf("%v: no such device (this machine has %d %v device(s))", d, n, d.Kind)
	}
	b, err := drv.Open(d.Index)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", d, err)
	}
	backends[d] = b
	return b, nil
}

// MustOpen is Open for devices that must exist, such as the CPU in a
// program that imports kernels/cpu; it panics on error.
func MustOpen(d Device) Backend {
	b, err := Open(d)
	if err != nil {
		panic(err)
	}
	return b
}

// Available lists the devices this build can open on this machine: the
// CPU, each CUDA device, and the simulator, in that order.
func Available() []Device {
	var out []Device
	for _, k := range []Kind{CPU, CUDA, CUDASim} {
		if n, err := Count(k); err == nil {
			for i := 0; i < n; i++ {
				out = append(out, Device{Kind: k, Index: i})
			}
		}
	}
	return out
}

// Count returns how many devices of kind k this build can open, or an
// error that says why there are none (not compiled in, no driver, no GPU).
func Count(k Kind) (int, error) {
	mu.Lock()
	drv, ok := drivers[k]
	mu.Unlock()
	if !ok {
		return 0, missing(k)
	}
	return drv.Count()
}

// EnvDevice is the environment variable Default honours.
const EnvDevice = "TAPEGRAD_DEVICE"

// Default returns the device to use when the user named none: the one in
// $TAPEGRAD_DEVICE if set (an unparsable value is an error), else the
// first CUDA device, else the CPU. It never picks the simulator on its own.
func Default() (Device, error) {
	if s := os.Getenv(EnvDevice); s != "" {
		d, err := Parse(s)
		if err != nil {
			return Device{}, fmt.Errorf("%s: %w", EnvDevice, err)
		}
		return d, nil
	}
	if n, err := Count(CUDA); err == nil && n > 0 {
		return Device{Kind: CUDA}, nil
	}
	return CPUDevice, nil
}
