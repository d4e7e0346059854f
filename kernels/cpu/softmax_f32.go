package cpu

import "math"

// Float32 paths of the softmax family. They run the same math as the
// generic kernels of softmax.go, but exponentiate a row at a time with the
// float32 exp kernel (unary_f32.go, 1 ulp) instead of float64 math.Exp per
// element; sums, logarithms and divisions stay in float64, in order, so
// results still do not depend on the thread count. Reference, per row x:
//
//	mx := max(x)                 (NaN aside: a NaN makes s, so the row, NaN)
//	e[c] := exp32(x[c] - mx)     (x[c] - mx rounded to float32)
//	s := Σ_c e[c]                (float64, in order)

// rowMax returns the largest element of x that is not NaN (-Inf for an
// empty or all-NaN row). A NaN needs no test here: it makes s NaN, and s
// makes the whole row NaN. Four running maxima keep the compares
// independent; Go's max builtin would test every element for NaN.
func rowMax(x []float32) float32 {
	m0 := float32(math.Inf(-1))
	m1, m2, m3 := m0, m0, m0
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		if v[0] > m0 {
			m0 = v[0]
		}
		if v[1] > m1 {
			m1 = v[1]
		}
		if v[2] > m2 {
			m2 = v[2]
		}
		if v[3] > m3 {
			m3 = v[3]
		}
	}
	for _, v := range x[i:] {
		if v > m0 {
			m0 = v
		}
	}
	return max(m0, m1, m2, m3)
}

// shiftedExp writes e[c] = exp(x[c] - mx) and returns Σ e in float64.
func shiftedExp(e, x []float32, mx float32) float64 {
	e = e[:len(x)]
	for c, v := range x {
		e[c] = v - mx
	}
	unaryF32Sets[0].exp(e, e)
	s := 0.0
	for _, v := range e {
		s += float64(v)
	}
	return s
}

// softmax32 is softmax for float32: dst[c] = e[c]/s, or x[c] - mx - log(s)
// for log-softmax (dst holds e meanwhile).
func softmax32(dst, src []float32, rows, cols int, log bool) {
	parallelFor(rows, 4*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, y := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
			mx := rowMax(x)
			s := shiftedExp(y, x, mx)
			if log {
				shift := float64(mx) + math.Log(s)
				for c, v := range x {
					y[c] = float32(float64(v) - shift)
				}
				continue
			}
			for c, v := range y {
				y[c] = float32(float64(v) / s)
			}
		}
	})
}

// crossEntropy32 is crossEntropy for float32, with a row of scratch per
// goroutine for e.
func crossEntropy32(loss, logits []float32, labels []int32, rows, cols int, s float64) {
	parallelFor(rows, 4*cols, func(lo, hi int) {
		e := make([]float32, cols)
		for r := lo; r < hi; r++ {
			x := logits[r*cols : (r+1)*cols]
			mx := rowMax(x)
			shift := float64(mx) + math.Log(shiftedExp(e, x, mx))
			l := -(1 - s) * (float64(x[labels[r]]) - shift)
			if s != 0 {
				sum := 0.0
				for _, v := range x {
					sum += float64(v) - shift
				}
				l -= s / float64(cols) * sum
			}
			loss[r] = float32(l)
		}
	})
}

// crossEntropyBackward32 is crossEntropyBackward for float32:
// dx[c] = dloss[r]*(e[c]/s - t[c]), with dx holding e meanwhile.
func crossEntropyBackward32(dlogits, logits []float32, labels []int32, dloss []float32, rows, cols int, s float64) {
	parallelFor(rows, 4*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, dx := logits[r*cols:(r+1)*cols], dlogits[r*cols:(r+1)*cols]
			se := shiftedExp(dx, x, rowMax(x))
			g, lab, u := float64(dloss[r]), int(labels[r]), s/float64(cols)
			for c, v := range dx {
				t := u
				if c == lab {
					t += 1 - s
				}
				dx[c] = float32(g * (float64(v)/se - t))
			}
		}
	})
}
