//go:build cuda

package cuda_test

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
)

// TestConformanceGPU runs the backend suite on every CUDA device
// (`make test-cuda`, on a machine with an NVIDIA GPU).
func TestConformanceGPU(t *testing.T) {
	n, err := device.Count(device.CUDA)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := device.Device{Kind: device.CUDA, Index: i}
		t.Run(d.String(), func(t *testing.T) {
			b := device.MustOpen(d)
			t.Logf("%+v", b.Info())
			devicetest.Backend(t, b, devicetest.WithDTypes(device.BFloat16, device.Float16))
		})
	}
}
