package nn

import (
	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Loss is a Trainer's objective. Mean is what training differentiates;
// Sum is what evaluation adds up, so that the mean over a whole data set
// does not depend on how it was cut into batches.
type Loss interface {
	// Mean returns the batch's mean loss, a scalar Var recorded for
	// backward.
	Mean(out *autograd.Var, target *tensor.Tensor) *autograd.Var
	// Sum returns the batch's loss summed over its samples, a scalar on
	// the device (nothing is read back).
	Sum(out, target *tensor.Tensor) *tensor.Tensor
}

// CrossEntropyLoss is the cross-entropy of logits [B, classes] against
// Int32 labels [B], with label smoothing (see CrossEntropy).
type CrossEntropyLoss struct{ Smoothing float64 }

// Mean returns CrossEntropy(out, target, Smoothing).
func (l CrossEntropyLoss) Mean(out *autograd.Var, target *tensor.Tensor) *autograd.Var {
	return CrossEntropy(out, target, l.Smoothing)
}

// Sum returns the per-sample cross-entropies summed.
func (l CrossEntropyLoss) Sum(out, target *tensor.Tensor) *tensor.Tensor {
	return tensor.CrossEntropy(out, target, l.Smoothing).Sum(false)
}

// MSELoss is the mean squared error over every element, as MSE; its Sum
// is per sample (the squared error of a sample's elements, averaged), so
// Sum over the batch divided by B equals Mean.
type MSELoss struct{}

// Mean returns MSE(out, target).
func (MSELoss) Mean(out *autograd.Var, target *tensor.Tensor) *autograd.Var {
	return MSE(out, autograd.Const(target))
}

// Sum returns the batch's squared error scaled to per-sample means.
func (MSELoss) Sum(out, target *tensor.Tensor) *tensor.Tensor {
	d := out.Sub(target)
	return d.Mul(d).Sum(false).MulScalar(float64(out.Shape()[0]) / float64(out.Numel()))
}

// Metric is a quantity evaluation averages over the samples, next to the
// loss and (for classifiers) the accuracy.
type Metric struct {
	Name string
	// Sum returns the metric summed over the batch's samples, a scalar
	// on the device.
	Sum func(out, target *tensor.Tensor) *tensor.Tensor
}

// MetricValue is a Metric's mean over an evaluation set.
type MetricValue struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// correct returns how many rows of logits [B, classes] have their largest
// entry at the Int32 label, as a float64 scalar on the device, or nil when
// out and target are not a classifier's.
func correct(out, target *tensor.Tensor) *tensor.Tensor {
	if target.DType() != device.Int32 || len(out.Shape()) != 2 || len(target.Shape()) != 1 {
		return nil
	}
	return out.ArgMax(1, false).Eq(target).Sum(false).Cast(device.Float64)
}

// accumulate adds v (cast to float64) into *sum, on the device.
func accumulate(sum **tensor.Tensor, v *tensor.Tensor) {
	if v.DType() != device.Float64 {
		v = v.Cast(device.Float64)
	}
	if *sum == nil {
		*sum = v
	} else {
		*sum = (*sum).Add(v)
	}
}
