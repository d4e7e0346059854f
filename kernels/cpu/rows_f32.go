package cpu

import "math"

// Row kernels of the float32 softmax family (softmax_f32.go): a row's
// max, e = exp(x - shift) with Σe, y = x·mul + add and y·(dy - s) in
// float64, and Σ a·b in float64. The assembly variants run whole blocks
// of 16 elements; the methods below finish the tail in Go. Every float64
// sum keeps 16 lanes (lane j adds the elements i ≡ j mod 16, in order)
// that sum16 then folds in a fixed order, so the AVX-512, AVX2 and Go
// variants give the same bits, and a row's result never depends on the
// thread count.

// rowF32Set is one implementation of the row kernels, each over a
// length that is a multiple of 16 (dst, dy as long as x).
type rowF32Set struct {
	name string
	// max returns the largest element that is not NaN (-Inf if none); of
	// +0 and -0 it may return either.
	max func(x []float32) float32
	// expSum writes dst[i] = expF32(x[i] - shift) and adds dst[i] to
	// lanes[i%16].
	expSum func(dst, x []float32, shift float32, lanes *[16]float64)
	// affine writes dst[i] = float32(float64(x[i])*mul + add), the
	// product rounded to float64 first (no fused multiply-add).
	affine func(dst, x []float32, mul, add float64)
	// dot adds float64(a[i])·float64(b[i]) (exact) to lanes[i%16].
	dot func(a, b []float32, lanes *[16]float64)
	// mulSub writes dst[i] = float32(float64(y[i]) · (float64(dy[i]) - s)).
	mulSub func(dst, y, dy []float32, s float64)
	// subMul writes dst[i] = float32(float64(dy[i]) - float64(e[i])·s),
	// the product rounded to float64 first.
	subMul func(dst, e, dy []float32, s float64)
}

// goRowF32 is the portable set, and the reference of the others.
var goRowF32 = rowF32Set{
	name: "go",
	max: func(x []float32) float32 {
		m := float32(math.Inf(-1))
		for _, v := range x {
			if v > m {
				m = v
			}
		}
		return m
	},
	expSum: func(dst, x []float32, shift float32, lanes *[16]float64) {
		dst = dst[:len(x)]
		for i, v := range x {
			e := expF32(v - shift)
			dst[i] = e
			lanes[i%16] += float64(e)
		}
	},
	affine: func(dst, x []float32, mul, add float64) {
		dst = dst[:len(x)]
		for i, v := range x {
			dst[i] = float32(float64(float64(v)*mul) + add)
		}
	},
	dot: func(a, b []float32, lanes *[16]float64) {
		b = b[:len(a)]
		for i, v := range a {
			lanes[i%16] += float64(v) * float64(b[i])
		}
	},
	mulSub: func(dst, y, dy []float32, s float64) {
		dst, dy = dst[:len(y)], dy[:len(y)]
		for i, v := range y {
			dst[i] = float32(float64(v) * (float64(dy[i]) - s))
		}
	},
	subMul: func(dst, e, dy []float32, s float64) {
		dst, dy = dst[:len(e)], dy[:len(e)]
		for i, v := range e {
			dst[i] = float32(float64(dy[i]) - float64(float64(v)*s))
		}
	},
}

// blocks is the length of x's whole 16-element blocks.
func blocks(n int) int { return n &^ 15 }

// rowScratch is a goroutine's scratch for the row methods: the sum lanes
// and a padded block for the tail, which goes through the set's kernels
// too (a scalar expF32 costs more than a whole vector). A pointer passed
// through a func value escapes, so callers allocate one per goroutine,
// not per row.
type rowScratch struct {
	lanes [16]float64
	a, b  [16]float32
}

// sum16 folds the lanes pairwise: 8 sums of l[j]+l[j+8], then 4, 2, 1.
func sum16(l *[16]float64) float64 {
	for w := 8; w >= 1; w /= 2 {
		for j := range w {
			l[j] += l[j+w]
		}
	}
	return l[0]
}

// pad copies x, shorter than 16, into the block p and fills the rest
// with v.
func pad(p *[16]float32, x []float32, v float32) {
	n := copy(p[:], x)
	for i := n; i < 16; i++ {
		p[i] = v
	}
}

