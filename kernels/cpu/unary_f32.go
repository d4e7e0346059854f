package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Float32 kernels of Exp, Log, Tanh and Sigmoid (and, built on them,
// unary_more_f32.go's GELU, Log1p and Expm1; trig_f32.go has Sin, Cos
// and Tan, and erf_f32.go Erf, in Go and AVX-512 and AVX2 assembly). Each op has a scalar Go
// definition here, which is the portable kernel and the documentation of
// the assembly ones: the assembly runs the same float32 operations in the
// same order, so every variant gives bit-identical results (NaN payloads
// aside). That is why neither uses fused multiply-add: Go has no float32
// FMA, and a float64 one rounds differently. Every product is wrapped in
// float32() because Go may otherwise fuse a*b+c, even across statements.
//
// Error bounds are in float32 ulps of the correctly rounded result, over
// the whole float32 range (unary_f32_test.go sweeps it against float64
// math); a denormal result's ulp is the denormal spacing 2^-149.

// unaryF32Set is one implementation of the float32 kernels; each writes
// op(x[i]) to dst[i] for every i < len(x), and len(dst) >= len(x).
type unaryF32Set struct {
	name                    string
	exp, log, tanh, sigmoid func(dst, x []float32)
	// gelu, log1p and expm1 are unary_more_f32.go's, over exp and log.
	gelu, log1p, expm1 func(dst, x []float32)
	// geluGrad is the fused GELU gradient, dst[i] = g[i]·gelu'(x[i]),
	// over exp (unary_more_f32.go).
	geluGrad func(dst, x, g []float32)
	// sin, cos and tan are trig_f32.go's Go passes, or its assembly
	// (trigAsm) in the AVX-512 and AVX2 sets.
	sin, cos, tan func(dst, x []float32)
	// erf is erf_f32.go's erfF32 in a loop, or its assembly (erfLanes)
	// in the AVX-512 and AVX2 sets.
	erf func(dst, x []float32)
	// pow, in the AVX-512 and AVX2 sets, is powPos over n floats (a
	// multiple of 8) in assembly, returning how many were not positive
	// and finite (pow_f32.go's powF32 redoes those); nil elsewhere.
	pow func(dst, x *float32, n int, p float64) int
}

// withAsm returns s with gelu, log1p and expm1 kernels of their own:
// assembly that fuses the passes of geluBlocks, log1pBlocks and
// expm1Blocks.
func (s unaryF32Set) withAsm(gelu, log1p, expm1 func(dst, x []float32)) unaryF32Set {
	s.gelu, s.log1p, s.expm1 = gelu, log1p, expm1
	return s
}

// withMore returns s with gelu, log1p, expm1 and geluGrad built on its exp
// and log.
func (s unaryF32Set) withMore() unaryF32Set {
	s.gelu, s.log1p, s.expm1 = geluWith(s.exp), log1pWith(s.log), expm1With(s.exp, s.log)
	s.geluGrad = geluGradWith(s.exp)
	s.sin, s.cos, s.tan = trigBlocks(trigSin), trigBlocks(trigCos), trigBlocks(trigTan)
	s.erf = mapF32(erfF32)
	return s
}

// kernel returns s's kernel for op, or nil where op has none.
func (s *unaryF32Set) kernel(op device.UnaryOp) func(dst, x []float32) {
	switch op {
	case device.Exp:
		return s.exp
	case device.Log:
		return s.log
	case device.Tanh:
		return s.tanh
	case device.Sigmoid:
		return s.sigmoid
	case device.GELU:
		return s.gelu
	case device.Log1p:
		return s.log1p
	case device.Expm1:
		return s.expm1
	case device.Sin:
		return s.sin
	case device.Cos:
		return s.cos
	case device.Tan:
		return s.tan
	case device.Erf:
		return s.erf
	}
	return nil
}

// goUnaryF32 is the portable set: the scalar definitions below, in a loop.
var goUnaryF32 = unaryF32Set{
	name:    "go",
	exp:     mapF32(expF32),
	log:     mapF32(logF32),
	tanh:    mapF32(tanhF32),
	sigmoid: mapF32(sigmoidF32),
}.withMore()

// mapF32 turns a scalar kernel into a slice kernel.
func mapF32(f func(float32) float32) func(dst, x []float32) {
	return func(dst, x []float32) {
		dst = dst[:len(x)]
		for i, v := range x {
			dst[i] = f(v)
		}
	}
}

// Constants of expF32: the clamp bounds, log2(e), ln 2 split Cody–Waite
// style (expLn2Hi has 9 significant bits, so n*expLn2Hi is exact for the
// |n| <= 150 that occur), and the minimax polynomial for e^r on
// |r| <= ln2/2 (Cephes expf).
const (
	expLo    = -104 // e^-104 < 2^-150: rounds to 0
	expHi    = 89   // e^89 > MaxFloat32: rounds to +Inf
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375
	expLn2Lo = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// expF32 is e^x in float32, within 1 ulp everywhere, denormal results
// included (1 ulp measured over every 16th bit pattern). x is clamped
// to [-104, 89], n = x·log2e rounded to nearest even, r = x − n·ln2 in two
// steps, e^r = 1 + r + r²·P(r), and the result is e^r·2^n rounded once,
// which gives +Inf past the overflow edge (x > 88.7228), correctly rounded
// denormals below −87.34 and 0 below −103.97. The reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Exp(float64(v)))
//	}
func expF32(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, expLo), expHi)
	n := float32(math.RoundToEven(float64(float32(x * expLog2e))))
	r := x - float32(n*expLn2Hi)
	r -= float32(n * expLn2Lo)
	z := float32(r * r)
	p := float32(expP0)
	p = float32(p*r) + expP1
	p = float32(p*r) + expP2
	p = float32(p*r) + expP3
	p = float32(p*r) + expP4
	p = float32(p*r) + expP5
	p = float32(p*z) + r
	p++
	// The scaling is exact in float64; the conversion is the one rounding
	// that VSCALEFPS also makes.
	return float32(math.Ldexp(float64(p), int(n)))
}

