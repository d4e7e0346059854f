package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// optimBuffers checks the float buffers of an update, each holding n
// elements; a nil entry (SGD without momentum) gives a null pointer.
func (b *Backend) optimBuffers(op string, n int, xs []device.Buffer, what ...string) ([]any, device.DType, error) {
	if n < 0 {
		return nil, 0, opErr(op, "negative length %d", n)
	}
	dt := dtypeOf(xs[0])
	ptrs := make([]any, len(xs))
	for i, x := range xs {
		if x == nil {
			ptrs[i] = driver.DevPtr(0)
			continue
		}
		cb, err := b.buf(op, x, dt, what[i])
		if err != nil {
			return nil, 0, err
		}
		if err := need(op, cb, n, what[i]); err != nil {
			return nil, 0, err
		}
		ptrs[i] = cb.ptr
	}
	return ptrs, dt, floatOnly(op, dt)
}

// SGD updates param (and mom) in place with kernel sgd_<dt>.
func (b *Backend) SGD(param, grad, mom device.Buffer, n int, h device.SGDParams) error {
	const name = "SGD"
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.Momentum != 0 && mom == nil {
		return opErr(name, "momentum %g needs a momentum buffer", h.Momentum)
	}
	if h.Momentum == 0 {
		mom = nil
	}
	ptrs, dt, err := b.optimBuffers(name, n, []device.Buffer{param, grad, mom}, "param", "grad", "mom")
	if err != nil || n == 0 {
		return err
	}
	nesterov := int32(0)
	if h.Nesterov {
		nesterov = 1
	}
	return b.launch(modOptim, "sgd_"+dt.Suffix(), b.grid1D(n), append(ptrs,
		int64(n), scalar(dt, h.LR), scalar(dt, h.Momentum), scalar(dt, h.WeightDecay), nesterov)...)
}

// Adam updates param, m and v in place with kernel adam_<dt>; the bias
// corrections 1-β1^step and 1-β2^step are computed here in float64.
func (b *Backend) Adam(param, grad, m, v device.Buffer, n int, h device.AdamParams) error {
	const name = "Adam"
	if h.Step < 1 {
		return opErr(name, "step %d, want 1 or more", h.Step)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ptrs, dt, err := b.optimBuffers(name, n, []device.Buffer{param, grad, m, v}, "param", "grad", "m", "v")
	if err != nil || n == 0 {
		return err
	}
	decoupled := int32(0)
	if h.Decoupled {
		decoupled = 1
	}
	bc1 := 1 - math.Pow(h.Beta1, float64(h.Step))
	bc2 := 1 - math.Pow(h.Beta2, float64(h.Step))
	return b.launch(modOptim, "adam_"+dt.Suffix(), b.grid1D(n), append(ptrs, int64(n),
		scalar(dt, h.LR), scalar(dt, h.Beta1), scalar(dt, h.Beta2), scalar(dt, h.Eps), scalar(dt, h.WeightDecay),
		scalar(dt, bc1), scalar(dt, bc2), decoupled)...)
}
