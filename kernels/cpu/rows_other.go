//go:build purego || !amd64

package cpu

// rowF32Sets lists the row kernels this build runs: only the portable
// ones, as it has no assembly.
var rowF32Sets = []rowF32Set{goRowF32}
