//go:build purego || !amd64

package cpu

// gemmKernels32 and gemmKernels64 hold only the portable micro-kernels:
// this build has no assembly.
var (
	gemmKernels32 = []microKernel[float32]{goKernel32}
	gemmKernels64 = []microKernel[float64]{goKernel64}
)
