package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// optimBuffers checks the (at most four) float buffers of an update, each
// holding n elements; a nil entry (SGD without momentum) gives a null
// pointer.
func (b *Backend) optimBuffers(op string, n int, xs []device.Buffer, what ...string) ([4]driver.DevPtr, device.DType, error) {
	var ptrs [4]driver.DevPtr
	if n < 0 {
		return ptrs, 0, opErr(op, "negative length %d", n)
	}
	dt := dtypeOf(xs[0])
	for i, x := range xs {
		if x == nil {
			continue
		}
		cb, err := b.buf(op, x, dt, what[i])
		if err != nil {
			return ptrs, 0, err
		}
		if err := need(op, cb, n, what[i]); err != nil {
			return ptrs, 0, err
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
	a := b.args()
	for _, p := range ptrs[:3] {
		a.Ptr(p)
	}
	a.Int64(int64(n))
	for _, v := range [...]float64{h.LR, h.Momentum, h.WeightDecay} {
		putScalar(a, dt, v)
	}
	a.Int32(nesterov)
	return b.launch(modOptim, kname{"sgd_", dt.Suffix()}, b.grid1D(n))
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
	a := b.args()
	for _, p := range ptrs {
		a.Ptr(p)
	}
	a.Int64(int64(n))
	for _, v := range [...]float64{h.LR, h.Beta1, h.Beta2, h.Eps, h.WeightDecay, bc1, bc2} {
		putScalar(a, dt, v)
	}
	a.Int32(decoupled)
	return b.launch(modOptim, kname{"adam_", dt.Suffix()}, b.grid1D(n))
}
