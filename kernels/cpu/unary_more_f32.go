package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Float32 kernels of GELU, Log1p and Expm1, built on a set's exp and log
// kernels: each runs a Go pass that prepares the argument, the vector
// exp or log over a block, and a Go pass that finishes, so the
// transcendental part runs at the vector kernels' speed and every variant
// gives the same bits (the Go passes are the same code everywhere, and
// the exp and log kernels agree bit for bit). The scalar definitions
// (geluF32, log1pF32, expm1F32) are the reference of the block versions.
// Error bounds are in float32 ulps of the correctly rounded result over
// the whole float32 range (unary_f32_test.go sweeps it).

// moreBlock is how many elements the block versions prepare at a time:
// their scratch stays in L1.
const moreBlock = 512

// geluScale is 32·ln2: for negative x, GELU exponentiates -z + geluScale
// and scales by 2^-32 at the end, so that e^-z keeps full precision down
// to results of 2^-149 instead of turning denormal (and imprecise) below
// e^-87.
const geluScale = 32 * math.Ln2

// geluArg returns GELU's exponent for x: with z = -2·√(2/π)·(x +
// 0.044715x³) in float64, w = z where z < 0, else w = geluScale - z
// (scaled is 1 then, else 0). No branch depends on the sign of x: on
// random signs one would mispredict half the time. Small enough to be
// inlined, as the block loops need.
func geluArg(x float32) (w float64, scaled uint64) {
	d := float64(x)
	z := -2 * device.GELUC * (d + float64(float64(float64(device.GELUA*d)*d)*d))
	scaled = ^math.Float64bits(z) >> 63 // 1 for z >= +0 (and some NaNs)
	return -math.Abs(z) + geluScale*float64(int64(scaled)), scaled
}

// geluSplit splits w into wh = float32(w) and its rounding error
// wl = float32(w - wh), 0 where wh is infinite.
func geluSplit(w float64) (wh, wl float32) {
	wh = float32(w)
	if !math.IsInf(float64(wh), 0) {
		wl = float32(w - float64(wh))
	}
	return wh, wl
}

// geluF32 is GELU's tanh form in float32, 0.5x(1+tanh(u)) with
// u = √(2/π)(x + 0.044715x³), computed as x·sigmoid(2u): x/(1+e^z) with
// z = -2u < 0 (x > 0), else x·e^-z/(1+e^-z), so no exponential
// overflows and nothing cancels where tanh(u) nears -1. The result stays
// accurate far into the negative tail, where the float64 table
// reference (which computes 1 + tanh(u)) rounds to 0 from x ≈ -5.5 on.
// The exponent is formed in float64 and its rounding to float32
// corrected to first order (e^(wh+wl) ≈ e^wh + e^wh·wl). Within 4 ulp of
// x·sigmoid(2u) in float64 everywhere, denormal results included (4
// measured over every 16th bit pattern, near x = -1.83; see unaryF32Ops); -Inf gives NaN, as both references do. The reference
// loop:
//
//	for i, v := range x {
//		u := √(2/π)*(float64(v) + 0.044715*float64(v)³)
//		dst[i] = float32(float64(v) / (1 + math.Exp(-2*u)))
//	}
func geluF32(x float32) float32 {
	w, scaled := geluArg(x)
	wh, wl := geluSplit(w)
	return geluFinish(x, wl, expF32(wh), scaled)
}

// geluFinish is geluF32 given e = expF32(wh): x/(1+e), or, scaled,
// e^-z·2^32 brought back by 2^-32 after the division (the quotient is a
// normal float unless x is tiny; the last product rounds once where the
// result is denormal). A branch on scaled measured faster here than
// selecting by bits, whose moves between vector and integer registers
// stalled the loop.
func geluFinish(x, wl, e float32, scaled uint64) float32 {
	e += float32(e * wl)
	if scaled == 0 {
		return x / (1 + e)
	}
	n := float32(x * e)
	return float32(n/(1+float32(e*0x1p-32))) * 0x1p-32
}

