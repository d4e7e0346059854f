//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// sumSets lists the float sum kernels this machine runs, fastest first:
// AVX-512 (zmm elementwise accumulation for the column path; the lanes
// kernels stay AVX's, whose 8 lanes fill two ymm), AVX (ymm, in
// reduce_amd64.s), then the portable loops. All give bit-identical
// results: the column path's adds are elementwise, the lanes' order
// fixed.
var sumSets = func() []sumSet {
	var ss []sumSet
	if cpu.X86.HasAVX512F {
		ss = append(ss, sumSet{name: "avx512", lanes32: lanesF32AVX, lanes64: lanesF64AVX, vec32: vecF32AVX512, vec64: vecF64AVX512,
			cols32: colLanesF32AVX512})
	}
	if cpu.X86.HasAVX {
		ss = append(ss, sumSet{name: "avx", lanes32: lanesF32AVX, lanes64: lanesF64AVX, vec32: vecF32AVX, vec64: vecF64AVX})
	}
	return append(ss, goSum)
}()

// lanesF32AVX is lanesGo for float32 on two ymm registers of four lanes.
func lanesF32AVX(acc *[sumLanes]float64, x []float32)

// lanesF64AVX is lanesF32AVX for float64.
func lanesF64AVX(acc *[sumLanes]float64, x []float64)

// vecF32AVX is vecGo for float32, four elements at a time; len(x) is a
// multiple of 4.
func vecF32AVX(acc []float64, x []float32)

// vecF64AVX is vecF32AVX for float64.
func vecF64AVX(acc []float64, x []float64)

// vecF32AVX512 is vecF32AVX sixteen elements at a time (then four);
// len(x) is a multiple of 4.
func vecF32AVX512(acc []float64, x []float32)

// vecF64AVX512 is vecF32AVX512 for float64.
func vecF64AVX512(acc []float64, x []float64)

// colLanesF32AVX512 is sumSet.cols32: a tile of rows x 16·k columns, the
// 8 lanes of 16 outputs held in registers down the rows.
func colLanesF32AVX512(lanes []float64, width int, x []float32, stride, rows, cols int)