// Constants of logF32: the bits of (about) √½, which splits the
// significand range at [√½, √2), and the minimax polynomial for
// (log(1+f) − f + f²/2)/f³ on that range (Cephes logf).
const (
	logSqrtHalf = 0x3f3504f3
	logP0       = 7.0376836292e-2
	logP1       = -1.1514610310e-1
	logP2       = 1.1676998740e-1
	logP3       = -1.2420140846e-1
	logP4       = 1.4249322787e-1
	logP5       = -1.6668057665e-1
	logP6       = 2.0000714765e-1
	logP7       = -2.4999993993e-1
	logP8       = 3.3333331174e-1
)

// logF32 is the natural logarithm in float32, within 1 ulp everywhere (1
// measured over every 16th bit pattern).
// Denormals are scaled by 2^23 first; x = 2^k·m with m in [√½, √2), and
// log x = k·ln2 + f − f²/2 + f³·P(f) with f = m − 1 exact. log(±0) = −Inf,
// log(x<0) = NaN, log(+Inf) = +Inf, NaN gives NaN. The reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Log(float64(v)))
//	}
func logF32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < 0:
		return float32(math.NaN())
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	var k int32
	if x < 0x1p-126 {
		x = float32(x * 0x1p23)
		k = -23
	}
	i := int32(math.Float32bits(x)) - logSqrtHalf
	k += i >> 23
	f := math.Float32frombits(uint32(i&0x7fffff)+logSqrtHalf) - 1
	e := float32(k)
	z := float32(f * f)
	p := float32(logP0)
	p = float32(p*f) + logP1
	p = float32(p*f) + logP2
	p = float32(p*f) + logP3
	p = float32(p*f) + logP4
	p = float32(p*f) + logP5
	p = float32(p*f) + logP6
	p = float32(p*f) + logP7
	p = float32(p*f) + logP8
	y := float32(float32(p*z) * f)
	y += float32(e * expLn2Lo)
	y -= float32(z * 0.5)
	r := f + y
	return r + float32(e*expLn2Hi)
}

// Constants of tanhF32: below tanhSmall, tanh x = x + x³·P(x²) (Cephes
// tanhf's minimax polynomial).
const (
	tanhSmall = 0.625
	tanhP0    = -5.70498872745e-3
	tanhP1    = 2.06390887954e-2
	tanhP2    = -5.37397155531e-2
	tanhP3    = 1.33314422036e-1
	tanhP4    = -3.33332819422e-1
)

// tanhF32 is tanh x in float32, within 2 ulp everywhere (1 measured over
// every 16th bit pattern). With a = |x|:
// below 0.625 a + a³·P(a²), which keeps the relative error near 0 and
// returns x itself for tiny x; above, (1−e)/(1+e) with e = e^−2a from
// expF32, which saturates to exactly 1 from about 9 on (and for ±Inf).
// The sign of x is copied onto the result, so tanh is odd and tanh(−0) =
// −0. The reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Tanh(float64(v)))
//	}
func tanhF32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	var t float32
	if a < tanhSmall {
		z := float32(a * a)
		p := float32(tanhP0)
		p = float32(p*z) + tanhP1
		p = float32(p*z) + tanhP2
		p = float32(p*z) + tanhP3
		p = float32(p*z) + tanhP4
		t = float32(float32(p*z)*a) + a
	} else {
		e := expF32(float32(a * -2))
		t = (1 - e) / (1 + e)
	}
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&(1<<31))
}

// sigmoidF32 is 1/(1+e^−x) in float32, within 2 ulp everywhere (2
// measured over every 16th bit pattern, near x = −1.1). With
// e = e^−|x| from expF32 (which never overflows), it is 1/(1+e) for x ≥ 0
// and e/(1+e) for x < 0, one division either way; results below 2^-126
// are e itself, a correctly rounded denormal, and 0 below −103.97. The
// reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
//	}
func sigmoidF32(x float32) float32 {
	e := expF32(math.Float32frombits(math.Float32bits(x) | 1<<31))
	n := float32(1)
	if x < 0 {
		n = e
	}
	return n / (1 + e)
}
