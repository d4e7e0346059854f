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
// targets y in [0, 1], computed stably as
// max(x, 0) - x·y + log(1 + e^-|x|), which never exponentiates a positive
// number (PyTorch's BCEWithLogitsLoss). Its gradient is sigmoid(x) - y.
func BCEWithLogits(logits, targets *autograd.Var) *autograd.Var {
	x := logits
	soft := x.Abs().Neg().Exp().AddScalar(1).Log()
	return x.ReLU().Sub(x.Mul(targets)).Add(soft).Mean(false)
}
