//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// halfVector reports whether widen and narrow run the AVX-512F kernels
// below (a variable, so that tests can run the Go loops too).
var halfVector = cpu.X86.HasAVX512F

// widenBF16AVX512, narrowBF16AVX512, widenF16AVX512 and narrowF16AVX512
// are widen and narrow over n elements (a multiple of 16), bit for bit
// (half_amd64.s).
//
//go:noescape
func widenBF16AVX512(dst *float32, src *uint16, n int)

//go:noescape
func narrowBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func widenF16AVX512(dst *float32, src *uint16, n int)

//go:noescape
func narrowF16AVX512(dst *uint16, src *float32, n int)
