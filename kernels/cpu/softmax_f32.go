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
		var short *shortRows
		var e []float32
		var sc *rowScratch
		if cols < shortRowCols {
			short = newShortRows(cols)
		} else {
			e, sc = make([]float32, cols), new(rowScratch)
		}
		for r := lo; r < hi; r++ {
			x := logits[r*cols : (r+1)*cols]
			var mx float32
			var se float64
			if short != nil {
				_, mx, se = short.row(logits, r, hi)
			} else {
				mx = k.rowMax(x, sc)
				se = k.expSumRow(e, x, mx, sc)
			}
			shift := float64(mx) + math.Log(se)
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
		var short *shortRows
		if cols < shortRowCols {
			short = newShortRows(cols)
		}
		for r := lo; r < hi; r++ {
			x, dx := logits[r*cols:(r+1)*cols], dlogits[r*cols:(r+1)*cols]
			g, lab, u := float64(dloss[r]), int(labels[r]), s/float64(cols)
			var se float64
			var el float32
			if short != nil {
				var e []float32
				e, _, se = short.row(logits, r, hi)
				el = e[lab]
				goRowF32.affine(dx, e, g/se, -g*u) // the bits of affineRow's padded block
			} else {
				se = k.expSumRow(dx, x, k.rowMax(x, sc), sc)
				el = dx[lab]
				k.affineRow(dx, dx, g/se, -g*u, sc)
			}
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

// shortRows computes the row statistics of the softmax family for rows
// shorter than one 16-element block, a chunk of rows at a time: the row
// methods of rows_f32.go would pad each such row into a block, and the
// copies, and the vector load that waits for them, cost five times the
// arithmetic (38 against 8 µs for cross-entropy and its gradient at
// 128×10). The bits are those of rowMax and expSumRow: the max in Go
// (exact), x - max rounded to float32, the exp kernel (expF32's bits)
// over the chunk at once, and Σe in the lanes of expSumRow.
type shortRows struct {
	cols   int
	lo, hi int       // the rows of the current chunk
	e      []float32 // their exp(x - max), row after row
	mx     []float32
	se     []float64
}

// shortRowCols is the row length below which the softmax family takes
// shortRows: one block (tests set it to 0 to compare with the row methods).
var shortRowCols = 16

// shortChunk is the rows per chunk: 64 rows of at most 15 elements.
const shortChunk = 64

func newShortRows(cols int) *shortRows {
	return &shortRows{cols: cols, e: make([]float32, shortChunk*cols), mx: make([]float32, shortChunk), se: make([]float64, shortChunk)}
}

// row returns row r's e = exp(x - max), max and Σe, computing the chunk
// that starts at r (up to end) when r is not in the current one.
func (c *shortRows) row(x []float32, r, end int) ([]float32, float32, float64) {
	if r < c.lo || r >= c.hi {
		c.fill(x, r, min(end, r+shortChunk))
	}
	i := r - c.lo
	return c.e[i*c.cols : (i+1)*c.cols], c.mx[i], c.se[i]
}

func (c *shortRows) fill(x []float32, lo, hi int) {
	c.lo, c.hi = lo, hi
	cols, n := c.cols, hi-lo
	for i := range n {
		row, d := x[(lo+i)*cols:(lo+i+1)*cols], c.e[i*cols:(i+1)*cols]
		m := goRowF32.max(row) + 0 // as rowMax
		c.mx[i] = m
		for j, v := range row {
			d[j] = v - m
		}
	}
	unaryF32Sets[0].exp(c.e[:n*cols], c.e[:n*cols])
	for i := range n {
		var lanes [16]float64
		for j, v := range c.e[i*cols : (i+1)*cols] {
			lanes[j] += float64(v)
		}
		c.se[i] = sum16(&lanes)
	}
}
