package nn

import (
	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// MSE returns the mean squared error between pred and target (which
// broadcast against each other), averaged over every element as PyTorch's
// default reduction.
func MSE(pred, target *autograd.Var) *autograd.Var {
	d := pred.Sub(target)
	return d.Mul(d).Mean(false)
}

// CrossEntropy returns the batch mean of the cross-entropy of logits
// [rows, classes] against Int32 labels [rows], with label smoothing
// (targets (1-smoothing)·onehot + smoothing/classes, as PyTorch's
// label_smoothing). It runs the fused log-softmax + NLL kernel, whose
// gradient is softmax(logits) - targets, never forming the probabilities
// on the tape.
func CrossEntropy(logits *autograd.Var, labels *tensor.Tensor, smoothing float64) *autograd.Var {
	return autograd.CrossEntropy(logits, labels, smoothing).Mean(false)
}

// BCEWithLogits returns the mean binary cross-entropy of logits x against
// targets y in [0, 1] (which broadcast against each other): softplus(x) -
// x·y, as PyTorch's BCEWithLogitsLoss. softplus(x) = log(1 + e^x) is
// taken as -LogSoftmax([0, x])[0], which the softmax kernel computes
// max-subtracted (stable for any |x|, in float32 too) and whose VJP is
// exactly softmax([0, x])[1] = sigmoid(x). So the gradient is sigmoid(x) - y
// everywhere, x = 0 included (max(x, 0) + log(1 + e^-|x|), the usual
// stable form, has subgradients there that sum to 0 instead of 1/2), and
// it is differentiable again through SoftmaxBackward.
func BCEWithLogits(logits, targets *autograd.Var) *autograd.Var {
	x := logits
	zero := autograd.Const(x.Value().ZerosLike())
	softplus := autograd.Stack(-1, zero, x).LogSoftmax(-1).Narrow(-1, 0, 1).Squeeze(-1).Neg()
	return softplus.Sub(x.Mul(targets)).Mean(false)
}
