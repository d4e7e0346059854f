//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// rowF32Sets lists the row kernels of rows_f32.go this machine runs,
// fastest first; all give the same bits.
var rowF32Sets = func() []rowF32Set {
	var ss []rowF32Set
	if cpu.X86.HasAVX512F {
		ss = append(ss, rowF32Set{name: "avx512", max: maxBlocksAVX512, expSum: expSumAVX512,
			affine: affineAVX512, dot: dotAVX512, mulSub: mulSubAVX512, subMul: subMulAVX512})
	}
	if cpu.X86.HasAVX2 {
		ss = append(ss, rowF32Set{name: "avx2", max: maxBlocksAVX2, expSum: expSumAVX2,
			affine: affineAVX2, dot: dotAVX2, mulSub: mulSubAVX2, subMul: subMulAVX2})
	}
	return append(ss, goRowF32)
}()

// The kernels below are rowF32Set's fields (see there) over whole blocks
// of 16 elements: in rows_amd64.s, but expSum, in unary_amd64.s (AVX-512)
// and unary_avx2_amd64.s (AVX2) beside the exp macros it uses.
// The exponentials are expF32's, bit for bit (within 1 ulp).

// maxBlocksAVX512 is rowF32Set.max.
func maxBlocksAVX512(x []float32) float32

// expSumAVX512 is rowF32Set.expSum.
func expSumAVX512(dst, x []float32, shift float32, lanes *[16]float64)

// affineAVX512 is rowF32Set.affine.
func affineAVX512(dst, x []float32, mul, add float64)

// dotAVX512 is rowF32Set.dot.
func dotAVX512(a, b []float32, lanes *[16]float64)

// mulSubAVX512 is rowF32Set.mulSub.
func mulSubAVX512(dst, y, dy []float32, s float64)

// maxBlocksAVX2 is rowF32Set.max.
func maxBlocksAVX2(x []float32) float32

// expSumAVX2 is rowF32Set.expSum.
func expSumAVX2(dst, x []float32, shift float32, lanes *[16]float64)

// affineAVX2 is rowF32Set.affine.
func affineAVX2(dst, x []float32, mul, add float64)

// dotAVX2 is rowF32Set.dot.
func dotAVX2(a, b []float32, lanes *[16]float64)

// mulSubAVX2 is rowF32Set.mulSub.
func mulSubAVX2(dst, y, dy []float32, s float64)

// subMulAVX512 is rowF32Set.subMul.
func subMulAVX512(dst, e, dy []float32, s float64)

// subMulAVX2 is rowF32Set.subMul.
func subMulAVX2(dst, e, dy []float32, s float64)
