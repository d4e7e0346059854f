package cpu

import (
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/tapegrad/tapegrad/device"
)

// conv is a checked ConvParams with its output size.
type conv struct {
	device.ConvParams
	oh, ow int
	dh, dw int // dilation, zero read as 1
}

// planes returns the number of (n, c) planes, the unit of parallel work:
// every kernel here reads and writes one plane per (n, c) and so needs no
// synchronisation.
func (p conv) planes() int { return p.N * p.C }

// convBuffers checks a conv-family call: big and small are the [N,C,H,W]
// and the windowed operand's buffers (float, one dtype), with the windowed
// operand holding smallPer elements per plane. Only the im2col pair
// (dilated) takes a dilation other than 1.
func convBuffers(op string, cp device.ConvParams, dilated bool, big, small device.Buffer, smallPer func(conv) int) (conv, *Buffer, *Buffer, error) {
	p := conv{ConvParams: cp}
	dh, dw := cp.Dilation()
	switch {
	case cp.N < 0 || cp.C < 0 || cp.H < 0 || cp.W < 0 || cp.KH < 1 || cp.KW < 1 ||
		cp.StrideH < 1 || cp.StrideW < 1 || cp.PadH < 0 || cp.PadW < 0 ||
		cp.DilationH < 0 || cp.DilationW < 0 || dh > math.MaxInt32/cp.KH || dw > math.MaxInt32/cp.KW:
		return p, nil, nil, opError(op, "bad parameters %+v", cp)
	case !dilated && (dh != 1 || dw != 1):
		return p, nil, nil, opError(op, "dilation %d×%d: pooling takes none", dh, dw)
	case cp.H+2*cp.PadH < cp.SpanH() || cp.W+2*cp.PadW < cp.SpanW():
		return p, nil, nil, opError(op, "window %d×%d larger than the padded input %d×%d",
			cp.SpanH(), cp.SpanW(), cp.H+2*cp.PadH, cp.W+2*cp.PadW)
	}
	p.oh, p.ow = cp.OutH(), cp.OutW()
	p.dh, p.dw = dh, dw
	b, err := asBuffer(op, big)
	if err != nil {
		return p, nil, nil, err
	}
	bs, err := buffers(op, b.dt, small)
	if err != nil {
		return p, nil, nil, err
	}
	if !b.dt.IsFloat() {
		return p, nil, nil, unsupported(op, b.dt)
	}
	if err := need(op, b, p.planes()*p.H*p.W, "image"); err != nil {
		return p, nil, nil, err
	}
	if err := need(op, bs[0], p.planes()*smallPer(p), "windowed operand"); err != nil {
		return p, nil, nil, err
	}
	return p, b, bs[0], nil
}

// colsPerPlane and outPerPlane size Im2Col columns and pooled outputs.
func colsPerPlane(p conv) int { return p.KH * p.KW * p.oh * p.ow }
func outPerPlane(p conv) int  { return p.oh * p.ow }

// window calls f(h, w, hw) for the in-bounds elements of output (oh, ow)'s
// window, kh-major, with hw = h*W+w its position in the plane.
func (p conv) window(oh, ow int, f func(hw int)) {
	for kh := range p.KH {
		h := oh*p.StrideH - p.PadH + kh
		if h < 0 || h >= p.H {
			continue
		}
		for kw := range p.KW {
			if w := ow*p.StrideW - p.PadW + kw; w >= 0 && w < p.W {
				f(h*p.W + w)
			}
		}
	}
}

// Im2Col unfolds src [N,C,H,W] into dst [N, C*KH*KW, OH*OW]:
//
//	dst[n, (c*KH+kh)*KW+kw, oh*OW+ow] = src[n, c, oh*SH-PH+kh*DH, ow*SW-PW+kw*DW]  (0 outside)
func (be *Backend) Im2Col(dst, src device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dst, src); ok {
		return be.plainHalf("Im2Col", dt, []device.Buffer{dst}, []device.Buffer{src}, func(bs []device.Buffer) error {
			return be.Im2Col(bs[0], bs[1], cp)
		})
	}
	p, s, d, err := convBuffers("Im2Col", cp, true, src, dst, colsPerPlane)
	if err != nil {
		return err
	}
	if s.dt == device.Float32 {
		im2col(p, slice[float32](d), slice[float32](s))
	} else {
		im2col(p, slice[float64](d), slice[float64](s))
	}
	return nil
}

