//go:build cuda

package cuda

import (
	"fmt"

	"gorgonia.org/cu"

	"github.com/tapegrad/tapegrad/device"
)

// gpus opens NVIDIA GPUs through the CUDA driver API.
type gpus struct{}

// Count returns the number of CUDA devices.
func (gpus) Count() (int, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return 0, fmt.Errorf("cuDeviceGetCount: %w", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("no CUDA device on this machine")
	}
	return n, nil
}

// Open creates a context on GPU index and a backend over it.
func (gpus) Open(index int) (device.Backend, error) {
	d, err := openCU(index)
	if err != nil {
		return nil, err
	}
	b := New(device.Device{Kind: device.CUDA, Index: index}, d)
	b.src = fatbinSource
	return b, nil
}

func init() { device.Register(device.CUDA, gpus{}) }
