package autograd_test

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
)

// TestOpsConformanceCPU runs the conformance suite with the CPU as both
// the device and the reference: trivially equal, but it keeps the suite
// itself (every case, forward and backward, in both dtypes) exercised.
func TestOpsConformanceCPU(t *testing.T) { devicetest.Ops(t, device.CPUDevice) }

// TestOpsConformanceCPUHalf runs every case in BFloat16 and Float16 on
// the CPU against the CPU in float64 on the same rounded inputs.
func TestOpsConformanceCPUHalf(t *testing.T) {
	devicetest.Ops(t, device.CPUDevice, devicetest.WithDTypes(device.BFloat16, device.Float16))
}
