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
	return &Var{value: v.value, node: v.node, noGrad: v.noGrad, tan: v.tan, autocast: dt, tf32: v.tf32}
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
func halfMatMul(a, b *tensor.Tensor, h device.DType) *tensor.Tensor {
	return a.Cast(h).MatMulWith(b.Cast(h), tensor.MatMulOptions{Float32Out: true})
}

// AllowTF32 returns a Var sharing v's value, node and tangent whose mark
// lets float32 products it takes part in round their operands to TF32
// (10 mantissa bits) and accumulate in float32 on tensor cores, as
// PyTorch's torch.backends.cuda.matmul.allow_tf32, forward and backward;
// on devices without such a mode (the CPU) they stay exact float32. The
// mark travels as Autocast's does (a bfloat16 or float16 autocast mark
// takes precedence); on is false to remove it.
func AllowTF32(v *Var, on bool) *Var {
	if v == nil {
		panic(newError("AllowTF32", "the Var is nil"))
	}
	return &Var{value: v.value, node: v.node, noGrad: v.noGrad, tan: v.tan, autocast: v.autocast, tf32: on}
}

// TF32Allowed reports whether v carries AllowTF32's mark.
func (v *Var) TF32Allowed() bool { return v.tf32 }

// product returns a @ b for rank >= 2 operands as their marks ask: under
// autocast, in float32, or in float32 with TF32 operands.
func product(a, b *Var) *Var {
	if h := autocastOf(a, b); h.IsHalf() {
		return autocastMatMul(a, b, h)
	}
	tf32 := (a.tf32 || b.tf32) && a.DType() == device.Float32 && b.DType() == device.Float32
	return plainMatMul(a, b, tf32)
}

// plainMatMul is MatMul's core for rank >= 2 operands of one dtype: the
// gradients are products with the other operand transposed (a view, not
// a copy), summed over broadcast batch axes; the tangent is ta b + a tb.
// tf32 lets every one of these products use TF32 operands.
func plainMatMul(a, b *Var, tf32 bool) *Var {
	o := tensor.MatMulOptions{TF32: tf32}
	return binary("MatMul", a.value.MatMulWith(b.value, o), a, b,
		func(g, a, b, y *Var) *Var {
			if columnMajor(a.value) {
				return plainMatMul(b, g.T(), tf32).T().SumTo(a.Shape()...)
			}
			return plainMatMul(g, b.T(), tf32).SumTo(a.Shape()...)
		},
		func(g, a, b, y *Var) *Var {
			if columnMajor(b.value) {
				return plainMatMul(g.T(), a, tf32).T().SumTo(b.Shape()...)
			}
			return plainMatMul(a.T(), g, tf32).SumTo(b.Shape()...)
		},
		func(t, a, b, y *Var) *Var { return plainMatMul(t, b, tf32) },
		func(t, a, b, y *Var) *Var { return plainMatMul(a, t, tf32) })
}

// columnMajor reports whether t's last two axes are laid out column by
// column, as a transposed weight (Linear's x @ W^T) is. MatMul computes
// such an operand's gradient transposed, (g^T @ a)^T rather than a^T @ g,
// so that it comes out in the operand's layout: the gradient that reaches
// W through the transpose is then dense, and Backward has no copy to make.
// Both forms sum the same products in the same order, so the values are
// bit-identical.
func columnMajor(t *tensor.Tensor) bool {
	sh, st := t.Shape(), t.Strides()
	r := len(sh)
	return r >= 2 && sh[r-2] > 1 && sh[r-1] > 1 && st[r-2] == 1 && st[r-1] == sh[r-2]
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
