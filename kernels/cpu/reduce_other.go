//go:build purego || !amd64

package cpu

// sumSets holds only the portable float sum kernels: this build has no
// assembly.
var sumSets = []sumSet{goSum}
