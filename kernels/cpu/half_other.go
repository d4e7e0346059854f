//go:build purego || !amd64

package cpu

// halfVector is false: widen and narrow run their Go loops, and never
// call the stand-ins below for half_amd64.s's kernels.
var halfVector = false

func widenBF16AVX512(dst *float32, src *uint16, n int) {
	panic("cpu: no widenBF16AVX512 in this build")
}
func narrowBF16AVX512(dst *uint16, src *float32, n int) {
	panic("cpu: no narrowBF16AVX512 in this build")
}
func widenF16AVX512(dst *float32, src *uint16, n int) { panic("cpu: no widenF16AVX512 in this build") }
func narrowF16AVX512(dst *uint16, src *float32, n int) {
	panic("cpu: no narrowF16AVX512 in this build")
}