// geluWith returns the block GELU over exp, a kernel giving expF32.
func geluWith(exp func(dst, x []float32)) func(dst, x []float32) {
	return func(dst, x []float32) { geluBlocks(exp, dst, x) }
}

// geluBlocks is geluF32 over x, moreBlock elements at a time. It is a
// function of its own, not the closure's body, so that the compiler
// inlines geluArg and geluFinish into its loops (it did not inline them
// into the closures the package's init builds).
func geluBlocks(exp func(dst, x []float32), dst, x []float32) {
	{
		dst = dst[:len(x)]
		for lo := 0; lo < len(x); lo += moreBlock {
			xs, ds := x[lo:min(lo+moreBlock, len(x))], dst[lo:min(lo+moreBlock, len(x))]
			for i, v := range xs {
				w, _ := geluArg(v)
				ds[i] = float32(w)
			}
			exp(ds, ds)
			for i, v := range xs {
				w, scaled := geluArg(v)
				_, wl := geluSplit(w)
				ds[i] = geluFinish(v, wl, ds[i], scaled)
			}
		}
	}
}

// log1pF32 is log(1+x) in float32 by Goldberg's correction: with u = 1+x
// rounded, log(u)·x/(u-1), which cancels the rounding of u; x itself
// where u == 1 (|x| < 2^-24), and +Inf for +Inf. -1 gives -Inf, below -1
// NaN. Within 2 ulp everywhere. The reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Log1p(float64(v)))
//	}
func log1pF32(x float32) float32 {
	return log1pFinish(x, logF32(1+x))
}

// log1pFinish is log1pF32 given l = logF32(1+x).
func log1pFinish(x, l float32) float32 {
	u := 1 + x
	switch {
	case u == 1:
		return x
	case x > math.MaxFloat32:
		return x
	}
	return l * (x / (u - 1))
}

// log1pWith returns the block Log1p over log, a kernel giving logF32.
func log1pWith(log func(dst, x []float32)) func(dst, x []float32) {
	return func(dst, x []float32) { log1pBlocks(log, dst, x) }
}

// log1pBlocks is log1pF32 over x, moreBlock elements at a time (a
// function of its own for inlining, as geluBlocks).
func log1pBlocks(log func(dst, x []float32), dst, x []float32) {
	{
		dst = dst[:len(x)]
		for lo := 0; lo < len(x); lo += moreBlock {
			xs, ds := x[lo:min(lo+moreBlock, len(x))], dst[lo:min(lo+moreBlock, len(x))]
			for i, v := range xs {
				ds[i] = 1 + v
			}
			log(ds, ds)
			for i, v := range xs {
				ds[i] = log1pFinish(v, ds[i])
			}
		}
	}
}

// expm1F32 is e^x - 1 in float32 by Kahan's correction: with u = e^x
// rounded, (u-1)·x/log(u), which cancels the rounding of u; x where
// u == 1, -1 where u < 2^-25 (where -1 is the rounded result), and u
// where it is +Inf. Within 2 ulp
// everywhere. The reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Expm1(float64(v)))
//	}
func expm1F32(x float32) float32 {
	u := expF32(x)
	return expm1Finish(x, u, logF32(u))
}

// expm1Finish is expm1F32 given u = expF32(x) and l = logF32(u).
func expm1Finish(x, u, l float32) float32 {
	switch {
	case u == 1:
		return x
	case u < 0x1p-25: // e^x - 1 rounds to -1; log(u) of a denormal u is off
		return -1
	case u > math.MaxFloat32:
		return u
	}
	return (u - 1) * (x / l)
}

// expm1With returns the block Expm1 over exp and log, kernels giving
// expF32 and logF32. It needs u and log(u) at once, so it keeps u in
// scratch.
func expm1With(exp, log func(dst, x []float32)) func(dst, x []float32) {
	return func(dst, x []float32) { expm1Blocks(exp, log, dst, x) }
}

