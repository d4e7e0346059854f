//go:build purego || !amd64

package cpu

// halfSet is halfGo: widen and narrow run their Go loops, and never call
// the stand-ins below for half_amd64.s's kernels.
var halfSet = halfGo

func widenBF16AVX512(dst *float32, src *uint16, n int)  { panic("cpu: no assembly in this build") }
func narrowBF16AVX512(dst *uint16, src *float32, n int) { panic("cpu: no assembly in this build") }
func widenF16AVX512(dst *float32, src *uint16, n int)   { panic("cpu: no assembly in this build") }
func narrowF16AVX512(dst *uint16, src *float32, n int)  { panic("cpu: no assembly in this build") }
func widenBF16AVX2(dst *float32, src *uint16, n int)    { panic("cpu: no assembly in this build") }
func narrowBF16AVX2(dst *uint16, src *float32, n int)   { panic("cpu: no assembly in this build") }
func widenF16AVX2(dst *float32, src *uint16, n int)     { panic("cpu: no assembly in this build") }
func narrowF16AVX2(dst *uint16, src *float32, n int)    { panic("cpu: no assembly in this build") }
