package autograd

import (
	"github.com/tapegrad/tapegrad/tensor"
)

// Softmax returns exp(x)/Σexp(x) along axis.
func (x *Var) Softmax(axis int) *Var {
	return unary("Softmax", x.value.Softmax(axis), x, func(g, x, y *Var) *Var { return SoftmaxBackward(y, g, axis, false) })
}

// LogSoftmax returns x - log Σexp(x) along axis.
func (x *Var) LogSoftmax(axis int) *Var {
	return unary("LogSoftmax", x.value.LogSoftmax(axis), x, func(g, x, y *Var) *Var { return SoftmaxBackward(y, g, axis, true) })
}

// SoftmaxBackward returns the VJP of Softmax (or LogSoftmax when log)
// along axis at its output y for the output gradient dy, through the
// fused kernel: y*(dy - Σdy*y), or dy - exp(y)*Σdy. Its own VJP is
// written in Var ops, so softmax has second derivatives.
func SoftmaxBackward(y, dy *Var, axis int, log bool) *Var {
	dx := tensor.SoftmaxBackward(y.value, dy.value, axis, log)
	if log {
		return record("LogSoftmaxBackward", dx, []*Var{y, dy},
			func(gg *Var, in []*Var, _ *Var) *Var { // d/dy of dy - e^y Σdy
				y, dy := in[0], in[1]
				return gg.Mul(y.Exp()).Mul(dy.Sum(true, axis)).Neg()
			},
			func(gg *Var, in []*Var, _ *Var) *Var { // d/ddy: gg - Σ gg*e^y
				return gg.Sub(gg.Mul(in[0].Exp()).Sum(true, axis))
			})
	}
	return record("SoftmaxBackward", dx, []*Var{y, dy},
		func(gg *Var, in []*Var, _ *Var) *Var { // d/dy of y*dy - y*Σdy*y
			y, dy := in[0], in[1]
			return gg.Mul(dy.Sub(dy.Mul(y).Sum(true, axis))).Sub(dy.Mul(gg.Mul(y).Sum(true, axis)))
		},
		func(gg *Var, in []*Var, _ *Var) *Var { // linear in dy with a symmetric Jacobian
			return SoftmaxBackward(in[0], gg, axis, false)
		})
}

// CrossEntropy returns the per-row loss -Σ_c t_c log softmax(logits)_c of
// logits [rows, classes] against Int32 labels [rows], with targets
// t = (1-smoothing)*onehot + smoothing/classes, through the fused kernel.
// Average it with Mean for the usual batch loss.
func CrossEntropy(logits *Var, labels *tensor.Tensor, smoothing float64) *Var {
	return unary("CrossEntropy", tensor.CrossEntropy(logits.value, labels, smoothing), logits, func(g, x, y *Var) *Var {
		return CrossEntropyBackward(x, labels, g, smoothing)
	})
}

// CrossEntropyBackward returns dloss[r]*(softmax(logits)[r]-t[r]), the
// VJP of CrossEntropy for the per-row loss gradient dloss, through the
// fused kernel. Its own VJP is composed of Var ops (Softmax and
// SoftmaxBackward), so cross-entropy is differentiable to any order.
func CrossEntropyBackward(logits *Var, labels *tensor.Tensor, dloss *Var, smoothing float64) *Var {
	dx := tensor.CrossEntropyBackward(logits.value, labels, dloss.value, smoothing)
	return record("CrossEntropyBackward", dx, []*Var{logits, dloss},
		func(gg *Var, in []*Var, _ *Var) *Var { // dloss * (softmax Jacobian)ᵀ gg
			return in[1].Unsqueeze(1).Mul(SoftmaxBackward(in[0].Softmax(1), gg, 1, false))
		},
		func(gg *Var, in []*Var, _ *Var) *Var { // Σ_c gg*(softmax - t) per row
			logits := in[0].value
			classes := logits.Dim(1)
			t := tensor.OneHot(labels, classes, logits.DType()).MulScalar(1 - smoothing).AddScalar(smoothing / float64(classes))
			return gg.Mul(in[0].Softmax(1).Sub(Const(t))).Sum(false, 1)
		})
}
