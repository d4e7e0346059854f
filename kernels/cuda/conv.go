package cuda

import (
	"encoding/binary"
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// convDescBytes is sizeof(struct ConvDesc) of conv.cu: fourteen int32s.
const convDescBytes = 56

// putConvDesc appends struct ConvDesc to a (dilation 0 written as 1).
func putConvDesc(a *driver.Args, p device.ConvParams) {
	out := a.Bytes(convDescBytes)[:0]
	dh, dw := p.Dilation()
	for _, v := range [...]int{p.N, p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.OutH(), p.OutW(), dh, dw} {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
}

// checkConv validates p: positive kernel and strides, non-negative sizes,
// padding and dilation (dilation only for the im2col pair, dilated), a
// non-empty output, and sizes that fit ConvDesc's int32s (only the plane
// index N*C goes 64-bit in the kernels).
func checkConv(op string, p device.ConvParams, dilated bool) error {
	dh, dw := p.Dilation()
	switch {
	case p.N < 0 || p.C < 0 || p.H < 0 || p.W < 0:
		return opErr(op, "negative input size %dx%dx%dx%d", p.N, p.C, p.H, p.W)
	case p.KH <= 0 || p.KW <= 0 || p.StrideH <= 0 || p.StrideW <= 0:
		return opErr(op, "kernel %dx%d and stride %dx%d must be positive", p.KH, p.KW, p.StrideH, p.StrideW)
	case p.PadH < 0 || p.PadW < 0:
		return opErr(op, "negative padding %dx%d", p.PadH, p.PadW)
	case p.DilationH < 0 || p.DilationW < 0 || dh > math.MaxInt32/p.KH || dw > math.MaxInt32/p.KW:
		return opErr(op, "dilation %dx%d must be at least 0 (0 means 1) and the window fit int32", p.DilationH, p.DilationW)
	case !dilated && (dh != 1 || dw != 1):
		return opErr(op, "dilation %dx%d: pooling takes none", dh, dw)
	case p.H+2*p.PadH < p.SpanH() || p.W+2*p.PadW < p.SpanW():
		return opErr(op, "kernel %dx%d (dilated %dx%d) larger than the padded input %dx%d", p.KH, p.KW, p.SpanH(), p.SpanW(), p.H+2*p.PadH, p.W+2*p.PadW)
	case max(p.N, p.C) > math.MaxInt32 || p.H*p.W > math.MaxInt32 || p.KH*p.KW*p.OutH()*p.OutW() > math.MaxInt32:
		return opErr(op, "%dx%d planes of %dx%d (kernel %dx%d) exceed the kernels' int32 indexing", p.N, p.C, p.H, p.W, p.KH, p.KW)
	}
	return nil
}

// convArg is one buffer parameter of a conv.cu kernel: n elements of the
// float dtype, or int32 positions when idx.
type convArg struct {
	x    device.Buffer
	what string
	n    int
	idx  bool
}

// convRun checks p and the (at most three) buffers (in kernel parameter
// order, the first a float one that decides the dtype) and launches
// kern_<dt> over total threads, one per output element.
func (b *Backend) convRun(op, kern string, p device.ConvParams, total int, args ...convArg) error {
	if err := checkConv(op, p, kern == "im2col" || kern == "col2im"); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	dt := dtypeOf(args[0].x)
	var ptrs [3]driver.DevPtr
	for i, a := range args {
		want := dt
		if a.idx {
			want = device.Int32
		}
		x, err := b.buf(op, a.x, want, a.what)
		if err != nil {
			return err
		}
		if err := need(op, x, a.n, a.what); err != nil {
			return err
		}
		ptrs[i] = x.ptr
	}
	if err := floatOnly(op, dt); err != nil || total == 0 {
		return err
	}
	a := b.args()
	for _, x := range ptrs[:len(args)] {
		a.Ptr(x)
	}
	putConvDesc(a, p)
	return b.launch(modConv, kname{kern, "_", dt.Suffix()}, b.grid1D(total))
}

// sizes returns the element counts of a conv's input, pooled output and
// im2col columns.
func sizes(p device.ConvParams) (in, out, cols int) {
	planes := p.N * p.C
	return planes * p.H * p.W, planes * p.OutH() * p.OutW(), planes * p.KH * p.KW * p.OutH() * p.OutW()
}

// Im2Col unfolds src [N,C,H,W] into dst [N, C*KH*KW, OH*OW] (kernel
// im2col_<dt>, a thread per column element).
func (b *Backend) Im2Col(dst, src device.Buffer, p device.ConvParams) error {
	in, _, cols := sizes(p)
	return b.convRun("Im2Col", "im2col", p, cols, convArg{dst, "dst", cols, false}, convArg{src, "src", in, false})
}

// Col2Im folds src [N, C*KH*KW, OH*OW] into dst [N,C,H,W] (kernel
// col2im_<dt>, a thread per input pixel gathering its windows).
func (b *Backend) Col2Im(dst, src device.Buffer, p device.ConvParams) error {
	in, _, cols := sizes(p)
	return b.convRun("Col2Im", "col2im", p, in, convArg{dst, "dst", in, false}, convArg{src, "src", cols, false})
}

// MaxPool writes each window's maximum and its position (kernel
// maxpool_<dt>).
func (b *Backend) MaxPool(dst, idx, src device.Buffer, p device.ConvParams) error {
	in, out, _ := sizes(p)
	return b.convRun("MaxPool", "maxpool", p, out,
		convArg{dst, "dst", out, false}, convArg{idx, "idx", out, true}, convArg{src, "src", in, false})
}

// MaxPoolBackward routes dy to the positions idx names (kernel
// maxpool_backward_<dt>, a gather per input pixel, so no atomics).
func (b *Backend) MaxPoolBackward(dx, dy, idx device.Buffer, p device.ConvParams) error {
	in, out, _ := sizes(p)
	return b.convRun("MaxPoolBackward", "maxpool_backward", p, in,
		convArg{dx, "dx", in, false}, convArg{dy, "dy", out, false}, convArg{idx, "idx", out, true})
}

// AvgPool averages each window over KH*KW (kernel avgpool_<dt>).
func (b *Backend) AvgPool(dst, src device.Buffer, p device.ConvParams) error {
	in, out, _ := sizes(p)
	return b.convRun("AvgPool", "avgpool", p, out, convArg{dst, "dst", out, false}, convArg{src, "src", in, false})
}

// AvgPoolBackward spreads dy over each window (kernel
// avgpool_backward_<dt>, a gather per input pixel).
func (b *Backend) AvgPoolBackward(dx, dy device.Buffer, p device.ConvParams) error {
	in, out, _ := sizes(p)
	return b.convRun("AvgPoolBackward", "avgpool_backward", p, in, convArg{dx, "dx", in, false}, convArg{dy, "dy", out, false})
}