// tapRows returns where tap (kh, kw)'s rows start in the input and which
// outputs read inside it: input row h0 + oh*SH and column w0 + ow*SW, the
// columns in bounds for ow in [lo, hi) (lo <= hi).
func (p conv) tapRows(kh, kw int) (h0, w0, lo, hi int) {
	h0, w0 = kh*p.dh-p.PadH, kw*p.dw-p.PadW
	// w0 + ow*SW in [0, W): ow >= ceil(-w0/SW) and ow < ceil((W-w0)/SW).
	lo = min(max(ceilDiv(-w0, p.StrideW), 0), p.ow)
	hi = max(min(ceilDiv(p.W-w0, p.StrideW), p.ow), lo)
	return h0, w0, lo, hi
}

// ceilDiv is ⌈a/b⌉ for b > 0 and any sign of a.
func ceilDiv(a, b int) int {
	if a <= 0 {
		return -(-a / b)
	}
	return (a + b - 1) / b
}

// im2col fills each output row (one tap, one output row oh) with a copy of
// the input row's in-bounds run (a plain copy at stride 1) and zeros at
// the padded ends, so the inner loop has no bounds test. A "same"
// convolution at stride 1 (output as wide as the input) copies each tap's
// whole block at once: see im2colSame.
func im2col[T float](p conv, dst, src []T) {
	same := p.StrideH == 1 && p.StrideW == 1 && p.ow == p.W
	parallelFor(p.planes(), colsPerPlane(p), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := src[pl*p.H*p.W : (pl+1)*p.H*p.W]
			// plane (n, c) owns rows c*KH*KW.. of image n: one contiguous run
			out := dst[pl*colsPerPlane(p):]
			for kh := range p.KH {
				for kw := range p.KW {
					block := out[(kh*p.KW+kw)*p.oh*p.ow:][:p.oh*p.ow]
					if same {
						im2colSame(p, block, x, kh, kw)
						continue
					}
					im2colTap(p, block, x, kh, kw)
				}
			}
		}
	})
}

// im2colTap writes tap (kh, kw)'s block [OH*OW] of one plane, row by row.
func im2colTap[T float](p conv, block, x []T, kh, kw int) {
	h0, w0, wlo, whi := p.tapRows(kh, kw)
	for oh := range p.oh {
		row := block[oh*p.ow:][:p.ow]
		h := h0 + oh*p.StrideH
		if h < 0 || h >= p.H {
			clear(row)
			continue
		}
		zeroEnds(row, wlo, whi)
		if wlo == whi {
			continue
		}
		run := row[wlo:whi]
		in := x[h*p.W+w0+wlo*p.StrideW:]
		if p.StrideW == 1 {
			copy(run, in)
			continue
		}
		for i := range run {
			run[i] = in[i*p.StrideW]
		}
	}
}

// im2colSame is im2colTap at stride 1 with OW == W: output (oh, ow) reads
// input element (oh*W + ow) + shift, shift = h0*W + w0, so the block's
// in-bounds rows are one shifted copy of the plane. The copy's first and
// last columns in each row that fall in the padding read a neighbouring
// row's pixel instead; zeroEnds then overwrites them.
func im2colSame[T float](p conv, block, x []T, kh, kw int) {
	h0, w0, wlo, whi := p.tapRows(kh, kw)
	ohLo, ohHi := min(max(-h0, 0), p.oh), min(max(p.H-h0, 0), p.oh)
	ohHi = max(ohHi, ohLo)
	clear(block[:ohLo*p.W])
	clear(block[ohHi*p.W:])
	shift := h0*p.W + w0
	if lo, hi := max(ohLo*p.W, -shift), min(ohHi*p.W, p.H*p.W-shift); lo < hi {
		copy(block[lo:hi], x[lo+shift:hi+shift])
	}
	for oh := ohLo; oh < ohHi; oh++ {
		zeroEnds(block[oh*p.W:][:p.W], wlo, whi)
	}
}

// zeroEnds clears row[:lo] and row[hi:], the columns in the padding: a
// loop, as they are a pixel or two wide and a clear call costs more.
func zeroEnds[T float](row []T, lo, hi int) {
	for i := range row[:lo] {
		row[i] = 0
	}
	for i := hi; i < len(row); i++ {
		row[i] = 0
	}
}

