package cpu

import "math"

// Float32 paths of the softmax family. They run the same math as the
// generic kernels of softmax.go, a row at a time through the vector row
// kernels of rows_f32.go: the float32 exp kernel (unary_f32.go, 1 ulp)
// instead of float64 math.Exp per element, float64 sums in 16 lanes
// folded in a fixed order, and a multiplication by 1/s in float64 instead
// of a division, so results do not depend on the thread count or on the
// variant. Reference, per row x:
//
//	mx := max(x)                 (NaN aside: a NaN makes s, so the row, NaN)
//	e[c] := exp32(x[c] - mx)     (x[c] - mx rounded to float32)
//	s := Σ_c e[c]                (float64, lanes c%16, then sum16)
//	softmax:     y[c] = float32(float64(e[c]) * (1/s))
//	log-softmax: y[c] = float32(float64(x[c]) - (float64(mx) + log(s)))

// softmax32 is softmax for float32: dst[c] = e[c]/s, or x[c] - mx - log(s)
// for log-softmax (dst holds e meanwhile).
func softmax32(dst, src []float32, rows, cols int, log bool) {
	k := &rowF32Sets[0]
	parallelFor(rows, 4*cols, func(lo, hi int) {
		sc := new(rowScratch)
		for r := lo; r < hi; r++ {
			x, y := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
			mx := k.rowMax(x, sc)
			s := k.expSumRow(y, x, mx, sc)
			if log {
				k.affineRow(y, x, 1, -(float64(mx) + math.Log(s)), sc)
			} else {
				k.affineRow(y, y, 1/s, 0, sc)
			}
		}
	})
}

// crossEntropy32 is crossEntropy for float32, with a row of scratch per
// goroutine for e.
func crossEntropy32(loss, logits []float32, labels []int32, rows, cols int, s float64) {
	k := &rowF32Sets[0]
	parallelFor(rows, 4*cols, func(lo, hi int) {
		e := make([]float32, cols)
		sc := new(rowScratch)
		for r := lo; r < hi; r++ {
			x := logits[r*cols : (r+1)*cols]
			mx := k.rowMax(x, sc)
			shift := float64(mx) + math.Log(k.expSumRow(e, x, mx, sc))
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
// dx[c] = dloss[r]*(e[c]/s - t[c]), with dx holding e meanwhile. Off the
// label t[c] is u = smoothing/cols and dx[c] = float32(e[c]·(g/s) - g·u)
// (one vector pass); the label's element is g·(e/s - (u + 1 - smoothing)).
func crossEntropyBackward32(dlogits, logits []float32, labels []int32, dloss []float32, rows, cols int, s float64) {
	k := &rowF32Sets[0]
	parallelFor(rows, 4*cols, func(lo, hi int) {
		sc := new(rowScratch)
		for r := lo; r < hi; r++ {
			x, dx := logits[r*cols:(r+1)*cols], dlogits[r*cols:(r+1)*cols]
			se := k.expSumRow(dx, x, k.rowMax(x, sc), sc)
			g, lab, u := float64(dloss[r]), int(labels[r]), s/float64(cols)
			el := dx[lab]
			k.affineRow(dx, dx, g/se, -g*u, sc)
			t := u
			t += 1 - s
			dx[lab] = float32(g * (float64(el)/se - t))
		}
	})
}

// softmaxBackward32 is softmaxBackward for float32: for softmax,
// s = Σ dy·y in float64 lanes, then dx = y·(dy - s) in float64, rounded
// once; for log-softmax, s = Σ dy in the same lanes, e = exp(y) by the
// float32 exp kernel (1 ulp; dx holds it meanwhile), then
// dx = dy - e·s in float64, rounded once.
func softmaxBackward32(dx, y, dy []float32, rows, cols int, log bool) {
	k := &rowF32Sets[0]
	parallelFor(rows, 4*cols, func(lo, hi int) {
		sc := new(rowScratch)
		var ones []float32
		if log {
			ones = make([]float32, cols)
			for c := range ones {
				ones[c] = 1
			}
		}
		for r := lo; r < hi; r++ {
			yr, gr, o := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
			if log {
				s := k.sumRow(gr, ones, sc)
				unaryF32Sets[0].exp(o, yr)
				k.subMulRow(o, o, gr, s, sc)
				continue
			}
			k.mulSubRow(o, yr, gr, k.dotRow(gr, yr, sc), sc)
		}
	})
}
