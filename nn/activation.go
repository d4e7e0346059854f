package nn

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// Activation is a parameter-free elementwise (or, for Softmax, row-wise)
// layer.
type Activation struct {
	stateless
	name string
	f    func(*autograd.Var) *autograd.Var
}

// Forward applies the activation.
func (a *Activation) Forward(x *autograd.Var) *autograd.Var { return a.f(x) }

// String names the activation, e.g. "LeakyReLU(0.01)".
func (a *Activation) String() string { return a.name }

// ReLU returns the layer max(x, 0).
func ReLU() *Activation { return &Activation{name: "ReLU", f: (*autograd.Var).ReLU} }

// LeakyReLU returns the layer x if x > 0 else slope·x.
func LeakyReLU(slope float64) *Activation {
	return &Activation{name: fmt.Sprintf("LeakyReLU(%g)", slope), f: func(x *autograd.Var) *autograd.Var { return x.LeakyReLU(slope) }}
}

// GELU returns the tanh-approximated GELU layer (PyTorch's
// approximate="tanh").
func GELU() *Activation { return &Activation{name: "GELU", f: (*autograd.Var).GELU} }

// GELUErf returns the exact GELU layer, 0.5x(1 + erf(x/√2)): PyTorch's
// nn.GELU() by default (approximate="none"), for models trained with it.
func GELUErf() *Activation { return &Activation{name: "GELUErf", f: (*autograd.Var).GELUErf} }

// Tanh returns the layer tanh x.
func Tanh() *Activation { return &Activation{name: "Tanh", f: (*autograd.Var).Tanh} }

// Sigmoid returns the layer 1/(1+e^-x).
func Sigmoid() *Activation { return &Activation{name: "Sigmoid", f: (*autograd.Var).Sigmoid} }

// Softmax returns the layer softmax(x) along axis.
func Softmax(axis int) *Activation {
	return &Activation{name: fmt.Sprintf("Softmax(%d)", axis), f: func(x *autograd.Var) *autograd.Var { return x.Softmax(axis) }}
}

// Dropout zeroes each element with probability P in training mode and
// scales the survivors by 1/(1-P), so evaluation mode is the identity.
// Masks come from RNG, the device's Philox generator: a seed gives the
// same masks on every device, and the generator's offset (saved in
// checkpoints by the training loop) resumes them exactly.
type Dropout struct {
	P     float64
	RNG   *tensor.RNG
	train bool
}

// RNGs returns the generator the masks come from.
func (d *Dropout) RNGs() []*tensor.RNG { return []*tensor.RNG{d.RNG} }

// NewDropout returns a dropout layer drawing its masks from rng.
func NewDropout(p float64, rng *tensor.RNG) *Dropout {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("nn: dropout probability %g is outside [0, 1)", p))
	}
	if rng == nil {
		panic("nn: NewDropout needs a generator, so that masks are reproducible")
	}
	return &Dropout{P: p, RNG: rng, train: true}
}

// Forward applies dropout in training mode and returns x in eval mode.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var { return DropoutFn(x, d.P, d.RNG, d.train) }

// DropoutFn is dropout as a function (torch.nn.functional.dropout): in
// training, each element is zeroed with probability p and the rest scaled
// by 1/(1-p), the mask drawn from rng (so a seed and offset replay it on
// any device); otherwise, and for p = 0, x itself.
func DropoutFn(x *autograd.Var, p float64, rng *tensor.RNG, training bool) *autograd.Var {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("nn: dropout probability %g is outside [0, 1)", p))
	}
	if !training || p == 0 {
		return x
	}
	v := x.Value()
	u := rng.Uniform(v.Device(), v.DType(), 0, 1, v.Shape()...)
	mask := u.GtScalar(p).MulScalar(1 / (1 - p))
	return x.Mul(autograd.Const(mask))
}

// Parameters returns nil.
func (d *Dropout) Parameters() []NamedParam { return nil }

// Buffers returns nil.
func (d *Dropout) Buffers() []NamedTensor { return nil }

// Train sets the mode.
func (d *Dropout) Train(on bool) { d.train = on }
