//go:build purego || !amd64

package cpu

// adamF32Kernels lists the float32 Adam kernels this build runs: only the
// portable one, as it has no assembly.
var adamF32Kernels = []adamF32Kernel{goAdamF32}
