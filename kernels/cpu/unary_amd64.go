//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// unaryF32Sets lists the float32 transcendental kernels this machine runs,
// fastest first: AVX-512F (16 lanes, masked tail), AVX2 (8 lanes: the
// Haswell-and-later machines without AVX-512), then the portable loop.
// All give bit-identical results (see unary_f32.go).
var unaryF32Sets = func() []unaryF32Set {
	var ss []unaryF32Set
	if cpu.X86.HasAVX512F {
		s := unaryF32Set{name: "avx512", exp: expAVX512, log: logAVX512, tanh: tanhAVX512, sigmoid: sigmoidAVX512}.withMore().withAsm(geluAVX512, log1pAVX512, expm1AVX512)
		if cpu.X86.HasAVX512DQ {
			s.sin, s.cos, s.tan = trigAsm(sinAVX512, trigSin), trigAsm(cosAVX512, trigCos), trigAsm(tanAVX512, trigTan)
			s.erf = erfLanes(func(dst, x *float32, n int) { erfAVX512(dst, x, n, &erfTab) })
		}
		s.pow = func(dst, x *float32, n int, p float64) int { return powAVX512(dst, x, n, p, &powVec) }
		ss = append(ss, s)
	}
	if cpu.X86.HasAVX2 {
		s := unaryF32Set{name: "avx2", exp: expAVX2, log: logAVX2, tanh: tanhAVX2, sigmoid: sigmoidAVX2}.withMore().withAsm(geluAVX2, log1pAVX2, expm1AVX2)
		s.erf = erfLanes(func(dst, x *float32, n int) { erfAVX2(dst, x, n, &erfTab, &erfVec) })
		s.sin, s.cos, s.tan = trigAsm(sinAVX2, trigSin), trigAsm(cosAVX2, trigCos), trigAsm(tanAVX2, trigTan)
		s.pow = func(dst, x *float32, n int, p float64) int { return powAVX2(dst, x, n, p, &powVec) }
		ss = append(ss, s)
	}
	return append(ss, goUnaryF32)
}()

// The kernels below give expF32, logF32, tanhF32 and sigmoidF32 bit for
// bit, so their error bounds, in float32 ulps of the correctly rounded
// result over the whole float32 range, are those of unary_f32.go: exp 1,
// log 1, tanh 2, sigmoid 2 (TestUnaryF32Accuracy checks every variant).

// expAVX512 is expF32 over x (within 1 ulp), 16 lanes at a time, the last
// partial vector under a mask.
func expAVX512(dst, x []float32)

// logAVX512 is logF32 over x (within 1 ulp), as expAVX512.
func logAVX512(dst, x []float32)

// tanhAVX512 is tanhF32 over x (within 2 ulp), as expAVX512.
func tanhAVX512(dst, x []float32)

// sigmoidAVX512 is sigmoidF32 over x (within 2 ulp), as expAVX512.
func sigmoidAVX512(dst, x []float32)

// sinAVX512, cosAVX512 and tanAVX512 are trigBlock's sin, cos and tan
// (within 1 ulp) over n floats (a multiple of 8), 8 float64 lanes at a
// time (AVX-512F and DQ), bit for bit; they return how many elements were
// out of their range (|x| >= trigMax, ±Inf, NaN), whose results the
// caller must redo (trigAsm).
//
//go:noescape
func sinAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int

//go:noescape
func cosAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int

//go:noescape
func tanAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int

// expAVX2 is expF32 over x (within 1 ulp), 8 lanes at a time, the last
// partial vector through masked loads and stores (unary_avx2_amd64.s).
func expAVX2(dst, x []float32)

// logAVX2 is logF32 over x (within 1 ulp), as expAVX2.
func logAVX2(dst, x []float32)

// tanhAVX2 is tanhF32 over x (within 2 ulp), as expAVX2.
func tanhAVX2(dst, x []float32)

// sigmoidAVX2 is sigmoidF32 over x (within 2 ulp), as expAVX2.
func sigmoidAVX2(dst, x []float32)

// geluAVX512 is geluF32 over x (within 4 ulp), as expAVX512: geluArg's
// float64 steps, the exponential and geluFinish in one pass, in the Go
// code's order, so the bits are the portable kernel's.
func geluAVX512(dst, x []float32)

// geluAVX2 is geluAVX512 on 8 lanes.
func geluAVX2(dst, x []float32)

// log1pAVX512 is log1pF32 over x (within 2 ulp), as expAVX512: 1+x, the
// logarithm and log1pFinish in one pass, so the bits are the portable
// kernel's.
func log1pAVX512(dst, x []float32)

// log1pAVX2 is log1pAVX512 on 8 lanes.
func log1pAVX2(dst, x []float32)

// expm1AVX512 is expm1F32 over x (within 2 ulp), as expAVX512: the
// exponential, its logarithm and expm1Finish in one pass, so the bits are
// the portable kernel's.
func expm1AVX512(dst, x []float32)

// expm1AVX2 is expm1AVX512 on 8 lanes.
func expm1AVX2(dst, x []float32)

// erfAVX512 is erfF32 (within 1 ulp) over n floats (a multiple of 8), 8
// float64 lanes at a time (AVX-512F and DQ), bit for bit (erf_amd64.s);
// erfAVX2 likewise, 4 lanes at a time.
//
//go:noescape
func erfAVX512(dst, x *float32, n int, tab *[erfDeg + 2][8]float64)

//go:noescape
func erfAVX2(dst, x *float32, n int, tab *[erfDeg + 2][8]float64, c *[erfVecN][4]float64)

// erfLanes returns the slice kernel of k, an assembly kernel of erfF32
// over a multiple of 8 floats: k over the whole vectors, erfF32 over the
// last len(x)%8 elements.
func erfLanes(k func(dst, x *float32, n int)) func(dst, x []float32) {
	return func(dst, x []float32) {
		dst = dst[:len(x)]
		n8 := len(x) &^ 7
		if n8 > 0 {
			k(&dst[0], &x[0], n8)
		}
		for i := n8; i < len(x); i++ {
			dst[i] = erfF32(x[i])
		}
	}
}

// powAVX512 is powPos over n floats (a multiple of 8), 8 float64 lanes at
// a time (AVX-512F), bit for bit, for powF32 (as unaryF32Set.pow); it returns how
// many elements were not positive and finite, whose results the caller
// must redo (pow_amd64.s).
//
//go:noescape
func powAVX512(dst, x *float32, n int, p float64, c *[powVecN][4]float64) int

// powAVX2 is powAVX512 on 4 lanes (AVX2), bit for bit.
//
//go:noescape
func powAVX2(dst, x *float32, n int, p float64, c *[powVecN][4]float64) int

// sinAVX2, cosAVX2 and tanAVX2 are sinAVX512, cosAVX512 and tanAVX512 on
// 4 lanes (AVX2), bit for bit.
//
//go:noescape
func sinAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int

//go:noescape
func cosAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int

//go:noescape
func tanAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int
