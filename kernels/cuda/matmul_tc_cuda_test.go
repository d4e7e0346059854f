//go:build cuda

package cuda

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// TestMatMulTensorCoresGPU runs the tensor-core kernels on cuda:0 (compute
// 8.0 or newer; gpu-check.sh runs it) at tcShapes and at sizes that fill
// many 128x128 tiles and take many k-tiles.
func TestMatMulTensorCoresGPU(t *testing.T) {
	b := tensorCoreGPU(t)
	runTCShapes(t, b, append(tcShapes,
		tcCase{batch: 1, m: 512, n: 512, k: 512},
		tcCase{batch: 3, m: 300, n: 257, k: 777, transA: true, transB: true, bcastB: true},
		tcCase{batch: 2, m: 255, n: 384, k: 130, transB: true, aOff: 1, pad: 1},
	))
}

// TestMatMulTF32ModeGPU: TF32 rounds on cuda:0 (compute 8.0 or newer)
// as cvt.rna.tf32.f32 does, and without it the product is exact.
func TestMatMulTF32ModeGPU(t *testing.T) {
	b := tensorCoreGPU(t)
	checkTF32Mode(t, b, true, tf32Rounded)
	checkTF32Mode(t, b, false, tf32Inputs)
}

// tensorCoreGPU opens cuda:0, skipping below compute 8.0.
func tensorCoreGPU(t *testing.T) *Backend {
	be, err := device.Open(device.Device{Kind: device.CUDA})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	if b.props.Major < tcMajor {
		t.Skipf("%s is compute %d.%d: no tensor-core kernels", b.props.Name, b.props.Major, b.props.Minor)
	}
	return b
}
