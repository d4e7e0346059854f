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