// Col2Im folds src [N, C*KH*KW, OH*OW] into dst [N,C,H,W], which it
// overwrites: each element is the sum, in increasing (kh, kw), of the
// columns that Im2Col would copy it to, accumulated in the element type.
func (be *Backend) Col2Im(dst, src device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dst, src); ok {
		return be.plainHalf("Col2Im", dt, []device.Buffer{dst}, []device.Buffer{src}, func(bs []device.Buffer) error {
			return be.Col2Im(bs[0], bs[1], cp)
		})
	}
	p, d, s, err := convBuffers("Col2Im", cp, true, dst, src, colsPerPlane)
	if err != nil {
		return err
	}
	if s.dt == device.Float32 {
		col2im(p, slice[float32](d), slice[float32](s))
	} else {
		col2im(p, slice[float64](d), slice[float64](s))
	}
	return nil
}

// col2im walks the columns in Im2Col's order, adding each in-bounds run
// of a row into its input row: an element meets its taps in increasing
// (kh, kw), one column each. For float32 at a column stride of 1, the
// same adds in the same order run in assembly (col2im32) from a plan of
// the runs, which is the same for every plane: the Go loop's scalar adds
// over 14-float rows took 12% of the CNN step's CPU time.
func col2im[T float](p conv, dst, src []T) {
	if d, ok := any(dst).([]float32); ok && col2im32 != nil && p.StrideW == 1 {
		plan := col2imPlan(p)
		s := any(src).([]float32)
		hw, cpp := p.H*p.W, colsPerPlane(p)
		var pl *int32
		if len(plan) > 0 {
			pl = &plan[0]
		}
		parallelFor(p.planes(), cpp, func(lo, hi int) {
			_ = d[hi*hw-1]
			_ = s[hi*cpp-1]
			col2im32(&d[lo*hw], &s[lo*cpp], pl, len(plan)/3, hi-lo, hw, cpp)
		})
		return
	}
	parallelFor(p.planes(), colsPerPlane(p), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := dst[pl*p.H*p.W : (pl+1)*p.H*p.W]
			clear(x)
			col := src[pl*colsPerPlane(p):]
			for kh := range p.KH {
				for kw := range p.KW {
					h0, w0, wlo, whi := p.tapRows(kh, kw)
					for oh := range p.oh {
						h := h0 + oh*p.StrideH
						if h < 0 || h >= p.H || wlo == whi {
							continue
						}
						row := col[((kh*p.KW+kw)*p.oh+oh)*p.ow:][wlo:whi]
						in := x[h*p.W+w0+wlo*p.StrideW:]
						if p.StrideW == 1 {
							in = in[:len(row)]
							for i, v := range row {
								in[i] += v
							}
							continue
						}
						for i, v := range row {
							in[i*p.StrideW] += v
						}
					}
				}
			}
		}
	})
}

// col2imPlan lists col2im's row adds for one plane at a column stride of
// 1, in its order, as (column offset, input offset, length) triples.
func col2imPlan(p conv) []int32 {
	var plan []int32
	for kh := range p.KH {
		for kw := range p.KW {
			h0, w0, wlo, whi := p.tapRows(kh, kw)
			for oh := range p.oh {
				h := h0 + oh*p.StrideH
				if h < 0 || h >= p.H || wlo == whi {
					continue
				}
				plan = append(plan, int32(((kh*p.KW+kw)*p.oh+oh)*p.ow+wlo), int32(h*p.W+w0+wlo), int32(whi-wlo))
			}
		}
	}
	return plan
}

// MaxPool writes each window's maximum to dst and its position h*W+w in
// the plane to idx (Int32). The first maximum in (kh, kw) order wins, a NaN
// beats every number (the first NaN wins), and padding never wins: a
// window entirely in padding writes 0 and index -1.
func (be *Backend) MaxPool(dst, idx, src device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dst, idx, src); ok {
		return be.plainHalf("MaxPool", dt, []device.Buffer{dst, idx}, []device.Buffer{src}, func(bs []device.Buffer) error {
			return be.MaxPool(bs[0], bs[1], bs[2], cp)
		})
	}
	p, s, d, err := convBuffers("MaxPool", cp, false, src, dst, outPerPlane)
	if err != nil {
		return err
	}
	ib, err := buffers("MaxPool", device.Int32, idx)
	if err != nil {
		return err
	}
	if err := need("MaxPool", ib[0], p.planes()*outPerPlane(p), "idx"); err != nil {
		return err
	}
	if s.dt == device.Float32 {
		maxPool(p, slice[float32](d), slice[int32](ib[0]), slice[float32](s))
	} else {
		maxPool(p, slice[float64](d), slice[int32](ib[0]), slice[float64](s))
	}
	return nil
}

