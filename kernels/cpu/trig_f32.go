package cpu

import "math"

// Float32 sin, cos and tan. The reference (device/elementwise.go) calls
// Go's float64 math.Sin per element, about 12 ns each here (18x PyTorch's
// vectorised sinf on 1M floats). These kernels do the same math in fewer
// and cheaper steps, still in float64, where a float32 result has 29 bits
// to spare:
//
//   - Cody-Waite reduction by π/2 for |x| < 2^19: n = round(x·2/π) (at most
//     2^19·2/π < 2^19), r = ((x - n·P1) - n·P2) - n·P3 with fdlibm's 33,
//     33 and 53-bit parts of π/2, so n·P1 and n·P2 are exact and r is x
//     mod π/2 to within 2^-80 or so absolute, |r| <= π/4.
//   - sin r and cos r by their Taylor series to r^13 and r^14 (truncation
//     below 2^-37 relative at |r| = π/4), each in Horner form.
//   - The quadrant n mod 4 picks ±sin r or ±cos r from a table, no branch
//     (random signs would mispredict half the time); tan is their
//     quotient, in float64.
//
// The float64 value is within about 2^-40 relative of the true one, so
// its rounding to float32 is the correctly rounded result unless the true
// value lies within 2^-40 of a midpoint between two floats: within 1 ulp
// everywhere (TestUnaryF32Accuracy sweeps the whole float32 range against
// math.Sin, Cos and Tan: 0 ulp measured over every 16th bit pattern).
// Beyond 2^19, and for ±Inf
// and NaN, they call math.Sin, Cos and Tan, as the reference does.
//
// The AVX-512 set (unary_amd64.go) runs the same steps on 8 float64 lanes
// in assembly (trig_amd64.s, about 6x faster on 1M floats), the AVX2 set
// on 4; the portable set runs this Go code. All agree bit for bit.

// Parts of π/2 (fdlibm's pio2_1, pio2_2 and pio2_3): P1 and P2 have 33
// significant bits, so n·P1 and n·P2 are exact for n < 2^20.
const (
	trigP1        = 1.57079632673412561417e+00
	trigP2        = 6.07710050630396597660e-11
	trigP3        = 2.02226624879595063154e-21
	trigTwoOverPi = 6.36619772367581382433e-01
	trigMax       = 1 << 19
)

// trigReduce returns r = x - n·π/2 (|r| <= π/4) and n mod 4, for
// |x| < trigMax.
func trigReduce(x float64) (r float64, q int) {
	n := math.RoundToEven(float64(x * trigTwoOverPi))
	r = ((x - float64(n*trigP1)) - float64(n*trigP2)) - float64(n*trigP3)
	return r, int(int64(n)) & 3
}

// The Taylor coefficients of sinPoly (sinC3 for r^3 up to sinC13) and
// cosPoly (cosC2 up to cosC14).
const (
	sinC3, sinC5, sinC7, sinC9, sinC11, sinC13         = -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800
	cosC2, cosC4, cosC6, cosC8, cosC10, cosC12, cosC14 = -0.5, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600, -1.0 / 87178291200
)

// sinPoly and cosPoly are sin r and cos r for |r| <= π/4, from Taylor
// terms to r^13 and r^14, in Horner form. Every product is wrapped in
// float64() so that Go never fuses it into an FMA (it may where the
// target always has one): the assembly (trig_amd64.s) rounds each product
// and sum apart, in this order.
func sinPoly(r float64) float64 {
	z := float64(r * r)
	p := float64(z*sinC13) + sinC11
	p = float64(z*p) + sinC9
	p = float64(z*p) + sinC7
	p = float64(z*p) + sinC5
	p = float64(z*p) + sinC3
	return r + float64(float64(r*z)*p)
}

func cosPoly(r float64) float64 {
	z := float64(r * r)
	p := float64(z*cosC14) + cosC12
	p = float64(z*p) + cosC10
	p = float64(z*p) + cosC8
	p = float64(z*p) + cosC6
	p = float64(z*p) + cosC4
	p = float64(z*p) + cosC2
	return 1 + float64(z*p)
}

