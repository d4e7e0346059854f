package autograd_test

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cuda" // cudasim: the CUDA backend's PTX on the CPU
)

// TestCasesJVPCUDASim checks every op's JVP on cudasim, against central
// differences and the VJP there: the rules are Var ops, so they must run
// on every device. One seed per op, first and second order, keeps the
// simulator's time to seconds.
func TestCasesJVPCUDASim(t *testing.T) {
	if _, err := device.Open(device.CUDASimDevice); err != nil {
		t.Fatalf("cudasim: %v", err)
	}
	checkJVPCases(t, device.CUDASimDevice, 1, true)
}