// rowMax returns the largest element of x that is not NaN, +0 for a zero
// max, and -Inf for an empty or all-NaN row. A NaN needs no test here: it
// makes Σe NaN, which makes the whole row NaN.
func (s *rowF32Set) rowMax(x []float32, sc *rowScratch) float32 {
	n := blocks(len(x))
	m := float32(math.Inf(-1))
	if n > 0 {
		m = s.max(x[:n])
	}
	if n < len(x) {
		pad(&sc.a, x[n:], m)
		m = max(m, s.max(sc.a[:]))
	}
	return m + 0 // -0 + 0 is +0: the variants may disagree on the zero's sign
}

// expSumRow writes e[c] = expF32(x[c] - shift) and returns Σe in float64.
// The tail's block is padded with shift (e = 1: padding that underflowed
// to 0 would take the slow denormal path in every lane) and summed into
// zeroed lanes, of which only the tail's are added.
func (s *rowF32Set) expSumRow(e, x []float32, shift float32, sc *rowScratch) float64 {
	var lanes [16]float64
	n := blocks(len(x))
	if n > 0 {
		sc.lanes = [16]float64{}
		s.expSum(e[:n], x[:n], shift, &sc.lanes)
		lanes = sc.lanes
	}
	if t := len(x) - n; t > 0 {
		pad(&sc.a, x[n:], shift)
		sc.lanes = [16]float64{}
		s.expSum(sc.b[:], sc.a[:], shift, &sc.lanes)
		copy(e[n:len(x)], sc.b[:t])
		for j := range t {
			lanes[j] += sc.lanes[j]
		}
	}
	return sum16(&lanes)
}

// affineRow writes dst[c] = float32(float64(x[c])*mul + add).
func (s *rowF32Set) affineRow(dst, x []float32, mul, add float64, sc *rowScratch) {
	n := blocks(len(x))
	if n > 0 {
		s.affine(dst[:n], x[:n], mul, add)
	}
	if n < len(x) {
		pad(&sc.a, x[n:], 0)
		s.affine(sc.b[:], sc.a[:], mul, add)
		copy(dst[n:len(x)], sc.b[:])
	}
}

// dotRow returns Σ a[c]·b[c] in float64; the tail's blocks are padded
// with zeros.
func (s *rowF32Set) dotRow(a, b []float32, sc *rowScratch) float64 {
	sc.lanes = [16]float64{}
	n := blocks(len(a))
	if n > 0 {
		s.dot(a[:n], b[:n], &sc.lanes)
	}
	if n < len(a) {
		pad(&sc.a, a[n:], 0)
		pad(&sc.b, b[n:len(a)], 0)
		s.dot(sc.a[:], sc.b[:], &sc.lanes)
	}
	return sum16(&sc.lanes)
}

// mulSubRow writes dst[c] = float32(float64(y[c]) · (float64(dy[c]) - s)).
func (s *rowF32Set) mulSubRow(dst, y, dy []float32, sub float64, sc *rowScratch) {
	n := blocks(len(y))
	if n > 0 {
		s.mulSub(dst[:n], y[:n], dy[:n], sub)
	}
	if n < len(y) {
		pad(&sc.a, y[n:], 0)
		pad(&sc.b, dy[n:len(y)], 0)
		s.mulSub(sc.b[:], sc.a[:], sc.b[:], sub)
		copy(dst[n:len(y)], sc.b[:])
	}
}

// subMulRow writes dst[c] = float32(float64(dy[c]) - float64(e[c])·s).
func (s *rowF32Set) subMulRow(dst, e, dy []float32, mul float64, sc *rowScratch) {
	n := blocks(len(e))
	if n > 0 {
		s.subMul(dst[:n], e[:n], dy[:n], mul)
	}
	if n < len(e) {
		pad(&sc.a, e[n:], 0)
		pad(&sc.b, dy[n:len(e)], 0)
		s.subMul(sc.b[:], sc.a[:], sc.b[:], mul)
		copy(dst[n:len(e)], sc.b[:])
	}
}

// sumRow returns Σ x[c] in float64, in the lanes of dotRow (a dot with a
// row of ones, which multiplies exactly).
func (s *rowF32Set) sumRow(x, ones []float32, sc *rowScratch) float64 {
	return s.dotRow(x, ones[:len(x)], sc)
}
