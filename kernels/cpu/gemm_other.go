//go:build purego || !amd64

package cpu

// gemmKernels32 and gemmKernels64 hold only the portable micro-kernels:
// this build has no assembly.
var (
	gemmKernels32 = []microKernel[float32]{goKernel32}
	gemmKernels64 = []microKernel[float64]{goKernel64}
)

// packF32 is the Go loop and transpose8 is nil: this build has no
// assembly, and packSliver transposes in Go.
var (
	packF32    = transposes32[0]
	transpose8 func(dst *float64, ldd int, src *float64, lds int, blocks int, mask uint8)
)

// transposes32 lists only the Go loop.
var transposes32 = []transpose32{{name: "go"}}
