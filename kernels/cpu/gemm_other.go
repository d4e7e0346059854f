//go:build purego || !amd64

package cpu

// gemmKernels32 and gemmKernels64 hold only the portable micro-kernels:
// this build has no assembly.
var (
	gemmKernels32 = []microKernel[float32]{goKernel32}
	gemmKernels64 = []microKernel[float64]{goKernel64}
)

// transpose16, transposeLanes and transpose8 are unset: this build has no assembly, and
// packSliver transposes in Go.
var (
	transpose16    func(dst *float32, ldd int, src *float32, lds int, blocks int, mask uint16)
	transposeLanes int
	transpose8     func(dst *float64, ldd int, src *float64, lds int, blocks int, mask uint8)
)

// transposes32 lists only the Go loop.
var transposes32 = []transpose32{{name: "go"}}
