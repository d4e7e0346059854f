package nn

import (
	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// Conv2d is a 2-D convolution (cross-correlation, as PyTorch) over NCHW
// input with square Kernel×Kernel windows, Stride and zero Padding:
// Weight [Out, In, Kernel, Kernel] and Bias [Out], as torch.nn.Conv2d.
type Conv2d struct {
	In, Out, Kernel, Stride, Padding int
	Weight                           *autograd.Var
	Bias                             *autograd.Var // nil without bias
}

// NewConv2d returns a convolution initialised as PyTorch does (weight and
// bias from U(-1/√fan_in, 1/√fan_in), fan_in = In·Kernel²).
func NewConv2d(c Config, in, out, kernel, stride, padding int, bias bool) *Conv2d {
	w, b := defaultWeightBias(c, bias, out, in, kernel, kernel)
	l := &Conv2d{In: in, Out: out, Kernel: kernel, Stride: stride, Padding: padding, Weight: autograd.Param(w)}
	if bias {
		l.Bias = autograd.Param(b)
	}
	return l
}

// Forward convolves x [N, In, H, W] into [N, Out, OH, OW]. It unfolds x
// into columns [N, In·K², OH·OW] and multiplies them by the weight viewed
// as [Out, In·K²]: one matrix product per batch, run by the backend.
func (l *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	p := tensor.Conv2dGeometry("Conv2d", x.Value(), l.Kernel, l.Kernel, l.Stride, l.Padding)
	if p.C != l.In {
		inputError("Conv2d", x, "input has %d channels, the layer expects %d", p.C, l.In)
	}
	cols := autograd.Im2Col(x, p)
	y := l.Weight.Reshape(l.Out, l.In*l.Kernel*l.Kernel).MatMul(cols)
	if l.Bias != nil {
		y = y.Add(l.Bias.Reshape(l.Out, 1))
	}
	return y.Reshape(p.N, l.Out, p.OutH(), p.OutW())
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
