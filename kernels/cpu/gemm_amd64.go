//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// gemmKernels32 and gemmKernels64 list the micro-kernels this machine
// runs, fastest first: AVX-512F (14×32 float32, 14×16 float64: 28 zmm
// accumulators), AVX2 with FMA3 (6×16 and 6×8: 12 ymm accumulators), and
// the portable kernel. Blocks are sized so that one A sliver (mr×kc) stays
// in L1 while the B slivers of a packed B block (kc×nc, 1 MiB) stream from
// L2; the assembly is in gemm_avx512_amd64.s and gemm_avx2_amd64.s.
var gemmKernels32, gemmKernels64 = func() ([]microKernel[float32], []microKernel[float64]) {
	var k32 []microKernel[float32]
	var k64 []microKernel[float64]
	type (
		f32 = func(int, []float32, []float32, int, []float32, int, bool)
		f64 = func(int, []float64, []float64, int, []float64, int, bool)
		a32 = func(int, []float32, int, []float32, int, []float32, int, bool)
		a64 = func(int, []float64, int, []float64, int, []float64, int, bool)
	)
	if cpu.X86.HasAVX512F {
		k32 = append(k32, microKernel[float32]{name: "avx512", mr: 14, nr: 32, kc: 256, mc: 168, nc: 1024, run: sgemmAVX512,
			edges:  []f32{sgemmAVX512Rows2, sgemmAVX512Rows4, sgemmAVX512Rows6, sgemmAVX512Rows8, sgemmAVX512Rows10, sgemmAVX512Rows12},
			runA:   sgemmAVX512Lda,
			edgesA: []a32{sgemmAVX512LdaRows2, sgemmAVX512LdaRows4, sgemmAVX512LdaRows6, sgemmAVX512LdaRows8, sgemmAVX512LdaRows10, sgemmAVX512LdaRows12},
			dot:    sdotRows,
			axpy:   saxpyRows})
		k64 = append(k64, microKernel[float64]{name: "avx512", mr: 14, nr: 16, kc: 256, mc: 112, nc: 512, run: dgemmAVX512,
			edges:  []f64{dgemmAVX512Rows2, dgemmAVX512Rows4, dgemmAVX512Rows6, dgemmAVX512Rows8, dgemmAVX512Rows10, dgemmAVX512Rows12},
			runA:   dgemmAVX512Lda,
			edgesA: []a64{dgemmAVX512LdaRows2, dgemmAVX512LdaRows4, dgemmAVX512LdaRows6, dgemmAVX512LdaRows8, dgemmAVX512LdaRows10, dgemmAVX512LdaRows12}})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		k32 = append(k32, microKernel[float32]{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 144, nc: 2048, run: sgemmAVX2,
			edges: []f32{sgemmAVX2Rows2, sgemmAVX2Rows4}, runA: sgemmAVX2Lda, edgesA: []a32{sgemmAVX2LdaRows2, sgemmAVX2LdaRows4}})
		k64 = append(k64, microKernel[float64]{name: "avx2", mr: 6, nr: 8, kc: 256, mc: 96, nc: 1024, run: dgemmAVX2,
			edges: []f64{dgemmAVX2Rows2, dgemmAVX2Rows4}, runA: dgemmAVX2Lda, edgesA: []a64{dgemmAVX2LdaRows2, dgemmAVX2LdaRows4}})
	}
	return append(k32, goKernel32), append(k64, goKernel64)
}()

// sgemmAVX512 is gemmGo's loop (see microKernel) for a 14×32 float32 tile,
// with one FMA per product.
func sgemmAVX512(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)

// dgemmAVX512 is sgemmAVX512 for a 14×16 float64 tile.
func dgemmAVX512(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)

// sgemmAVX2 is sgemmAVX512 on ymm registers for a 6×16 float32 tile.
func sgemmAVX2(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)

// dgemmAVX2 is sgemmAVX2 for a 6×8 float64 tile.
func dgemmAVX2(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)

// The edge kernels compute the first 2, 4, ... rows of their full
// kernel's tile from the same packed A sliver (a[p*MR+i], MR the full
// kernel's rows), for a block's last sliver when it has fewer rows: each
// row's sums are the full kernel's, bit for bit, without the work of the
// padding rows (12 of the 14 in the last sliver of a 128-row product).

func sgemmAVX512Rows2(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512Rows4(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512Rows6(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512Rows8(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512Rows10(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512Rows12(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func dgemmAVX512Rows2(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512Rows4(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512Rows6(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512Rows8(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512Rows10(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512Rows12(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func sgemmAVX2Rows2(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX2Rows4(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
func dgemmAVX2Rows2(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX2Rows4(k int, a, b []float64, ldb int, c []float64, ldc int, acc bool)

// The Lda kernels are the kernels above, edge kernels too, reading A in
// place instead of from a packed sliver: row i of the tile at a[i*lda:],
// element p of the row at a[i*lda+p]. Their sums are those of the packed
// kernel, bit for bit (the same products in the same order).

func sgemmAVX512Lda(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows4(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows6(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows8(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows10(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX512LdaRows12(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func dgemmAVX512Lda(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows2(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows4(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows6(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows8(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows10(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX512LdaRows12(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func sgemmAVX2Lda(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX2LdaRows2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func sgemmAVX2LdaRows4(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)
func dgemmAVX2Lda(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX2LdaRows2(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)
func dgemmAVX2LdaRows4(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool)

// packF32 is the float32 packing transpose packSliver uses, the fastest of
// transposes32; transpose8 is the float64 one, transpose8AVX512 with
// AVX-512F, else nil (packSliver then transposes in Go).
var (
	packF32    = transposes32[0]
	transpose8 func(dst *float64, ldd int, src *float64, lds int, blocks int, mask uint8)
)

func init() {
	if cpu.X86.HasAVX512F {
		transpose8 = transpose8AVX512
	}
}

// transposes32 lists the float32 packing transposes this machine runs,
// fastest first; the last, with no function, is the Go loop.
var transposes32 = func() []transpose32 {
	var ts []transpose32
	if cpu.X86.HasAVX512F {
		ts = append(ts, transpose32{"avx512", transpose16AVX512, 16})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT {
		ts = append(ts, transpose32{"avx2", transpose8AVX2, 8})
	}
	return append(ts, transpose32{name: "go"})
}()

// avx2Masks[c] stores the first c of 8 lanes (VMASKMOVPS reads the sign
// bits).
var avx2Masks = func() (m [9][8]int32) {
	for c := range m {
		for i := range c {
			m[c][i] = -1
		}
	}
	return m
}()

// transpose16AVX512 writes dst[p*ldd+i] = src[i*lds+p] for p < 16*blocks
// and the lines i < 16 whose mask bit is set, reading all 16 lines
// (pack_avx512_amd64.s).
//
//go:noescape
func transpose16AVX512(dst *float32, ldd int, src *float32, lds int, blocks int, mask uint16)

// transpose8AVX512 is transpose16AVX512 for float64s: 8 lines, 8*blocks
// elements of each (pack_avx512_amd64.s).
//
//go:noescape
func transpose8AVX512(dst *float64, ldd int, src *float64, lds int, blocks int, mask uint8)

// transpose8AVX2 is transpose16AVX512 on AVX2 for 8 lines, 8*blocks
// float32s of each, storing the first popcount(mask) lines
// (pack_amd64.s).
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, blocks int, mask uint16)
