package nn

import (
	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
)

// Linear is the affine map y = x·Wᵀ + b over the last axis of x, with
// Weight [Out, In] and Bias [Out] as torch.nn.Linear stores them.
type Linear struct {
	In, Out int
	Weight  *autograd.Var
	Bias    *autograd.Var // nil without bias
}

// NewLinear returns a Linear layer, with a bias when bias is true,
// initialised as PyTorch does: weight and bias from U(-1/√In, 1/√In).
func NewLinear(c Config, in, out int, bias bool) *Linear {
	w, b := defaultWeightBias(c, bias, out, in)
	l := &Linear{In: in, Out: out, Weight: autograd.Param(w)}
	if bias {
		l.Bias = autograd.Param(b)
	}
	return l
}

// Forward maps x [..., In] to [..., Out].
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) == 0 || s[len(s)-1] != l.In {
		inputError("Linear", x, "Linear(%d, %d) needs input [..., %d]", l.In, l.Out, l.In)
	}
	y := x.MatMul(l.Weight.T())
	if l.Bias != nil {
		sum := y.Add(l.Bias)
		releaseTemp(y)
		y = sum
	}
	return y
}

// Parameters lists weight, then bias.
func (l *Linear) Parameters() []NamedParam {
	ps := []NamedParam{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, NamedParam{"bias", l.Bias})
	}
	return ps
}

// Buffers returns nil: Linear has none.
func (l *Linear) Buffers() []NamedTensor { return nil }

// Train does nothing: Linear behaves the same in both modes.
func (l *Linear) Train(bool) {}

// Embedding maps Int32 indices to rows of Weight [Num, Dim], as
// torch.nn.Embedding (initialised from N(0, 1)).
type Embedding struct {
	Num, Dim int
	Weight   *autograd.Var
}

// NewEmbedding returns a table of num vectors of size dim.
func NewEmbedding(c Config, num, dim int) *Embedding {
	return &Embedding{Num: num, Dim: dim, Weight: autograd.Param(Normal(c, 0, 1, num, dim))}
}

// Forward looks up the Int32 indices held by x (any shape) and returns
// their vectors with a new last axis of size Dim. x carries no gradient;
// when it is marked autograd.NoGrad, so is the result.
func (e *Embedding) Forward(x *autograd.Var) *autograd.Var {
	idx := x.Value()
	if idx.DType() != device.Int32 {
		inputError("Embedding", x, "needs int32 indices")
	}
	w := e.Weight
	if x.IsNoGrad() {
		// The indices enter as a tensor, not a Var: carry the mark over.
		w = autograd.NoGrad(w)
	}
	shape := append(idx.Shape(), e.Dim)
	return w.IndexSelect(0, idx.Reshape(-1)).Reshape(shape...)
}

// Parameters lists the weight.
func (e *Embedding) Parameters() []NamedParam { return []NamedParam{{"weight", e.Weight}} }

// Buffers returns nil.
func (e *Embedding) Buffers() []NamedTensor { return nil }

// Train does nothing.
func (e *Embedding) Train(bool) {}