func maxPool[T float](p conv, dst []T, idx []int32, src []T) {
	per := outPerPlane(p)
	pair := p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.PadH == 0 && p.PadW == 0
	parallelFor(p.planes(), p.KH*p.KW*per, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := src[pl*p.H*p.W : (pl+1)*p.H*p.W]
			d, ix := dst[pl*per:(pl+1)*per], idx[pl*per:(pl+1)*per]
			if pair {
				maxPool2x2(p, d, ix, x)
			} else {
				maxPoolPlane(p, d, ix, x)
			}
		}
	})
}

// maxPoolPlane pools one plane: each window's in-bounds rows and columns
// are clipped once, so the inner loop tests nothing but the maximum.
func maxPoolPlane[T float](p conv, d []T, ix []int32, x []T) {
	for oh := range p.oh {
		h0 := oh*p.StrideH - p.PadH
		khLo, khHi := max(0, -h0), min(p.KH, p.H-h0)
		for ow := range p.ow {
			w0 := ow*p.StrideW - p.PadW
			kwLo, kwHi := max(0, -w0), min(p.KW, p.W-w0)
			best, bi := T(0), -1
			for kh := khLo; kh < khHi; kh++ {
				at := (h0+kh)*p.W + w0
				for kw := kwLo; kw < kwHi; kw++ {
					if v := x[at+kw]; bi < 0 || maxWins(v, best) {
						best, bi = v, at+kw
					}
				}
			}
			d[oh*p.ow+ow], ix[oh*p.ow+ow] = best, int32(bi)
		}
	}
}

// maxPool2x2 is maxPoolPlane for the common 2×2 window at stride 2
// without padding: every window lies inside, two pixels on each of two
// rows. It plays each window as a tournament: the first row's pair, the
// second row's pair, then the two winners, a later pixel winning only when
// maxWins; that picks the first maximum and the first NaN, as the (kh, kw)
// scan does. The winners are chosen by index arithmetic on 0/1 flags, not
// by branches, which random data mispredicts: 2x faster than the scan on
// data too large for the branch predictor to learn. Float32 rows go to
// maxPoolRow32 where the CPU has AVX-512 (pool_amd64.s: the same
// tournament, 16 windows a step; maxpool-fwd 1.94 -> 0.52 ms).
func maxPool2x2[T float](p conv, d []T, ix []int32, x []T) {
	for oh := range p.oh {
		at := 2 * oh * p.W
		r0, r1 := x[at:][:2*p.ow], x[at+p.W:][:2*p.ow]
		drow, irow := d[oh*p.ow:][:p.ow], ix[oh*p.ow:][:p.ow]
		if _, ok := any(x).([]float32); ok && maxPoolRow32 != nil && p.ow > 0 {
			maxPoolRow32((*float32)(unsafe.Pointer(&drow[0])), &irow[0],
				(*float32)(unsafe.Pointer(&r0[0])), (*float32)(unsafe.Pointer(&r1[0])), p.ow, at, p.W)
			continue
		}
		for ow := range drow {
			w := 2 * ow
			t, u := r0[w:w+2:w+2], r1[w:w+2:w+2]
			k0, k1 := wins(t[1], t[0]), wins(u[1], u[0])
			v := [2]T{t[k0&1], u[k1&1]}
			k := wins(v[1], v[0])
			drow[ow] = v[k&1]
			irow[ow] = int32(at + w + k0 + k*(p.W+k1-k0))
		}
	}
}

// wins is maxWins(v, best) as 1 or 0, computed from flags (SETcc on amd64)
// rather than by jumps.
func wins[T float](v, best T) int {
	return b2i(v > best) | b2i(v != v)&b2i(best == best)
}

// b2i is 1 for true and 0 for false; the compiler turns it into a flag
// move, not a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MaxPoolBackward zeroes dx and adds each dy to the position idx names in
// its plane, in (oh, ow) order; index -1 (an all-padding window) is skipped.
func (be *Backend) MaxPoolBackward(dx, dy, idx device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dx, dy, idx); ok {
		return be.plainHalf("MaxPoolBackward", dt, []device.Buffer{dx}, []device.Buffer{dy, idx}, func(bs []device.Buffer) error {
			return be.MaxPoolBackward(bs[0], bs[1], bs[2], cp)
		})
	}
	p, d, g, err := convBuffers("MaxPoolBackward", cp, false, dx, dy, outPerPlane)
	if err != nil {
		return err
	}
	ib, err := buffers("MaxPoolBackward", device.Int32, idx)
	if err != nil {
		return err
	}
	n := p.planes() * outPerPlane(p)
	if err := need("MaxPoolBackward", ib[0], n, "idx"); err != nil {
		return err
	}
	is := slice[int32](ib[0])[:n]
	var bad int
	if d.dt == device.Float32 {
		bad = maxPoolBackward(p, slice[float32](d), slice[float32](g), is)
	} else {
		bad = maxPoolBackward(p, slice[float64](d), slice[float64](g), is)
	}
	if bad >= 0 {
		return opError("MaxPoolBackward", "index %d at position %d is outside [-1, %d)", is[bad], bad, p.H*p.W)
	}
	return nil
}

