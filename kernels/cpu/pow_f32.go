package cpu

import "math"

// Float32 Pow. The reference (device/elementwise.go) calls Go's float64
// math.Pow per element, 46 ns an element here on its general path;
// math.Exp(p·math.Log(x)), which powF32 ran before, took 20 ns, 4.1x
// PyTorch's time for its vectorised powf on 1M floats (2 threads each);
// this kernel, 0.64x. powPos computes x^p = e^(p·log x) for
// positive finite x in float64, branch-free, so the assembly can run it
// on 8 lanes (pow_amd64.s):
//
//   - log x: x = 2^e·m with m in [√½, √2) (the exponent and significand
//     bits, then m halved above √2), log m = 2·atanh(s) with s =
//     (m−1)/(m+1), |s| <= 0.172, by its series to s^17 (truncation below
//     4e-16), and log x = e·ln2 + log m.
//   - w = p·log x, clamped to [-110, 90]: past either end the float32
//     result is 0 or +Inf however far past.
//   - e^w: n = round(w·log2e), r = w − n·ln2 in two steps (fdlibm's ln2
//     split, so n·ln2Hi is exact), |r| <= ln2/2, e^r by its Taylor series
//     to r^11 (truncation below 7e-15), scaled by 2^n exactly.
//
// A float32 result that is finite and not zero has |w| < 104, so the
// float64 value is within about 2^-44 relative and rounds to within 1
// ulp (TestPowF32 sweeps x for a range of p against math.Pow). Every
// product is wrapped in float64() so that Go never fuses it into an FMA,
// as the assembly does not: both give the same bits.

// Constants of powPos: the clamp of w, fdlibm's split of ln2 (ln2Hi has
// 32 significant bits, so n·ln2Hi is exact for |n| < 2^20).
const (
	powWLo   = -110
	powWHi   = 90
	powLog2e = 1.44269504088896338700e+00
	powLn2Hi = 6.93147180369123816490e-01
	powLn2Lo = 1.90821492927058770002e-10
	// powShifter is 1.5·2^52: v + powShifter − powShifter rounds v to an
	// integer, nearest even, for |v| < 2^51.
	powShifter = 0x1.8p52
)

// powLogC are the coefficients 2/(2j+1) of log m = s·Σ (2/(2j+1))·s^2j,
// j = 8 down to 0 (Horner order); powExpC are 1/j!, j = 11 down to 0.
var (
	powLogC = [9]float64{2.0 / 17, 2.0 / 15, 2.0 / 13, 2.0 / 11, 2.0 / 9, 2.0 / 7, 2.0 / 5, 2.0 / 3, 2}
	powExpC = [12]float64{1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720,
		1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1, 1}
)

