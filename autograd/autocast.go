package autograd

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Autocast returns a Var sharing v's value, node and tangent (gradients
// reach v through it, as through v itself) that carries
// an autocast mark for dt (device.BFloat16 or device.Float16): mixed
// precision, as torch.autocast. Every op with a marked input passes the
// mark on to its output, and a MatMul with a marked float32 operand
// rounds both operands to dt and multiplies them with float32
// accumulation into a float32 result, the product tensor cores run
// fastest. The linear layers and convolutions (an Im2Col and a MatMul)
// therefore compute in dt, while everything else (activations,
// reductions, softmax, losses, normalisation) stays float32, since only
// MatMul reads the mark. The backward products run the same way: the
// gradient and the other operand are rounded to dt and multiplied with
// float32 accumulation. Values are never stored in dt: parameters (the
// master weights), activations and gradients stay float32, so
// optimizers update in float32.
//
// Like NoGrad, the mark lives in the values, not in global state, so one
// line around the forward pass turns it on for that pass alone, and a
// goroutine evaluating in float32 beside one training in bfloat16 is
// safe:
//
//	logits := model.Forward(autograd.Autocast(autograd.Const(x), device.BFloat16))
//
// Autocast(v, device.Float32) removes the mark (an op whose other input
// is marked marks its output again). Float64 operands are never rounded:
// float64 asks for precision (gradient checks).
//
// float16 gradients can underflow to zero; train in float16 with a loss
// scaler (nn.GradScaler). bfloat16 has float32's range and needs none.
func Autocast(v *Var, dt device.DType) *Var {
	if v == nil {
		panic(newError("Autocast", "the Var is nil"))
	}
	if dt != device.Float32 && !dt.IsHalf() {
		panic(withOperands(newError("Autocast", "want bfloat16 or float16 (float32 to turn it off), got %v", dt), v.value))
	}
	return &Var{value: v.value, node: v.node, noGrad: v.noGrad, tan: v.tan, autocast: dt}
}

// AutocastDType returns the dtype MatMul rounds v's operands to, or
// Float32 when v carries no autocast mark.
func (v *Var) AutocastDType() device.DType { return v.autocast }

// autocastOf returns the half dtype a product of a and b runs in: the
// first operand's mark, else the second's; Float32 when neither is
// marked or an operand is not float32 or half.
func autocastOf(a, b *Var) device.DType {
	dt := a.autocast
	if dt == device.Float32 {
		dt = b.autocast
	}
	for _, x := range []*Var{a, b} {
		if t := x.DType(); t != device.Float32 && !t.IsHalf() {
			return device.Float32
		}
	}
	return dt
}

// halfMatMul returns a @ b (rank >= 2) with both operands rounded to the
// half dtype h and the products summed in float32 into a float32 result.
// A product of two halves is exact in float32 (at most 22 significant
// bits of 24), so rounding the operands and multiplying in float32 is
// the mixed-precision product itself.
func halfMatMul(a, b *tensor.Tensor, h device.DType) *tensor.Tensor {
	return a.Cast(h).Cast(device.Float32).MatMul(b.Cast(h).Cast(device.Float32))
}

// autocastMatMul is MatMul's core (rank >= 2 operands) under autocast to
// h: a float32 product of operands rounded to h. Its derivatives are
// products under autocast too (the rounding passes gradients straight
// through, as PyTorch's casts do), cast back to a half input's dtype.
func autocastMatMul(a, b *Var, h device.DType) *Var {
	return binary("MatMul", halfMatMul(a.value, b.value, h), a, b,
		func(g, a, b, y *Var) *Var { return autocastMatMul(g, b.T(), h).SumTo(a.Shape()...).Cast(a.DType()) },
		func(g, a, b, y *Var) *Var { return autocastMatMul(a.T(), g, h).SumTo(b.Shape()...).Cast(b.DType()) },
		func(t, a, b, y *Var) *Var { return autocastMatMul(t.Cast(device.Float32), b, h) },
		func(t, a, b, y *Var) *Var { return autocastMatMul(a, t.Cast(device.Float32), h) })
}
