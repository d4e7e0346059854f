package nn

import (
	"fmt"

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

// CrossEntropyOptions generalise CrossEntropy to PyTorch's
// F.cross_entropy with class weights and an ignored label.
type CrossEntropyOptions struct {
	// Smoothing is the label smoothing, as in CrossEntropy.
	Smoothing float64
	// Weight, when set, weights each class's loss (float, [classes]); the
	// mean is then over the weights of the counted labels, as PyTorch's.
	Weight *tensor.Tensor
	// Ignore makes labels equal to IgnoreIndex count for nothing
	// (PyTorch's ignore_index, whose default is -100).
	Ignore      bool
	IgnoreIndex int
}

// CrossEntropyWith returns the mean cross-entropy of logits [N, C] or
// [N, C, d1, ...] (classes on axis 1, as PyTorch) against Int32 labels
// [N] or [N, d1, ...], with optional class weights, an ignored label and
// label smoothing: PyTorch's F.cross_entropy(logits, labels, weight,
// ignore_index, label_smoothing) with mean reduction. It is composed from
// LogSoftmax and Gather, so it also serves shapes the fused kernel of
// CrossEntropy does not; without options on [N, C] prefer that.
func CrossEntropyWith(logits *autograd.Var, labels *tensor.Tensor, o CrossEntropyOptions) *autograd.Var {
	if logits.Rank() < 2 {
		panic(fmt.Sprintf("nn: CrossEntropyWith: logits %v need a class axis 1", logits.Shape()))
	}
	c := logits.Dim(1)
	// Classes last, then one row per labelled position.
	perm := []int{0}
	for i := 2; i < logits.Rank(); i++ {
		perm = append(perm, i)
	}
	perm = append(perm, 1)
	rows := logits.Permute(perm...).Contiguous().Reshape(-1, c)
	lab := labels.Reshape(-1)
	if lab.Dim(0) != rows.Dim(0) {
		panic(fmt.Sprintf("nn: CrossEntropyWith: labels %v do not match logits %v", labels.Shape(), logits.Shape()))
	}
	dt := logits.DType()
	valid := tensor.Ones(lab.Device(), dt, lab.Dim(0))
	if o.Ignore {
		skip := lab.Eq(tensor.Scalar(lab.Device(), lab.DType(), float64(o.IgnoreIndex)))
		lab = lab.Mul(skip.RSubScalar(1)) // ignored labels become 0 (any valid class: masked below)
		valid = skip.Cast(dt).RSubScalar(1)
	}
	lp := rows.LogSoftmax(1)
	nll := lp.Gather(1, lab.Reshape(-1, 1)).Reshape(-1).Neg()
	w := valid
	if o.Weight != nil {
		w = o.Weight.IndexSelect(0, lab).Mul(valid)
	}
	// loss_i = (1-ε)·w_i·nll_i + ε/C·valid_i·Σ_c w_c·(-lp_ic), over Σ_i w_i.
	loss := nll.Mul(autograd.Const(w)).MulScalar(1 - o.Smoothing)
	if o.Smoothing != 0 {
		all := lp.Neg()
		if o.Weight != nil {
			all = all.Mul(autograd.Const(o.Weight.Reshape(1, c)))
		}
		loss = loss.Add(all.Sum(false, 1).Mul(autograd.Const(valid)).MulScalar(o.Smoothing / float64(c)))
	}
	return loss.Sum(false).Div(autograd.Const(w.Sum(false)))
}

// BCEWithLogits returns the mean binary cross-entropy of logits x against
// targets y in [0, 1] (which broadcast against each other), as PyTorch's
// BCEWithLogitsLoss: one fused op (autograd.BCEWithLogits) whose value is
// computed stably for any |x| and whose gradient is exactly sigmoid(x) - y
// everywhere, x = 0 included.
func BCEWithLogits(logits, targets *autograd.Var) *autograd.Var {
	return autograd.BCEWithLogits(logits, targets).Mean(false)
}
