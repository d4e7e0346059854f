package cpu_test

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
)

// TestHalfConformance runs the backend suite on the CPU in BFloat16 and
// Float16 against the CPU in float64 on the same rounded inputs (the
// float32 and float64 runs would compare the CPU with itself).
func TestHalfConformance(t *testing.T) {
	devicetest.Backend(t, device.MustOpen(device.CPUDevice), devicetest.WithDTypes(device.BFloat16, device.Float16))
}
