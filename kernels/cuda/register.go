package cuda

import (
	"fmt"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
)

// simulator opens the one cudasim device: this backend's PTX interpreted
// on the CPU.
type simulator struct{}

// Count returns 1: the simulator is always there.
func (simulator) Count() (int, error) { return 1, nil }

// Open returns a backend over a fresh simulator.
func (simulator) Open(index int) (device.Backend, error) {
	if index != 0 {
		return nil, fmt.Errorf("no cudasim device %d (there is only cudasim 0)", index)
	}
	return New(device.CUDASimDevice, cudasim.New()), nil
}

func init() { device.Register(device.CUDASim, simulator{}) }
