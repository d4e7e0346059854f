package tensor

import (
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// inPlace panics unless every tensor is dense (covers its whole buffer in
// row-major order), shares a device, dtype and shape with param: the fused
// optimizer kernels update whole buffers.
func inPlace(op string, param *Tensor, others ...*Tensor) {
	if fitsInPlace(param, others) {
		return
	}
	all := append([]*Tensor{param}, others...)
	sameDevice(op, all...)
	sameDType(op, all...)
	requireFloat(op, param)
	for _, t := range all {
		if !t.dense() {
			fail(ErrShape, op, all, "tensors must be contiguous and own their buffer")
		}
		if !slices.Equal(t.shape, param.shape) {
			fail(ErrShape, op, all, "shapes differ")
		}
	}
}

// fitsInPlace is inPlace's test without the operand list its errors
// name, which would cost an allocation per parameter and step.
func fitsInPlace(param *Tensor, others []*Tensor) bool {
	if !param.dtype.IsFloat() || !param.dense() {
		return false
	}
	for _, t := range others {
		if t.st.be != param.st.be || t.dtype != param.dtype || !t.dense() || !slices.Equal(t.shape, param.shape) {
			return false
		}
	}
	return true
}

// SGDStep updates param in place from grad with one fused SGD step; mom is
// the momentum buffer (nil when h.Momentum is 0), updated in place too.
func SGDStep(param, grad, mom *Tensor, h device.SGDParams) {
	const op = "SGDStep"
	nonNil(op, param, grad)
	var mb device.Buffer
	if h.Momentum != 0 {
		if mom == nil {
			fail(ErrValue, op, []*Tensor{param, grad}, "momentum %g needs a momentum buffer", h.Momentum)
		}
		inPlace(op, param, grad, mom)
		mb = mom.st.buf
	} else {
		inPlace(op, param, grad)
	}
	check(op, param.st.be.SGD(param.st.buf, grad.st.buf, mb, param.Numel(), h), param, grad, mom)
}

// AdamStep updates param and its moment buffers m and v in place from
// grad with one fused Adam (or AdamW, h.Decoupled) step.
func AdamStep(param, grad, m, v *Tensor, h device.AdamParams) {
	nonNil("AdamStep", param, grad, m, v)
	const op = "AdamStep"
	inPlace(op, param, grad, m, v)
	if h.Step < 1 {
		fail(ErrValue, op, []*Tensor{param}, "step must count from 1, got %d", h.Step)
	}
	check(op, param.st.be.Adam(param.st.buf, grad.st.buf, m.st.buf, v.st.buf, param.Numel(), h), param, grad, m, v)
}
