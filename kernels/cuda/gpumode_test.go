// The race-detector pass (make test) skips this second run of the suite:
// ModeGPU changes only how floats are rounded, not how blocks run
// concurrently, and under -race it would add about 50 s.

//go:build !race

package cuda_test

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
)

// TestConformanceGPUMode runs the backend suite once more with cudasim in
// ModeGPU (mul+add contracted into FMA as ptxas does, .approx results at
// their error bound), so a tolerance that only holds for correctly
// rounded arithmetic fails here rather than on a GPU. The backend suite
// launches every kernel of every dtype; TAPEGRAD_CUDASIM_MODE=gpu runs
// the whole package in that mode.
func TestConformanceGPUMode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	devicetest.Backend(t, cuda.New(device.CUDASimDevice, cudasim.New(cudasim.WithMode(cudasim.ModeGPU))),
		devicetest.WithDTypes(device.BFloat16, device.Float16))
}
