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
// The same Go code serves every kernel set (unary_f32.go), so all agree
// bit for bit.

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
	n := math.RoundToEven(x * trigTwoOverPi)
	r = ((x - n*trigP1) - n*trigP2) - n*trigP3
	return r, int(int64(n)) & 3
}

// sinPoly and cosPoly are sin r and cos r for |r| <= π/4, from Taylor
// terms to r^13 and r^14.
func sinPoly(r float64) float64 {
	z := r * r
	return r + r*z*(-1.0/6+z*(1.0/120+z*(-1.0/5040+z*(1.0/362880+z*(-1.0/39916800+z*(1.0/6227020800))))))
}

func cosPoly(r float64) float64 {
	z := r * r
	return 1 + z*(-0.5+z*(1.0/24+z*(-1.0/720+z*(1.0/40320+z*(-1.0/3628800+z*(1.0/479001600+z*(-1.0/87178291200)))))))
}

// The functions of trigBlock.
const (
	trigSin = iota
	trigCos
	trigTan
)

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
			y = [3]func(float64) float64{math.Sin, math.Cos, math.Tan}[f](d)
		}
		dst[i] = float32(y)
	}
}
