package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// convCases cover padding, strides, overlapping and disjoint windows, a
// 1x1 kernel and non-square everything.
var convCases = []device.ConvParams{
	{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 1, C: 2, H: 8, W: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 2, C: 1, H: 9, W: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1},
	{N: 1, C: 4, H: 5, W: 5, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
	{N: 1, C: 1, H: 1, W: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
	{N: 3, C: 2, H: 11, W: 13, KH: 5, KW: 4, StrideH: 3, StrideW: 2, PadH: 2, PadW: 1},
	// dilated (Im2Col and Col2Im only): with padding, with strides and a
	// rectangular kernel, and dilated on one axis only
	{N: 2, C: 3, H: 9, W: 10, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2},
	{N: 1, C: 2, H: 14, W: 11, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 3, DilationH: 3, DilationW: 4},
	{N: 2, C: 2, H: 6, W: 12, KH: 2, KW: 4, StrideH: 1, StrideW: 2, DilationW: 3},
}

func convName(p device.ConvParams) string {
	return fmt.Sprintf("%dx%dx%dx%d_k%dx%d_s%dx%d_p%dx%d_d%dx%d", p.N, p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilationH, p.DilationW)
}

// conv covers Im2Col, Col2Im, MaxPool, MaxPoolBackward, AvgPool and
// AvgPoolBackward in float32 and float64.
func (h *harness) conv(t *testing.T) {
	for _, dt := range h.floats() {
		for _, p := range convCases {
			t.Run(dt.Suffix()+"/"+convName(p), func(t *testing.T) { h.convCase(t, dt, p) })
		}
	}
}

func (h *harness) convCase(t *testing.T, dt device.DType, p device.ConvParams) {
	r := h.rng(t)
	planes := p.N * p.C
	in, out := planes*p.H*p.W, planes*p.OutH()*p.OutW()
	cols := out * p.KH * p.KW
	x := h.upload(t, dt, values(r, dt, in))
	tl := tolFor(dt)

	col := h.alloc(t, dt, cols)
	if h.run(t, func(be device.Backend, s side) error { return be.Im2Col(col.on(s), x.on(s), p) }) {
		h.compare(t, "im2col", col, cols, exact)
	}
	g := h.upload(t, dt, values(r, dt, cols))
	img := h.alloc(t, dt, in)
	if h.run(t, func(be device.Backend, s side) error { return be.Col2Im(img.on(s), g.on(s), p) }) {
		h.compare(t, "col2im", img, in, tl)
	}
	if dh, dw := p.Dilation(); dh != 1 || dw != 1 {
		return // the pooling kernels take no dilation
	}

	// Rounded inputs make windows with tied maxima.
	xr := h.upload(t, dt, roundAll(values(r, dt, in)))
	mx := h.alloc(t, dt, out)
	idx := h.alloc(t, device.Int32, out)
	if h.run(t, func(be device.Backend, s side) error { return be.MaxPool(mx.on(s), idx.on(s), xr.on(s), p) }) {
		h.compare(t, "maxpool", mx, out, exact)
		h.compare(t, "maxpool idx", idx, out, exact)
	}
	dy := h.upload(t, dt, values(r, dt, out))
	dx := h.alloc(t, dt, in)
	if h.run(t, func(be device.Backend, s side) error { return be.MaxPoolBackward(dx.on(s), dy.on(s), idx.on(s), p) }) {
		h.compare(t, "maxpool backward", dx, in, tl)
	}

	av := h.alloc(t, dt, out)
	if h.run(t, func(be device.Backend, s side) error { return be.AvgPool(av.on(s), x.on(s), p) }) {
		h.compare(t, "avgpool", av, out, tl)
	}
	if h.run(t, func(be device.Backend, s side) error { return be.AvgPoolBackward(dx.on(s), dy.on(s), p) }) {
		h.compare(t, "avgpool backward", dx, in, tl)
	}
}

// roundAll rounds every value to an integer.
func roundAll(v []float64) []float64 {
	for i := range v {
		v[i] = float64(int(v[i]))
	}
	return v
}
