//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// simpleF32Sets lists the exact float32 kernels this machine runs,
// fastest first: AVX-512F (16 lanes, masked tail), AVX2 (8 lanes), then
// the portable loops. All give the same bits (see simple_f32.go).
var simpleF32Sets = func() []simpleF32Set {
	var ss []simpleF32Set
	if cpu.X86.HasAVX512F {
		ss = append(ss, simpleF32Set{name: "avx512", neg: negAVX512, abs: absAVX512, sign: signAVX512,
			sqrt: sqrtAVX512, relu: reluAVX512, leaky: leakyReLUAVX512,
			add: addAVX512, sub: subAVX512, mul: mulAVX512, div: divAVX512, reluGrad: reluGradAVX512,
			sigmoidGrad: sigmoidGradAVX512, tanhGrad: tanhGradAVX512, leakyGrad: leakyReLUGradAVX512})
	}
	if cpu.X86.HasAVX2 {
		ss = append(ss, simpleF32Set{name: "avx2", neg: negAVX2, abs: absAVX2, sign: signAVX2,
			sqrt: sqrtAVX2, relu: reluAVX2, leaky: leakyReLUAVX2,
			add: addAVX2, sub: subAVX2, mul: mulAVX2, div: divAVX2, reluGrad: reluGradAVX2,
			sigmoidGrad: sigmoidGradAVX2, tanhGrad: tanhGradAVX2, leakyGrad: leakyReLUGradAVX2})
	}
	return append(ss, goSimpleF32)
}()

// The kernels below give the Go loops of simple_f32.go bit for bit: the
// correctly rounded result of each op. The AVX-512 ones run 16 lanes and
// mask the tail; the AVX2 ones run 8 lanes and mask the tail with
// VMASKMOVPS. Each writes dst[i] for i < len(x) (or len(a)) only.

// negAVX512 is dst[i] = -x[i] (the sign bit flipped).
func negAVX512(dst, x []float32)

// absAVX512 is dst[i] = |x[i]| (the sign bit cleared).
func absAVX512(dst, x []float32)

// signAVX512 is dst[i] = signF32(x[i]).
func signAVX512(dst, x []float32)

// sqrtAVX512 is dst[i] = √x[i], correctly rounded (VSQRTPS).
func sqrtAVX512(dst, x []float32)

// reluAVX512 is dst[i] = max(x[i], +0), NaN kept.
func reluAVX512(dst, x []float32)

// leakyReLUAVX512 is leakyReLUGo: p·x in float64, rounded once.
func leakyReLUAVX512(dst, x []float32, p float64)

// addAVX512 is dst[i] = a[i] + b[i].
func addAVX512(dst, a, b []float32)

// subAVX512 is dst[i] = a[i] - b[i].
func subAVX512(dst, a, b []float32)

// mulAVX512 is dst[i] = a[i] * b[i].
func mulAVX512(dst, a, b []float32)

// divAVX512 is dst[i] = a[i] / b[i].
func divAVX512(dst, a, b []float32)

// reluGradAVX512 is reluGradGo: b[i] where a[i] > 0, else +0.
func reluGradAVX512(dst, a, b []float32)

// negAVX2 is negAVX512 on 8 lanes.
func negAVX2(dst, x []float32)

// absAVX2 is absAVX512 on 8 lanes.
func absAVX2(dst, x []float32)

// signAVX2 is signAVX512 on 8 lanes.
func signAVX2(dst, x []float32)

// sqrtAVX2 is sqrtAVX512 on 8 lanes.
func sqrtAVX2(dst, x []float32)

// reluAVX2 is reluAVX512 on 8 lanes.
func reluAVX2(dst, x []float32)

// leakyReLUAVX2 is leakyReLUAVX512 on 8 lanes.
func leakyReLUAVX2(dst, x []float32, p float64)

// addAVX2 is addAVX512 on 8 lanes.
func addAVX2(dst, a, b []float32)

// subAVX2 is subAVX512 on 8 lanes.
func subAVX2(dst, a, b []float32)

// mulAVX2 is mulAVX512 on 8 lanes.
func mulAVX2(dst, a, b []float32)

// divAVX2 is divAVX512 on 8 lanes.
func divAVX2(dst, a, b []float32)

// reluGradAVX2 is reluGradAVX512 on 8 lanes.
func reluGradAVX2(dst, a, b []float32)

// sigmoidGradAVX512 is dst = float32((float64(b)·y)·(1 - y)), y = float64(a).
func sigmoidGradAVX512(dst, a, b []float32)

// tanhGradAVX512 is dst = float32(float64(b)·(1 - y·y)), y = float64(a).
func tanhGradAVX512(dst, a, b []float32)

// leakyReLUGradAVX512 is leakyReLUGradGo: b where a > 0, else p·b.
func leakyReLUGradAVX512(dst, a, b []float32, p float64)

// sigmoidGradAVX2 is sigmoidGradAVX512 on 8 lanes.
func sigmoidGradAVX2(dst, a, b []float32)

// tanhGradAVX2 is tanhGradAVX512 on 8 lanes.
func tanhGradAVX2(dst, a, b []float32)

// leakyReLUGradAVX2 is leakyReLUGradAVX512 on 8 lanes.
func leakyReLUGradAVX2(dst, a, b []float32, p float64)
