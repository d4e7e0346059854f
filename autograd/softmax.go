package autograd

import (
	"github.com/tapegrad/tapegrad/tensor"
)

// Softmax returns exp(x)/Σexp(x) along axis. A rank-0 x is one row of
// one element (axis 0 or -1): its softmax is 1, with gradient 0.
func (x *Var) Softmax(axis int) *Var {
	if x.Rank() == 0 {
		return x.Reshape(1).Softmax(rankZeroAxis("Softmax", x, axis)).Reshape()
	}
	// The Jacobian diag(y) - y yᵀ is symmetric: the VJP is the JVP.
	r := func(g, x, y *Var) *Var { return SoftmaxBackward(y, g, axis, false) }
	return unary("Softmax", x.value.Softmax(axis), x, r, r)
}

// LogSoftmax returns x - log Σexp(x) along axis; 0 for a rank-0 x.
func (x *Var) LogSoftmax(axis int) *Var {
	if x.Rank() == 0 {
		return x.Reshape(1).LogSoftmax(rankZeroAxis("LogSoftmax", x, axis)).Reshape()
	}
	return unary("LogSoftmax", x.value.LogSoftmax(axis), x,
		func(g, x, y *Var) *Var { return SoftmaxBackward(y, g, axis, true) },
		func(t, x, y *Var) *Var { return t.Sub(y.Exp().Mul(t).Sum(true, axis)) }) // (I - 1 softmaxᵀ) t
}

// SoftmaxBackward returns the VJP of Softmax (or LogSoftmax when log)
// along axis at its output y for the output gradient dy, through the
// fused kernel: y*(dy - Σdy*y), or dy - exp(y)*Σdy. Its own VJP is
// written in Var ops, so softmax has second derivatives.
func SoftmaxBackward(y, dy *Var, axis int, log bool) *Var {
	if y.Rank() == 0 && dy.Rank() == 0 {
		return SoftmaxBackward(y.Reshape(1), dy.Reshape(1), rankZeroAxis("SoftmaxBackward", y, axis), log).Reshape()
	}
	dx := tensor.SoftmaxBackward(y.value, dy.value, axis, log)
	if log {
		return record("LogSoftmaxBackward", dx, []*Var{y, dy},
			deriv{
				vjp: func(gg *Var, in []*Var, _ *Var) *Var { // d/dy of dy - e^y Σdy
					y, dy := in[0], in[1]
					return gg.Mul(y.Exp()).Mul(dy.Sum(true, axis)).Neg()
				},
				jvp: func(t *Var, in []*Var, _ *Var) *Var { // diagonal in y: the same product
					y, dy := in[0], in[1]
					return t.Mul(y.Exp()).Mul(dy.Sum(true, axis)).Neg()
				},
			},
			deriv{
				vjp: func(gg *Var, in []*Var, _ *Var) *Var { // d/ddy: gg - Σ gg*e^y
					return gg.Sub(gg.Mul(in[0].Exp()).Sum(true, axis))
				},
				jvp: func(t *Var, in []*Var, _ *Var) *Var { // t - e^y Σt
					return t.Sub(in[0].Exp().Mul(t.Sum(true, axis)))
				},
			})
	}
	return record("SoftmaxBackward", dx, []*Var{y, dy},
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { // d/dy of y*dy - y*Σdy*y
				y, dy := in[0], in[1]
				return gg.Mul(dy.Sub(dy.Mul(y).Sum(true, axis))).Sub(dy.Mul(gg.Mul(y).Sum(true, axis)))
			},
			jvp: func(t *Var, in []*Var, _ *Var) *Var { // t*(dy - Σdy*y) - y*Σdy*t
				y, dy := in[0], in[1]
				return t.Mul(dy.Sub(dy.Mul(y).Sum(true, axis))).Sub(y.Mul(dy.Mul(t).Sum(true, axis)))
			},
		},
		deriv{
			// Linear in dy with a symmetric Jacobian: VJP and JVP agree.
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { return SoftmaxBackward(in[0], gg, axis, false) },
			jvp: func(t *Var, in []*Var, _ *Var) *Var { return SoftmaxBackward(in[0], t, axis, false) },
		})
}

// rankZeroAxis checks the axis of a softmax over a rank-0 x and returns
// it for x reshaped to [1]. The softmax VJPs reduce along the axis, which
// a rank-0 value lacks, so rank 0 goes through that reshape.
func rankZeroAxis(op string, x *Var, axis int) int {
	if axis != 0 && axis != -1 {
		panic(withOperands(newError(op, "axis %d out of range for rank 0 (use 0 or -1)", axis), x.value))
	}
	return 0
}

// CrossEntropy returns the per-row loss -Σ_c t_c log softmax(logits)_c of
// logits [rows, classes] against Int32 labels [rows], with targets
// t = (1-smoothing)*onehot + smoothing/classes, through the fused kernel.
// Average it with Mean for the usual batch loss.
func CrossEntropy(logits *Var, labels *tensor.Tensor, smoothing float64) *Var {
	return unary("CrossEntropy", tensor.CrossEntropy(logits.value, labels, smoothing), logits,
		func(g, x, y *Var) *Var { return CrossEntropyBackward(x, labels, g, smoothing) },
		func(t, x, y *Var) *Var {
			return t.Mul(x.Softmax(1).Sub(Const(targets(x, labels, smoothing)))).Sum(false, 1)
		})
}

// CrossEntropyBackward returns dloss[r]*(softmax(logits)[r]-t[r]), the
// VJP of CrossEntropy for the per-row loss gradient dloss, through the
// fused kernel. Its own VJP is composed of Var ops (Softmax and
// SoftmaxBackward), so cross-entropy is differentiable to any order.
func CrossEntropyBackward(logits *Var, labels *tensor.Tensor, dloss *Var, smoothing float64) *Var {
	dx := tensor.CrossEntropyBackward(logits.value, labels, dloss.value, smoothing)
	// The softmax Jacobian is symmetric, so the logits' VJP is their JVP.
	dlogits := func(gg *Var, in []*Var, _ *Var) *Var { // dloss * (softmax Jacobian)ᵀ gg
		return in[1].Unsqueeze(1).Mul(SoftmaxBackward(in[0].Softmax(1), gg, 1, false))
	}
	return record("CrossEntropyBackward", dx, []*Var{logits, dloss},
		deriv{vjp: dlogits, jvp: dlogits},
		deriv{
			vjp: func(gg *Var, in []*Var, _ *Var) *Var { // Σ_c gg*(softmax - t) per row
				return gg.Mul(in[0].Softmax(1).Sub(Const(targets(in[0], labels, smoothing)))).Sum(false, 1)
			},
			jvp: func(t *Var, in []*Var, _ *Var) *Var { // t[r]*(softmax - t)[r]
				return t.Unsqueeze(1).Mul(in[0].Softmax(1).Sub(Const(targets(in[0], labels, smoothing))))
			},
		})
}

// targets returns the smoothed one-hot targets of CrossEntropy for
// logits [rows, classes]: (1-smoothing)*onehot + smoothing/classes.
func targets(logits *Var, labels *tensor.Tensor, smoothing float64) *tensor.Tensor {
	classes := logits.Dim(1)
	return tensor.OneHot(labels, classes, logits.DType()).MulScalar(1 - smoothing).AddScalar(smoothing / float64(classes))
}
