package cpu

import "math"

// Float32 erf. The reference (device/elementwise.go) calls Go's float64
// math.Erf per element, which took 6.3x PyTorch's time for its
// vectorised erff on 1M floats (2 threads each); this kernel, 0.35x.
// erfF32 evaluates one polynomial in float64, where a float32
// result has 29 bits to spare, with its coefficients picked by a table
// index instead of math.Erf's branches, so the assembly can run it on 8
// lanes, or 4 (erf_amd64.s: AVX-512, AVX2):
//
//   - a = |x| in float64; k = ⌊2a⌋ picks one of 8 pieces: [0, ½) and then
//     half-unit intervals up to 4. From 4 on (and for +Inf) erf rounds to
//     1 in float32 (1 − erf(4) = 1.5e-8, under half an ulp of 1).
//   - Piece 0 is a·P(a² − ⅛), P of degree 7 (erf(√z)/√z interpolated at
//     Chebyshev nodes on z in [0, ¼]), so the relative error stays put as
//     a goes to 0 and denormals come out right; piece k is P_k(a − m_k),
//     degree 10, interpolated the same way about the interval's middle
//     m_k. One table (erfTab) holds them all, piece 0's padded with zero
//     terms, so every piece runs the same 10 Horner steps.
//   - The sign of x is copied onto the result (erf is odd; erf(−0) = −0),
//     and NaN propagates.
//
// The float64 value is within 3e-13 relative of erf(x) (measured against
// mpmath at 4001 points a piece when the table was fitted), so its
// rounding to float32 is the correctly rounded result unless the true
// value lies within 2^-41 or so of a midpoint: within 1 ulp everywhere
// (TestUnaryF32Accuracy sweeps the whole float32 range against math.Erf).
// Every product is wrapped in float64() so that Go never fuses it into an
// FMA, as the assembly does not: both give the same bits.

// erfDeg is the degree of the pieces' polynomials; erfTab[erfDeg+1] holds
// each piece's offset.
const erfDeg = 10

// erfTab[j][k] is the coefficient of t^j in piece k's polynomial, and
// erfTab[erfDeg+1][k] the offset t is measured from (⅛ for piece 0, in
// a²; the interval's middle for the others, in a). A row is 8 float64s,
// one zmm register, which the assembly permutes by k.
var erfTab = [erfDeg + 2][8]float64{
	{1.0830752376761708, 0.7111556336535149, 0.9229001282564581, 0.9866716712191821, 0.9985372834133184, 0.9998993780778799, 0.9999956972205359, 0.9999998862727429},
	{-0.3491364710935901, 0.6429310692014673, 0.23652112244406823, 0.05277499593006378, 0.00714231902268273, 0.0005862772469353134, 2.918902535405478e-05, 8.814321977032554e-07},
	{0.10323658675733816, -0.482198301897582, -0.2956514030597037, -0.09235624287708355, -0.016070217799770498, -0.0016122624295028096, -9.48643324713886e-05, -3.305370693806472e-06},
	{-0.024383165101550478, 0.02678879254619798, 0.16753579609871, 0.09015728474156867, 0.021724553479298674, 0.0027603887556552254, 0.00019580972155279098, 7.969613901420258e-06},
	{0.004716968631328202, 0.15068696969437959, -0.006159404050456407, -0.04810221005212715, -0.019083383563700984, -0.00325811365772128, -0.00028656934384836783, -1.3841241641852846e-05},
	{-0.000769140384363709, -0.05324254947126597, -0.047181128987142336, 0.006624359038657777, 0.010657698222746141, 0.0027558038784152965, 0.0003137963588280361, 1.8371176402734736e-05},
	{0.00010823365300893778, -0.026872540353988703, 0.021301257102336765, 0.00896306492109617, -0.002904363619951989, -0.0016573276757566255, -0.0002635279778794934, -1.9272702208506675e-05},
	{-1.3358891010284426e-05, 0.0184286500367729, 0.0036293776909832754, -0.006058665661177153, -0.0006711531922902848, 0.0006462072160822555, 0.00017002311792105998, 1.6267664672614394e-05},
	{0, 0.002302906636686307, -0.005697102827379121, 0.0007293234201729492, 0.0009997332793143085, -8.899991189626621e-05, -8.166698354667081e-05, -1.1127231690981706e-05},
	{0, -0.003862436331822638, 0.0008229886808068897, 0.0008929152508178035, -0.0003582145296583988, -7.38979089887553e-05, 2.5409948649764368e-05, 6.235956886518551e-06},
	{0, 0.00016812039477858792, 0.0007843654016188382, -0.0004310541286578934, -1.5312048087342903e-05, 5.4801036741125536e-05, -2.012263258107405e-06, -2.6246703978051147e-06},
	{0.125, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75},
}

// erfOne is where erf rounds to 1 in float32 (and erfF32 stops looking).
const erfOne = 4

// erfVec are the AVX2 kernel's other constants (erf_amd64.s), each a row
// of 4 equal lanes, some as bit patterns: the |x| mask, the sign bit,
// erfOne, 1, and the int64s 3 and 1.
var erfVec = func() (v [erfVecN][4]float64) {
	for i, r := range []float64{math.Float64frombits(1<<63 - 1), math.Float64frombits(1 << 63), erfOne, 1,
		math.Float64frombits(3), math.Float64frombits(1)} {
		v[i] = [4]float64{r, r, r, r}
	}
	return v
}()

const erfVecN = 6

// erfF32 is erf x in float32, within 1 ulp everywhere (see above). The
// reference loop:
//
//	for i, v := range x {
//		dst[i] = float32(math.Erf(float64(v)))
//	}
func erfF32(x float32) float32 {
	d := float64(x)
	a := math.Abs(d)
	y := 1.0
	switch {
	case a != a:
		y = a
	case a < erfOne:
		k := int(float64(a * 2))
		m := 1.0 // t = a·m − offset: a² − ⅛ in piece 0, a − m_k in the others
		if k == 0 {
			m = a
		}
		t := float64(a*m) - erfTab[erfDeg+1][k]
		p := erfTab[erfDeg][k]
		for j := erfDeg - 1; j >= 0; j-- {
			p = float64(p*t) + erfTab[j][k]
		}
		y = float64(p * m)
	}
	return float32(math.Copysign(y, d))
}
