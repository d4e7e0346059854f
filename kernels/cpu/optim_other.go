//go:build purego || !amd64

package cpu

// adamF32Kernels and sgdF32Kernels list the float32 optimizer kernels
// this build runs: only the portable ones, as it has no assembly.
var (
	adamF32Kernels = []adamF32Kernel{goAdamF32}
	sgdF32Kernels  = []sgdF32Kernel{goSGDF32}
)