// maxPoolBackward is MaxPoolBackward's loop. It checks the indices as it
// goes, in parallel (a serial pass before it took 1.3% of the CNN's
// step), and returns the first position whose index is outside [-1, H*W),
// or -1; dx is then unspecified.
func maxPoolBackward[T float](p conv, dx, dy []T, idx []int32) int {
	per := outPerPlane(p)
	var bad atomic.Int64 // the first bad position + 1, 0 for none
	parallelFor(p.planes(), p.H*p.W+per, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := dx[pl*p.H*p.W : (pl+1)*p.H*p.W]
			clear(x)
			for o, i := range idx[pl*per : (pl+1)*per] {
				switch {
				case uint(i) < uint(len(x)):
					x[i] += dy[pl*per+o]
				case i != -1:
					for pos := int64(pl*per + o + 1); ; {
						if b := bad.Load(); b != 0 && b <= pos || bad.CompareAndSwap(b, pos) {
							break
						}
					}
				}
			}
		}
	})
	return int(bad.Load()) - 1
}

// AvgPool writes each window's sum (padding counting as zeros) divided by
// KH*KW, PyTorch's count_include_pad; the sum is in float64.
func (be *Backend) AvgPool(dst, src device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dst, src); ok {
		return be.plainHalf("AvgPool", dt, []device.Buffer{dst}, []device.Buffer{src}, func(bs []device.Buffer) error {
			return be.AvgPool(bs[0], bs[1], cp)
		})
	}
	p, s, d, err := convBuffers("AvgPool", cp, false, src, dst, outPerPlane)
	if err != nil {
		return err
	}
	if s.dt == device.Float32 {
		avgPool(p, slice[float32](d), slice[float32](s))
	} else {
		avgPool(p, slice[float64](d), slice[float64](s))
	}
	return nil
}

func avgPool[T float](p conv, dst, src []T) {
	per, area := outPerPlane(p), float64(p.KH*p.KW)
	parallelFor(p.planes(), p.KH*p.KW*per, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := src[pl*p.H*p.W:]
			for oh := range p.oh {
				for ow := range p.ow {
					s := 0.0
					p.window(oh, ow, func(hw int) { s += float64(x[hw]) })
					dst[pl*per+oh*p.ow+ow] = T(s / area)
				}
			}
		}
	})
}

// AvgPoolBackward zeroes dx and adds dy/(KH*KW), rounded to the element
// type, to every in-bounds element of each window, in (oh, ow) order.
func (be *Backend) AvgPoolBackward(dx, dy device.Buffer, cp device.ConvParams) error {
	if dt, ok := halfOf(dx, dy); ok {
		return be.plainHalf("AvgPoolBackward", dt, []device.Buffer{dx}, []device.Buffer{dy}, func(bs []device.Buffer) error {
			return be.AvgPoolBackward(bs[0], bs[1], cp)
		})
	}
	p, d, g, err := convBuffers("AvgPoolBackward", cp, false, dx, dy, outPerPlane)
	if err != nil {
		return err
	}
	if d.dt == device.Float32 {
		avgPoolBackward(p, slice[float32](d), slice[float32](g))
	} else {
		avgPoolBackward(p, slice[float64](d), slice[float64](g))
	}
	return nil
}

func avgPoolBackward[T float](p conv, dx, dy []T) {
	per, area := outPerPlane(p), float64(p.KH*p.KW)
	parallelFor(p.planes(), p.KH*p.KW*per, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			x := dx[pl*p.H*p.W : (pl+1)*p.H*p.W]
			clear(x)
			for o, v := range dy[pl*per : (pl+1)*per] {
				g := T(float64(v) / area)
				p.window(o/p.ow, o%p.ow, func(hw int) { x[hw] += g })
			}
		}
	})
}