// powPos is x^p in float64 for positive finite x (a float32, widened: a
// normal float64) and finite p, within about 2^-44 relative wherever the
// float32 result is finite and not zero (see above).
func powPos(x, p float64) float64 {
	b := math.Float64bits(x)
	e := float64(int64(b>>52) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	if m > math.Sqrt2 {
		m = float64(m * 0.5)
		e++
	}
	s := (m - 1) / (m + 1)
	z := float64(s * s)
	// The Horner steps spelled out with constant coefficients (powLogC
	// and powExpC hold the same values, for the assembly): loops over
	// the arrays ran 1.3x slower.
	q := float64(z*(2.0/17)) + 2.0/15
	q = float64(q*z) + 2.0/13
	q = float64(q*z) + 2.0/11
	q = float64(q*z) + 2.0/9
	q = float64(q*z) + 2.0/7
	q = float64(q*z) + 2.0/5
	q = float64(q*z) + 2.0/3
	q = float64(q*z) + 2
	l := float64(e*math.Ln2) + float64(s*q)
	w := float64(p * l)
	if w < powWLo {
		w = powWLo
	}
	if w > powWHi {
		w = powWHi
	}
	// Rounding to nearest even by adding and subtracting 1.5·2^52 (exact
	// for |v| < 2^51), which VRNDSCALEPD $0 matches; math.RoundToEven is
	// a call without SSE4.1 in the baseline instruction set.
	n := float64(float64(float64(w*powLog2e)+powShifter) - powShifter)
	r := (w - float64(n*powLn2Hi)) - float64(n*powLn2Lo)
	y := float64(r*(1.0/39916800)) + 1.0/3628800
	y = float64(y*r) + 1.0/362880
	y = float64(y*r) + 1.0/40320
	y = float64(y*r) + 1.0/5040
	y = float64(y*r) + 1.0/720
	y = float64(y*r) + 1.0/120
	y = float64(y*r) + 1.0/24
	y = float64(y*r) + 1.0/6
	y = float64(y*r) + 1.0/2
	y = float64(y*r) + 1
	y = float64(y*r) + 1
	// 2^n is a normal float64 for the n that occur (|n| <= 160), so the
	// product is exact: math.Ldexp's result (and VSCALEFPD's) without its
	// cases for the edges, which made this function twice as slow.
	return float64(y * math.Float64frombits(uint64(int64(n)+1023)<<52))
}

// powVec are the constants of the assembly kernels (pow_amd64.s), each a
// row of 4 equal lanes (the AVX2 kernel reads rows as memory operands, the
// AVX-512 one broadcasts their first lanes), some as bit patterns: 1, ½, √2, ln2, MaxFloat32, the
// clamp of w, log2e, ln2's split, powShifter, the significand mask, 2^52,
// 2^52 + 1023, the int64 1023, then powLogC and powExpC.
var powVec = func() (v [powVecN][4]float64) {
	rows := []float64{1, 0.5, math.Sqrt2, math.Ln2, math.MaxFloat32, powWLo, powWHi, powLog2e, powLn2Hi, powLn2Lo,
		powShifter, math.Float64frombits(1<<52 - 1), 1 << 52, 1<<52 + 1023, math.Float64frombits(1023)}
	rows = append(append(rows, powLogC[:]...), powExpC[:]...)
	for i, r := range rows {
		v[i] = [4]float64{r, r, r, r}
	}
	return v
}()

const powVecN = 36

// powF32 is dst[i] = x[i]^p for float32, within 1 ulp: x·x for p = 2, √x
// for p = ½, x for p = 1 and 1 for p = 0 (math.Pow's own special cases,
// so the same bits), and powPos for other finite p and positive finite x,
// through lanes where the kernel set has it (unaryF32Set.pow: powPos over
// a multiple of 8 floats in assembly, bit for bit, counting the elements
// that are not positive and finite, which powF32 then redoes). Zeros,
// negative x, ±Inf, NaN and a p that is not finite go to math.Pow, as the
// reference.
func powF32(lanes func(dst, x *float32, n int, p float64) int, dst, x []float32, p float64) {
	dst = dst[:len(x)]
	switch {
	case p == 2:
		for i, v := range x {
			d := float64(v)
			dst[i] = float32(d * d)
		}
		return
	case p == 0.5 || p == 1 || p == 0 || math.IsInf(p, 0) || p != p:
		for i, v := range x {
			dst[i] = float32(math.Pow(float64(v), p))
		}
		return
	}
	i := 0
	if n8 := len(x) &^ 7; lanes != nil && n8 > 0 {
		if lanes(&dst[0], &x[0], n8, p) > 0 {
			for j, v := range x[:n8] {
				if d := float64(v); !(d > 0 && d <= math.MaxFloat32) {
					dst[j] = float32(math.Pow(d, p))
				}
			}
		}
		i = n8
	}
	for ; i < len(x); i++ {
		d := float64(x[i])
		if d > 0 && d <= math.MaxFloat32 {
			dst[i] = float32(powPos(d, p))
		} else {
			dst[i] = float32(math.Pow(d, p))
		}
	}
}
