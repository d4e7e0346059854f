package nn

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// ConvOptions configure the functional convolutions, as the keyword
// arguments of torch.nn.functional.conv2d: per-axis Stride (zero means 1),
// zero Padding and Dilation (zero means 1: taps Dilation apart), and
// Groups (zero means 1): the input channels and the outputs are split
// into Groups groups convolved separately.
type ConvOptions struct {
	Stride   [2]int // height, width
	Padding  [2]int
	Dilation [2]int
	Groups   int
}

func (o ConvOptions) norm() ConvOptions {
	for i := range o.Stride {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// Conv2dFn convolves x [N, C, H, W] with weight w [O, C/Groups, KH, KW]
// (any kernel shape) and adds bias b [O] (nil for none), as
// torch.nn.functional.conv2d: each group unfolds its channels (Im2Col,
// which reads the dilated taps itself: no zero taps are multiplied) and
// multiplies them by its weights.
func Conv2dFn(x, w, b *autograd.Var, o ConvOptions) *autograd.Var {
	o = o.norm()
	if x.Rank() != 4 || w.Rank() != 4 {
		panic(fmt.Sprintf("nn: Conv2dFn: input %v and weight %v must be [N, C, H, W] and [O, C/groups, KH, KW]", x.Shape(), w.Shape()))
	}
	if o.Dilation[0] < 1 || o.Dilation[1] < 1 {
		panic(fmt.Sprintf("nn: Conv2dFn: dilation %v: want at least 1", o.Dilation))
	}
	n, c, out, kh, kw := x.Dim(0), x.Dim(1), w.Dim(0), w.Dim(2), w.Dim(3)
	g := o.Groups
	if c%g != 0 || out%g != 0 || w.Dim(1) != c/g {
		panic(fmt.Sprintf("nn: Conv2dFn: %d groups do not fit %d input channels, %d outputs and weight %v", g, c, out, w.Shape()))
	}
	cg, og := c/g, out/g
	p := device.ConvParams{N: n, C: cg, H: x.Dim(2), W: x.Dim(3), KH: kh, KW: kw,
		StrideH: o.Stride[0], StrideW: o.Stride[1], PadH: o.Padding[0], PadW: o.Padding[1],
		DilationH: o.Dilation[0], DilationW: o.Dilation[1]}
	ys := make([]*autograd.Var, g)
	k := cg * kh * kw
	for i := range g {
		xi, wi := x, w
		if g > 1 {
			xi, wi = x.Narrow(1, i*cg, cg), w.Narrow(0, i*og, og)
		}
		cols := autograd.Im2Col(xi, p)
		if !cols.RequiresGrad() && cols.Tangent() == nil {
			if g == 1 && b != nil && 2*(k+1) <= og {
				// Few taps, many outputs (a first layer over the data):
				// the bias rides in the product as one more tap, a row
				// of ones, which costs less than a pass over the output.
				return foldedBias(wi.Reshape(og, k), b, cols, n, p)
			}
			ys[i] = wi.Reshape(og, k).MatMul(cols)
			// The columns of an input that records nothing (the data)
			// are no Var of the graph: only the product reads them.
			ys[i].Own(cols.Value())
			continue
		}
		ys[i] = wi.Reshape(og, k).MatMul(cols)
	}
	y := ys[0]
	if g > 1 {
		y = autograd.Concat(1, ys...)
	}
	if b != nil {
		sum := y.Add(b.Reshape(out, 1))
		releaseTemp(y)
		y = sum
	}
	return y.Reshape(n, out, p.OutH(), p.OutW())
}

// foldedBias returns [w | b] @ [cols; 1] as [N, O, OH, OW]: the
// convolution of constant columns cols [N, K, L] by w [O, K] with bias b
// [O] added inside the product, whose weight gradient carries b's (the
// sum of the output gradient over N and L). The joined columns, and in
// evaluation the joined weights, are temporaries only the product reads.
func foldedBias(w, b, cols *autograd.Var, n int, p device.ConvParams) *autograd.Var {
	l := p.OutH() * p.OutW()
	ones := autograd.Const(tensor.Ones(cols.Device(), cols.DType(), n, 1, l))
	joined := autograd.Concat(1, cols, ones)
	cols.Value().Release()
	ones.Value().Release()
	wb := autograd.Concat(1, w, b.Reshape(w.Dim(0), 1))
	y := wb.MatMul(joined)
	y.Own(joined.Value())
	if !wb.RequiresGrad() && wb.Tangent() == nil {
		wb.Value().Release() // evaluation: no record keeps it
	}
	return y.Reshape(n, w.Dim(0), p.OutH(), p.OutW())
}

// Conv1dFn convolves x [N, C, L] with w [O, C/Groups, K] (bias b [O] or
// nil), as torch.nn.functional.conv1d: Conv2dFn over a height of 1, with
// the width's stride and padding taken from stride and padding.
func Conv1dFn(x, w, b *autograd.Var, stride, padding, groups int) *autograd.Var {
	if x.Rank() != 3 || w.Rank() != 3 {
		panic(fmt.Sprintf("nn: Conv1dFn: input %v and weight %v must be [N, C, L] and [O, C/groups, K]", x.Shape(), w.Shape()))
	}
	o := ConvOptions{Stride: [2]int{1, stride}, Padding: [2]int{0, padding}, Groups: groups}
	return Conv2dFn(x.Unsqueeze(2), w.Unsqueeze(2), b, o).Squeeze(2)
}

// ConvTranspose2dFn is the transposed convolution of x [N, Cin, H, W]
// with w [Cin, Cout/Groups, KH, KW] (bias b [Cout] or nil), as
// torch.nn.functional.conv_transpose2d: the adjoint of Conv2dFn, output
// [N, Cout, (H-1)·sh - 2·ph + dh·(KH-1) + 1, (W-1)·sw - 2·pw + dw·(KW-1) + 1].
// Each group multiplies its Cin/Groups input channels by its slice of the
// weight into columns and folds them (Col2Im, dilated like the forward
// convolution's Im2Col) into its Cout/Groups outputs. There is no output
// padding.
func ConvTranspose2dFn(x, w, b *autograd.Var, o ConvOptions) *autograd.Var {
	o = o.norm()
	if x.Rank() != 4 || w.Rank() != 4 || w.Dim(0) != x.Dim(1) {
		panic(fmt.Sprintf("nn: ConvTranspose2dFn: input %v and weight %v must be [N, Cin, H, W] and [Cin, Cout/groups, KH, KW]", x.Shape(), w.Shape()))
	}
	if o.Dilation[0] < 1 || o.Dilation[1] < 1 {
		panic(fmt.Sprintf("nn: ConvTranspose2dFn: dilation %v: want at least 1", o.Dilation))
	}
	n, cin, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	g := o.Groups
	if g < 1 || cin%g != 0 {
		panic(fmt.Sprintf("nn: ConvTranspose2dFn: %d groups do not divide %d input channels", g, cin))
	}
	cg, og, kh, kw := cin/g, w.Dim(1), w.Dim(2), w.Dim(3)
	cout := og * g
	if b != nil && (b.Rank() != 1 || b.Dim(0) != cout) {
		panic(fmt.Sprintf("nn: ConvTranspose2dFn: bias %v, want [%d]", b.Shape(), cout))
	}
	oh := (h-1)*o.Stride[0] - 2*o.Padding[0] + o.Dilation[0]*(kh-1) + 1
	ow := (wd-1)*o.Stride[1] - 2*o.Padding[1] + o.Dilation[1]*(kw-1) + 1
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("nn: ConvTranspose2dFn: output %dx%d is empty", oh, ow))
	}
	p := device.ConvParams{N: n, C: og, H: oh, W: ow, KH: kh, KW: kw,
		StrideH: o.Stride[0], StrideW: o.Stride[1], PadH: o.Padding[0], PadW: o.Padding[1],
		DilationH: o.Dilation[0], DilationW: o.Dilation[1]}
	ys := make([]*autograd.Var, g)
	for i := range g {
		xi, wi := x, w
		if g > 1 {
			xi, wi = x.Narrow(1, i*cg, cg), w.Narrow(0, i*cg, cg)
		}
		cols := wi.Reshape(cg, og*kh*kw).T().MatMul(xi.Reshape(n, cg, h*wd))
		ys[i] = autograd.Col2Im(cols, p)
	}
	y := ys[0]
	if g > 1 {
		y = autograd.Concat(1, ys...)
	}
	if b != nil {
		y = y.Add(b.Reshape(1, cout, 1, 1))
	}
	return y
}

// releaseTemp returns the storage of v, a layer's intermediate result that
// the layer alone holds (a product before its bias is added), to the
// device's cache at once when nothing recorded v: in evaluation nothing
// else can read it, and a buffer left to the collector is one the next
// batch allocates afresh (zeroed, and on the CPU page-faulted in: 13% of
// a convolution's forward pass over a batch of 64). A recorded v is the
// backward pass's to free.
func releaseTemp(v *autograd.Var) {
	if !v.RequiresGrad() && v.Tangent() == nil {
		v.Value().Release()
	}
}
