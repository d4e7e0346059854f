//go:build purego || !amd64

package cpu

// fmaKernels holds only the portable probe kernel: this build has no
// assembly.
var fmaKernels = []fmaKernel{goFMA}