// trigVec are the constants of the assembly kernels (trig_amd64.s), each
// a row of 4 equal lanes (the AVX2 kernels read rows as memory operands,
// the AVX-512 ones broadcast their first lanes), some as bit patterns: the
// |x| mask, trigMax, 2/π, P1-P3, 1.5·2^52 (whose sum with n holds n's low
// bits), the sine and cosine coefficients, 1, the sign bit and the int64s
// 1 and 2.
var trigVec = func() (v [trigVecN][4]float64) {
	rows := []float64{math.Float64frombits(1<<63 - 1), trigMax, trigTwoOverPi, trigP1, trigP2, trigP3, 0x1.8p52,
		sinC13, sinC11, sinC9, sinC7, sinC5, sinC3,
		cosC14, cosC12, cosC10, cosC8, cosC6, cosC4, cosC2, 1,
		math.Float64frombits(1 << 63), math.Float64frombits(1), math.Float64frombits(2)}
	for i, r := range rows {
		v[i] = [4]float64{r, r, r, r}
	}
	return v
}()

const trigVecN = 24

// The functions of trigBlock.
const (
	trigSin = iota
	trigCos
	trigTan
)

// trigMath is each function's math package version, for the arguments
// outside the reduction's range.
var trigMath = [3]func(float64) float64{math.Sin, math.Cos, math.Tan}

// trigBlocks returns the slice kernel of function f: trigBlock over
// blocks of trigChunk elements.
func trigBlocks(f int) func(dst, x []float32) {
	return func(dst, x []float32) {
		for i := 0; i < len(x); i += trigChunk {
			j := min(i+trigChunk, len(x))
			trigBlock(dst[i:j], x[i:j], f)
		}
	}
}

// trigAsm returns the slice kernel of function f over k, an assembly
// kernel of 8 lanes (trig_amd64.s): k over the whole vectors, the lanes it
// counted out of range redone with math's function, the last len%8
// elements through trigBlock.
func trigAsm(k func(dst, x *float32, n int, c *[trigVecN][4]float64) int, f int) func(dst, x []float32) {
	fn := trigMath[f]
	return func(dst, x []float32) {
		dst = dst[:len(x)]
		n8 := len(x) &^ 7
		if n8 > 0 && k(&dst[0], &x[0], n8, &trigVec) > 0 {
			for i, v := range x[:n8] {
				if d := float64(v); !(math.Abs(d) < trigMax) {
					dst[i] = float32(fn(d))
				}
			}
		}
		if n8 < len(x) {
			trigBlock(dst[n8:], x[n8:], f)
		}
	}
}

// trigChunk is trigBlock's most elements at a time: its scratch stays in
// L1.
const trigChunk = 256

// trigBlock writes f(x[i]) to dst[i] for len(x) <= trigChunk elements, in
// passes over the block (reduce, both polynomials, select), so that the
// processor overlaps the elements' long chains of dependent steps: one
// element at a time took 9 ns (cos) to 29 ns (sin and tan, whose first
// conversion waited on the previous element's result through a false
// dependency), the passes 9.5 ns for each (one thread).
func trigBlock(dst, x []float32, f int) {
	var r, s, c [trigChunk]float64
	var q [trigChunk]uint8
	x = x[:min(len(x), trigChunk)]
	dst = dst[:len(x)]
	for i, v := range x {
		d := float64(v)
		if !(math.Abs(d) < trigMax) {
			d = 0 // math's function, below
		}
		ri, qi := trigReduce(d)
		r[i], q[i] = ri, uint8(qi)
	}
	for i := range x {
		s[i], c[i] = sinPoly(r[i]), cosPoly(r[i])
	}
	for i, v := range x {
		var y float64
		switch f {
		case trigSin:
			y = [4]float64{s[i], c[i], -s[i], -c[i]}[q[i]]
		case trigCos:
			y = [4]float64{c[i], -s[i], -c[i], s[i]}[q[i]]
		default: // tan: sin r/cos r in even quadrants, -cos r/sin r in odd ones
			y = [2]float64{s[i], -c[i]}[q[i]&1] / [2]float64{c[i], s[i]}[q[i]&1]
		}
		d := float64(v)
		switch {
		case d == 0 && f != trigCos:
			y = d // ±0 keeps its sign (the reduction gives +0)
		case !(math.Abs(d) < trigMax):
			y = trigMath[f](d)
		}
		dst[i] = float32(y)
	}
}
