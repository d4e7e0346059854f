//go:build purego || !amd64

package cpu

// simpleF32Sets lists the exact float32 kernels this build runs: only
// the portable ones, as it has no assembly.
var simpleF32Sets = []simpleF32Set{goSimpleF32}
