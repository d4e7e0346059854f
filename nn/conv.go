package nn

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// Conv2d is a 2-D convolution (cross-correlation, as PyTorch) over NCHW
// input, as torch.nn.Conv2d: Kernel windows (height, width), Stride, zero
// Padding and Dilation per axis, the channels split into Groups groups; Weight
// [Out, In/Groups, KH, KW] and Bias [Out].
type Conv2d struct {
	In, Out                           int
	Kernel, Stride, Padding, Dilation [2]int // height, width
	Groups                            int
	Weight                            *autograd.Var
	Bias                              *autograd.Var // nil without bias
}

// Conv2dConfig describes a Conv2d for NewConv2dWith. Zero Stride and
// Dilation components and Groups mean 1.
type Conv2dConfig struct {
	In, Out                           int
	Kernel, Stride, Padding, Dilation [2]int
	Groups                            int
	Bias                              bool
}

// NewConv2d returns a convolution with square kernel×kernel windows and
// the same stride and padding on both axes. NewConv2dWith names its
// arguments (NewConv2dWith(c, Conv2dConfig{In: 1, Out: 32, Kernel:
// [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}) for NewConv2d(c, 1, 32,
// 3, 1, 1, true)) and takes the rest (rectangular kernels, dilation,
// groups): prefer it in new code.
func NewConv2d(c Config, in, out, kernel, stride, padding int, bias bool) *Conv2d {
	return NewConv2dWith(c, Conv2dConfig{In: in, Out: out, Kernel: [2]int{kernel, kernel},
		Stride: [2]int{stride, stride}, Padding: [2]int{padding, padding}, Bias: bias})
}

// NewConv2dWith returns the convolution cfg describes, initialised as
// PyTorch does (weight and bias from U(-1/√fan_in, 1/√fan_in), fan_in =
// In/Groups·KH·KW).
func NewConv2dWith(c Config, cfg Conv2dConfig) *Conv2d {
	o := ConvOptions{Stride: cfg.Stride, Padding: cfg.Padding, Dilation: cfg.Dilation, Groups: cfg.Groups}.norm()
	if cfg.In < 1 || cfg.Out < 1 || cfg.In%o.Groups != 0 || cfg.Out%o.Groups != 0 {
		panic(fmt.Sprintf("nn: Conv2d: %d groups do not divide %d inputs and %d outputs", o.Groups, cfg.In, cfg.Out))
	}
	w, b := defaultWeightBias(c, cfg.Bias, cfg.Out, cfg.In/o.Groups, cfg.Kernel[0], cfg.Kernel[1])
	l := &Conv2d{In: cfg.In, Out: cfg.Out, Kernel: cfg.Kernel, Stride: o.Stride, Padding: o.Padding,
		Dilation: o.Dilation, Groups: o.Groups, Weight: autograd.Param(w)}
	if cfg.Bias {
		l.Bias = autograd.Param(b)
	}
	return l
}

// Forward convolves x [N, In, H, W] into [N, Out, OH, OW] with Conv2dFn:
// it unfolds each group of x into columns and multiplies them by that
// group's weights, one product per batch, run by the backend.
func (l *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	if x.Rank() != 4 || x.Dim(1) != l.In {
		inputError("Conv2d", x, "input must be [N, %d, H, W]", l.In)
	}
	return Conv2dFn(x, l.Weight, l.Bias, ConvOptions{Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation, Groups: l.Groups})
}

// Parameters lists weight, then bias.
func (l *Conv2d) Parameters() []NamedParam {
	ps := []NamedParam{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, NamedParam{"bias", l.Bias})
	}
	return ps
}

// Buffers returns nil.
func (l *Conv2d) Buffers() []NamedTensor { return nil }

// Train does nothing.
func (l *Conv2d) Train(bool) {}

// MaxPool2d takes the maximum of each Kernel×Kernel window (stride Stride,
// zero-padded by Padding, which never wins) of NCHW input.
type MaxPool2d struct {
	stateless
	Kernel, Stride, Padding int
}

// NewMaxPool2d returns a max pool; stride 0 means stride = kernel, as
// PyTorch's default.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	if stride == 0 {
		stride = kernel
	}
	return &MaxPool2d{Kernel: kernel, Stride: stride, Padding: padding}
}

// Forward pools x [N, C, H, W].
func (m *MaxPool2d) Forward(x *autograd.Var) *autograd.Var {
	p := tensor.Conv2dGeometry("MaxPool2d", x.Value(), m.Kernel, m.Kernel, m.Stride, m.Padding)
	return autograd.MaxPool2d(x, p)
}

// AvgPool2d averages each Kernel×Kernel window of NCHW input (padding
// counts as zeros, as PyTorch's default count_include_pad).
type AvgPool2d struct {
	stateless
	Kernel, Stride, Padding int
}

// NewAvgPool2d returns an average pool; stride 0 means stride = kernel.
func NewAvgPool2d(kernel, stride, padding int) *AvgPool2d {
	if stride == 0 {
		stride = kernel
	}
	return &AvgPool2d{Kernel: kernel, Stride: stride, Padding: padding}
}

// Forward pools x [N, C, H, W].
func (m *AvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	p := tensor.Conv2dGeometry("AvgPool2d", x.Value(), m.Kernel, m.Kernel, m.Stride, m.Padding)
	return autograd.AvgPool2d(x, p)
}

// Flatten reshapes [N, ...] to [N, rest], keeping the batch axis.
type Flatten struct{ stateless }

// NewFlatten returns a Flatten layer.
func NewFlatten() *Flatten { return &Flatten{} }

// Forward flattens every axis after the first.
func (*Flatten) Forward(x *autograd.Var) *autograd.Var {
	return x.Reshape(x.Value().Dim(0), -1)
}
