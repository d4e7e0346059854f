package nn

import (
	"slices"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// LayerNorm normalises over the trailing axes of shape Shape:
// y = (x - mean)/√(var + Eps)·Weight + Bias, with the biased variance, as
// torch.nn.LayerNorm. Weight starts at ones and Bias at zeros.
type LayerNorm struct {
	Shape  []int
	Eps    float64
	Weight *autograd.Var
	Bias   *autograd.Var
}

// NewLayerNorm returns a LayerNorm over trailing axes of the given shape,
// with Eps 1e-5.
func NewLayerNorm(c Config, shape ...int) *LayerNorm {
	return &LayerNorm{
		Shape:  slices.Clone(shape),
		Eps:    1e-5,
		Weight: autograd.Param(tensor.Ones(c.Device, c.DType, shape...)),
		Bias:   autograd.Param(tensor.Zeros(c.Device, c.DType, shape...)),
	}
}

// Forward normalises x [..., Shape...].
func (l *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	s := x.Value().Shape()
	k := len(l.Shape)
	if len(s) < k || !slices.Equal(s[len(s)-k:], l.Shape) {
		inputError("LayerNorm", x, "input must end in the normalised shape %v", l.Shape)
	}
	axes := make([]int, k)
	for i := range axes {
		axes[i] = len(s) - k + i
	}
	xc := x.Sub(x.Mean(true, axes...))
	v := xc.Mul(xc).Mean(true, axes...)
	return xc.Div(v.AddScalar(l.Eps).Sqrt()).Mul(l.Weight).Add(l.Bias)
}

// Parameters lists weight, then bias.
func (l *LayerNorm) Parameters() []NamedParam {
	return []NamedParam{{"weight", l.Weight}, {"bias", l.Bias}}
}

// Buffers returns nil.
func (l *LayerNorm) Buffers() []NamedTensor { return nil }

// Train does nothing.
func (l *LayerNorm) Train(bool) {}

// BatchNorm normalises each channel (axis 1) over the batch and spatial
// axes, as torch.nn.BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d
// ([N, C, H, W]). In training mode it uses the batch's mean and biased
// variance and updates the running statistics with
// running = (1-Momentum)·running + Momentum·batch (the unbiased variance
// for RunningVar); in evaluation mode it uses the running statistics.
type BatchNorm struct {
	C           int // channels
	Rank        int // input rank: 4 for 2d; 0 for 1d, which takes rank 2 or 3
	Eps         float64
	Momentum    float64
	Weight      *autograd.Var
	Bias        *autograd.Var
	RunningMean *tensor.Tensor
	RunningVar  *tensor.Tensor
	train       bool
}

// NewBatchNorm1d returns a BatchNorm for [N, C] or [N, C, L] input with
// PyTorch's defaults: Eps 1e-5, Momentum 0.1, weight ones, bias zeros,
// running mean zeros and running variance ones.
func NewBatchNorm1d(c Config, channels int) *BatchNorm { return newBatchNorm(c, channels, 0) }

// NewBatchNorm2d returns a BatchNorm for [N, C, H, W] input, with the
// defaults of NewBatchNorm1d.
func NewBatchNorm2d(c Config, channels int) *BatchNorm { return newBatchNorm(c, channels, 4) }

func newBatchNorm(c Config, channels, rank int) *BatchNorm {
	return &BatchNorm{
		C: channels, Rank: rank, Eps: 1e-5, Momentum: 0.1,
		Weight:      autograd.Param(tensor.Ones(c.Device, c.DType, channels)),
		Bias:        autograd.Param(tensor.Zeros(c.Device, c.DType, channels)),
		RunningMean: tensor.Zeros(c.Device, c.DType, channels),
		RunningVar:  tensor.Ones(c.Device, c.DType, channels),
		train:       true,
	}
}

// Forward normalises x.
func (b *BatchNorm) Forward(x *autograd.Var) *autograd.Var {
	s := x.Value().Shape()
	okRank := len(s) == b.Rank || (b.Rank == 0 && (len(s) == 2 || len(s) == 3))
	if !okRank || s[1] != b.C {
		want := "[N, C] or [N, C, L]"
		if b.Rank == 4 {
			want = "[N, C, H, W]"
		}
		inputError("BatchNorm", x, "BatchNorm(%d) needs input %s with C = %d", b.C, want, b.C)
	}
	// bshape broadcasts per-channel vectors against x: [1, C, 1, ...].
	bshape := make([]int, len(s))
	axes := []int{0}
	for i := range bshape {
		bshape[i] = 1
		if i >= 2 {
			axes = append(axes, i)
		}
	}
	bshape[1] = b.C
	var mean, inv *autograd.Var
	if b.train {
		n := x.Value().Numel() / b.C
		if n < 2 {
			inputError("BatchNorm", x, "training mode needs more than one value per channel")
		}
		mean = x.Mean(true, axes...)
		xc := x.Sub(mean)
		v := xc.Mul(xc).Mean(true, axes...)
		b.track(mean.Value(), v.Value(), n)
		inv = v.AddScalar(b.Eps).Sqrt()
		return xc.Div(inv).Mul(b.Weight.Reshape(bshape...)).Add(b.Bias.Reshape(bshape...))
	}
	mean = autograd.Const(b.RunningMean.Reshape(bshape...))
	inv = autograd.Const(b.RunningVar.AddScalar(b.Eps).Sqrt().Reshape(bshape...))
	return x.Sub(mean).Div(inv).Mul(b.Weight.Reshape(bshape...)).Add(b.Bias.Reshape(bshape...))
}

// track folds a batch's statistics into the running ones, in place, so
// the tensors Buffers returned stay the module's.
func (b *BatchNorm) track(mean, biasedVar *tensor.Tensor, n int) {
	m := b.Momentum
	mean = mean.Reshape(b.C)
	unbiased := biasedVar.Reshape(b.C).MulScalar(float64(n) / float64(n-1))
	b.RunningMean.Assign(b.RunningMean.MulScalar(1 - m).Add(mean.MulScalar(m)))
	b.RunningVar.Assign(b.RunningVar.MulScalar(1 - m).Add(unbiased.MulScalar(m)))
}

// Parameters lists weight, then bias.
func (b *BatchNorm) Parameters() []NamedParam {
	return []NamedParam{{"weight", b.Weight}, {"bias", b.Bias}}
}

// Buffers lists running_mean and running_var, PyTorch's names.
// (PyTorch also saves num_batches_tracked, which matters only without a
// momentum; loading a PyTorch file needs that key dropped.)
func (b *BatchNorm) Buffers() []NamedTensor {
	return []NamedTensor{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}}
}

// Train sets the mode.
func (b *BatchNorm) Train(on bool) { b.train = on }
