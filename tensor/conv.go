package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// Conv2dGeometry returns the ConvParams of a kh×kw window with stride and
// padding over x [N,C,H,W], panicking when the window does not fit.
func Conv2dGeometry(op string, x *Tensor, kh, kw, stride, pad int) device.ConvParams {
	nonNil(op, x)
	if x.Rank() != 4 {
		fail(ErrShape, op, []*Tensor{x}, "input must be [N, C, H, W]")
	}
	p := device.ConvParams{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: kh, KW: kw, StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
	checkConv(op, p, false, x)
	return p
}

// checkConv panics unless every backend can walk p: kernel and stride at
// least 1, padding and dilation at least 0 (dilation 0 means 1), and the
// (dilated) window fitting the padded input. Pooling (pool) also needs
// padding at most half the kernel, as PyTorch does: more would make
// windows of padding alone, with no element to pick or average; and it
// takes no dilation (the pooling kernels have none). Every op taking
// ConvParams calls it first, so OutH and OutW never divide by zero.
func checkConv(op string, p device.ConvParams, pool bool, operands ...*Tensor) {
	window := func() string {
		return fmt.Sprintf("kernel %dx%d, stride %dx%d, padding %dx%d, dilation %dx%d",
			p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilationH, p.DilationW)
	}
	dh, dw := p.Dilation()
	switch {
	case p.N < 0 || p.C < 0 || p.H < 0 || p.W < 0:
		fail(ErrShape, op, operands, "negative size in input [%d %d %d %d]", p.N, p.C, p.H, p.W)
	case p.KH < 1 || p.KW < 1 || p.StrideH < 1 || p.StrideW < 1:
		fail(ErrValue, op, operands, "%s: kernel and stride must be at least 1", window())
	case p.PadH < 0 || p.PadW < 0:
		fail(ErrValue, op, operands, "%s: padding must not be negative", window())
	case p.DilationH < 0 || p.DilationW < 0 || dh > math.MaxInt32/p.KH || dw > math.MaxInt32/p.KW:
		fail(ErrValue, op, operands, "%s: dilation must be at least 1 (0 means 1) and the window not huge", window())
	case pool && (p.PadH > p.KH/2 || p.PadW > p.KW/2):
		fail(ErrValue, op, operands, "%s: padding %dx%d is more than half the kernel %dx%d", window(), p.PadH, p.PadW, p.KH, p.KW)
	case p.PadH > (math.MaxInt-p.H)/2 || p.PadW > (math.MaxInt-p.W)/2 ||
		p.H+2*p.PadH < p.SpanH() || p.W+2*p.PadW < p.SpanW():
		fail(ErrShape, op, operands, "%s does not fit input %dx%d", window(), p.H, p.W)
	case pool && (dh != 1 || dw != 1):
		fail(ErrValue, op, operands, "%s: pooling takes no dilation", window())
	}
}

func checkGeometry(op string, t *Tensor, want []int) {
	if !slices.Equal(t.shape, want) {
		fail(ErrShape, op, []*Tensor{t}, "expected shape %v", want)
	}
}

// Im2Col unfolds x [N,C,H,W] into [N, C*KH*KW, OH*OW] columns so that a
// convolution becomes a matrix product.
func Im2Col(x *Tensor, p device.ConvParams) *Tensor {
	nonNil("Im2Col", x)
	checkConv("Im2Col", p, false, x)
	requireFloat("Im2Col", x)
	checkGeometry("Im2Col", x, []int{p.N, p.C, p.H, p.W})
	src := x.Contiguous()
	out := x.like("Im2Col", x.dtype, []int{p.N, p.C * p.KH * p.KW, p.OutH() * p.OutW()})
	check("Im2Col", x.st.be.Im2Col(out.st.buf, src.st.buf, p), x, src)
	freeCopies(src, x)
	return out
}

// Col2Im folds columns [N, C*KH*KW, OH*OW] back to [N,C,H,W], summing
// overlaps: the adjoint of Im2Col.
func Col2Im(cols *Tensor, p device.ConvParams) *Tensor {
	nonNil("Col2Im", cols)
	checkConv("Col2Im", p, false, cols)
	requireFloat("Col2Im", cols)
	checkGeometry("Col2Im", cols, []int{p.N, p.C * p.KH * p.KW, p.OutH() * p.OutW()})
	src := cols.Contiguous()
	out := cols.like("Col2Im", cols.dtype, []int{p.N, p.C, p.H, p.W})
	check("Col2Im", cols.st.be.Col2Im(out.st.buf, src.st.buf, p), cols, src)
	freeCopies(src, cols)
	return out
}

// MaxPool2d returns the window maxima of x [N,C,H,W] and their Int32
// positions within each H*W plane (for the backward pass).
func MaxPool2d(x *Tensor, p device.ConvParams) (out, idx *Tensor) {
	nonNil("MaxPool2d", x)
	checkConv("MaxPool2d", p, true, x)
	requireFloat("MaxPool2d", x)
	checkGeometry("MaxPool2d", x, []int{p.N, p.C, p.H, p.W})
	src := x.Contiguous()
	shape := []int{p.N, p.C, p.OutH(), p.OutW()}
	out = x.like("MaxPool2d", x.dtype, shape)
	idx = x.like("MaxPool2d", device.Int32, shape)
	check("MaxPool2d", x.st.be.MaxPool(out.st.buf, idx.st.buf, src.st.buf, p), x, src)
	freeCopies(src, x)
	return out, idx
}

// MaxPool2dBackward routes dy to the positions idx chose.
func MaxPool2dBackward(dy, idx *Tensor, p device.ConvParams) *Tensor {
	nonNil("MaxPool2dBackward", dy, idx)
	checkConv("MaxPool2dBackward", p, true, dy, idx)
	checkGeometry("MaxPool2dBackward", dy, []int{p.N, p.C, p.OutH(), p.OutW()})
	checkGeometry("MaxPool2dBackward", idx, []int{p.N, p.C, p.OutH(), p.OutW()})
	requireFloat("MaxPool2dBackward", dy)
	sameDevice("MaxPool2dBackward", dy, idx)
	if idx.dtype != device.Int32 {
		fail(ErrDType, "MaxPool2dBackward", []*Tensor{dy, idx}, "positions must be int32 (from MaxPool2d), got %v", idx.dtype)
	}
	g, ix := dy.Contiguous(), idx.Contiguous()
	dx := dy.like("MaxPool2dBackward", dy.dtype, []int{p.N, p.C, p.H, p.W})
	check("MaxPool2dBackward", dy.st.be.MaxPoolBackward(dx.st.buf, g.st.buf, ix.st.buf, p), dy, idx, g, ix)
	freeCopies(g, dy, ix, idx)
	return dx
}

// AvgPool2d returns the window means of x [N,C,H,W] (padding counts as
// zeros in the mean).
func AvgPool2d(x *Tensor, p device.ConvParams) *Tensor {
	nonNil("AvgPool2d", x)
	checkConv("AvgPool2d", p, true, x)
	requireFloat("AvgPool2d", x)
	checkGeometry("AvgPool2d", x, []int{p.N, p.C, p.H, p.W})
	src := x.Contiguous()
	out := x.like("AvgPool2d", x.dtype, []int{p.N, p.C, p.OutH(), p.OutW()})
	check("AvgPool2d", x.st.be.AvgPool(out.st.buf, src.st.buf, p), x, src)
	freeCopies(src, x)
	return out
}

// AvgPool2dBackward spreads dy evenly over each window.
func AvgPool2dBackward(dy *Tensor, p device.ConvParams) *Tensor {
	nonNil("AvgPool2dBackward", dy)
	checkConv("AvgPool2dBackward", p, true, dy)
	checkGeometry("AvgPool2dBackward", dy, []int{p.N, p.C, p.OutH(), p.OutW()})
	g := dy.Contiguous()
	dx := dy.like("AvgPool2dBackward", dy.dtype, []int{p.N, p.C, p.H, p.W})
	check("AvgPool2dBackward", dy.st.be.AvgPoolBackward(dx.st.buf, g.st.buf, p), dy, g)
	freeCopies(g, dy)
	return dx
}
