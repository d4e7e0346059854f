//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// fmaKernels lists the probe kernels this machine runs, fastest first:
// AVX-512F (16 zmm accumulators), AVX with FMA3 (12 ymm accumulators), and
// the portable loop. cpu.X86's flags include the operating system's
// consent to save the zmm and ymm state.
var fmaKernels = func() []fmaKernel {
	var ks []fmaKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, fmaKernel{name: "avx512", chains32: 16 * 16, chains64: 8 * 16, run32: fmaAVX512F32, run64: fmaAVX512F64})
	}
	if cpu.X86.HasAVX && cpu.X86.HasFMA {
		ks = append(ks, fmaKernel{name: "avx-fma", chains32: 8 * 12, chains64: 4 * 12, run32: fmaAVXF32, run64: fmaAVXF64})
	}
	return append(ks, goFMA)
}()

// fmaAVX512F32 runs fmaGo32's loop on 16 zmm registers of 16 lanes (256
// chains), one VFMADD213PS per register per step, every chain from 0 (the
// processor, unlike a compiler, does not merge equal chains), and returns
// lane 0 of the first register.
func fmaAVX512F32(steps int64, a, b float32) float32

// fmaAVX512F64 is fmaAVX512F32 for float64: 8 lanes (128 chains).
func fmaAVX512F64(steps int64, a, b float64) float64

// fmaAVXF32 is fmaAVX512F32 on 12 ymm registers of 8 lanes (96 chains).
func fmaAVXF32(steps int64, a, b float32) float32

// fmaAVXF64 is fmaAVXF32 for float64: 4 lanes (48 chains).
func fmaAVXF64(steps int64, a, b float64) float64
