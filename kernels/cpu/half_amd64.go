//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// halfSet is the set of conversion kernels widen and narrow run: the
// AVX-512F ones, the AVX2 ones (with F16C for float16), or none (a
// variable, so that tests can run each set this machine has).
var halfSet = func() int {
	switch {
	case cpu.X86.HasAVX512F:
		return halfAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasF16C:
		return halfAVX2
	}
	return halfGo
}()

// widenVec widens n half values (a multiple of 16; float16 if f16, else
// bfloat16) with halfSet's kernels.
func widenVec(dst *float32, src *uint16, n int, f16 bool) {
	switch {
	case f16 && halfSet == halfAVX512:
		widenF16AVX512(dst, src, n)
	case f16:
		widenF16AVX2(dst, src, n)
	case halfSet == halfAVX512:
		widenBF16AVX512(dst, src, n)
	default:
		widenBF16AVX2(dst, src, n)
	}
}

// narrowVec rounds n float32s (a multiple of 16) to float16 if f16, else
// bfloat16, with halfSet's kernels.
func narrowVec(dst *uint16, src *float32, n int, f16 bool) {
	switch {
	case f16 && halfSet == halfAVX512:
		narrowF16AVX512(dst, src, n)
	case f16:
		narrowF16AVX2(dst, src, n)
	case halfSet == halfAVX512:
		narrowBF16AVX512(dst, src, n)
	default:
		narrowBF16AVX2(dst, src, n)
	}
}

// widenBF16AVX512, narrowBF16AVX512, widenF16AVX512 and narrowF16AVX512
// are widen and narrow over n elements (a multiple of 16), bit for bit
// (half_amd64.s); the AVX2 kernels likewise, 8 lanes at a time.
//
//go:noescape
func widenBF16AVX512(dst *float32, src *uint16, n int)

//go:noescape
func narrowBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func widenF16AVX512(dst *float32, src *uint16, n int)

//go:noescape
func narrowF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func widenBF16AVX2(dst *float32, src *uint16, n int)

//go:noescape
func narrowBF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func widenF16AVX2(dst *float32, src *uint16, n int)

//go:noescape
func narrowF16AVX2(dst *uint16, src *float32, n int)
