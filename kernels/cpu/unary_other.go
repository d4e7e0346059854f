//go:build purego || !amd64

package cpu

// unaryF32Sets lists the float32 transcendental kernels this build runs:
// only the portable ones, as it has no assembly.
var unaryF32Sets = []unaryF32Set{goUnaryF32}
