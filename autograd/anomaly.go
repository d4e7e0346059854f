package autograd

import (
	"math"
	"sync/atomic"

	"github.com/tapegrad/tapegrad/tensor"
)

// anomalyOn is the anomaly-detection switch. Unlike grad mode it stays
// process-wide, as PyTorch's does: it is a debugging switch set once
// before work starts, and it only adds checks (an op on another
// goroutine runs slower, or panics where it really made a NaN or Inf),
// so it cannot change a result or drop a gradient the way a shared
// no-grad switch did.
var anomalyOn atomic.Bool

// SetAnomalyDetection turns anomaly mode on or off for the whole process.
// When on, every op checks its output and every VJP the gradient it
// returns for NaN and Inf, and the first one found panics with a
// *tensor.Error naming the op and the shapes involved, so a training run
// that diverges stops at the op that caused it rather than at the loss.
// Each check copies a tensor to the host: a debugging mode, not for speed.
func SetAnomalyDetection(on bool) { anomalyOn.Store(on) }

// AnomalyDetection reports whether anomaly mode is on.
func AnomalyDetection() bool { return anomalyOn.Load() }

// checkFinite panics when t holds a NaN or an Inf. what names the value
// ("the output", "the gradient for input 1"), first says what is being
// blamed ("op whose output", "VJP whose result"), and inputs give the
// operands' facts for the message.
func checkFinite(op, what, first string, t *tensor.Tensor, inputs []*Var) {
	if !t.DType().IsFloat() {
		return
	}
	for i, x := range t.Float64s() {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			ts := make([]*tensor.Tensor, 0, len(inputs)+1)
			for _, in := range inputs {
				ts = append(ts, in.value)
			}
			ts = append(ts, t)
			panic(withOperands(newError(op, "anomaly detected: %s %v holds %v at element %d; this is the first %s holds NaN or Inf; the operands are its inputs, then that value",
				what, t.Shape(), x, i, first), ts...))
		}
	}
}