// expm1Blocks is expm1F32 over x, moreBlock elements at a time (a
// function of its own for inlining, as geluBlocks).
func expm1Blocks(exp, log func(dst, x []float32), dst, x []float32) {
	{
		dst = dst[:len(x)]
		us := make([]float32, min(moreBlock, len(x)))
		for lo := 0; lo < len(x); lo += moreBlock {
			xs, ds := x[lo:min(lo+moreBlock, len(x))], dst[lo:min(lo+moreBlock, len(x))]
			u := us[:len(xs)]
			exp(u, xs)
			log(ds, u)
			for i, v := range xs {
				ds[i] = expm1Finish(v, u[i], ds[i])
			}
		}
	}
}

// geluGradFinish is d/dx gelu(x), times g, given e = expF32(wh) for
// geluArg's split exponent wh + wl: with s = sigmoid(2u) and t = 1-s from
// e (as geluFinish reads it) and u' = √(2/π)(1 + 3·0.044715x²), the
// derivative of x·s is s + x·s·t·2u', all in float64 (the reference,
// GELUDerivRef, is the same expression through tanh: 0.5(1+tanh u) = s).
// With E = e·(1+wl) and k = 1, or 2^-32 where scaled, q = 1/(1+E·k) and
// a = E·k·q are s and t, or t and s: s·t = q·a either way, and s is
// selected arithmetically (a branch on the sign of x mispredicts half the
// time). The one float32 step is e (within 1 ulp, its argument's
// rounding corrected), so the result is within a few 2^-24 of
// |g|·max(1, |x·2u'|) of g times the float64 derivative (TestGELUGradF32
// measures under 1), then rounded once. Products are wrapped in
// float64() so that no compiler fuses them into a multiply-add (see
// unary_f32.go).
func geluGradFinish(x, g, wl, e float32, scaled uint64) float32 {
	d := float64(x)
	sf := float64(int64(scaled))
	k := 1 - float64(sf*(1-0x1p-32)) // exact: 1 or 2^-32
	E := float64(float64(e)+float64(float64(e)*float64(wl))) * k
	q := 1 / (1 + E)
	a := E * q
	s := q + float64((a-q)*sf)
	du := 2 * device.GELUC * (1 + float64(float64(3*device.GELUA*d)*d))
	return float32(float64(g) * (s + float64(float64(float64(d*q)*a)*du)))
}

// geluGradF32 is the fused GELU gradient g·d/dx gelu(x) in float32 (see
// geluGradFinish). The reference loop:
//
//	for i := range x {
//		dst[i] = float32(float64(g[i]) * device.GELUDerivRef(float64(x[i])))
//	}
func geluGradF32(x, g float32) float32 {
	w, scaled := geluArg(x)
	wh, wl := geluSplit(w)
	return geluGradFinish(x, g, wl, expF32(wh), scaled)
}

// geluGradWith returns the block GELU gradient over exp, a kernel giving
// expF32: dst[i] = geluGradF32(x[i], g[i]).
func geluGradWith(exp func(dst, x []float32)) func(dst, x, g []float32) {
	return func(dst, x, g []float32) { geluGradBlocks(exp, dst, x, g) }
}

// geluGradBlocks is geluGradF32 over x and g, moreBlock elements at a
// time (a function of its own for inlining, as geluBlocks).
func geluGradBlocks(exp func(dst, x []float32), dst, x, g []float32) {
	dst, g = dst[:len(x)], g[:len(x)]
	for lo := 0; lo < len(x); lo += moreBlock {
		hi := min(lo+moreBlock, len(x))
		xs, gs, ds := x[lo:hi], g[lo:hi], dst[lo:hi]
		for i, v := range xs {
			w, _ := geluArg(v)
			ds[i] = float32(w)
		}
		exp(ds, ds)
		for i, v := range xs {
			w, scaled := geluArg(v)
			_, wl := geluSplit(w)
			ds[i] = geluGradFinish(v, gs[i], wl, ds[i], scaled)
		}
	}
}
