package nn

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// GradNorm returns the L2 norm of all of ps's gradients taken together
// (parameters without one count as zero) as a float64 scalar on their
// device, summed in float64 in parameter order, so it is the same to the
// bit run after run. Nothing is read back: call Item to see it. Without
// any gradient it is 0 on the CPU.
func GradNorm(ps []NamedParam) *tensor.Tensor {
	var sq *tensor.Tensor
	for _, p := range ps {
		if g := p.Var.Grad(); g != nil {
			g64 := g.Cast(device.Float64)
			s := g64.Mul(g64).Sum(false)
			if sq == nil {
				sq = s
			} else {
				sq = sq.Add(s)
			}
		}
	}
	if sq == nil {
		return tensor.Scalar(device.CPUDevice, device.Float64, 0)
	}
	return sq.Sqrt()
}

// ClipGradNorm scales every gradient of ps by min(1, maxNorm/(norm +
// 1e-6)), as PyTorch's clip_grad_norm_, and returns the norm measured
// before clipping (GradNorm). It runs on the gradients' device without
// reading anything back, so a training step that clips does not wait for
// the GPU.
func ClipGradNorm(ps []NamedParam, maxNorm float64) *tensor.Tensor {
	norm := GradNorm(ps)
	coef := tensor.Scalar(norm.Device(), device.Float64, maxNorm).Div(norm.AddScalar(1e-6))
	coef = coef.Minimum(tensor.Scalar(norm.Device(), device.Float64, 1))
	var casts []*tensor.Tensor // coef in each gradient dtype, made once
	coefFor := func(dt device.DType) *tensor.Tensor {
		for _, c := range casts {
			if c.DType() == dt {
				return c
			}
		}
		c := coef.Cast(dt)
		casts = append(casts, c)
		return c
	}
	for _, p := range ps {
		if g := p.Var.Grad(); g != nil {
			p.Var.SetGrad(g.Mul(coefFor(g.DType())))
		}
	}
	return norm
}

// ClipGradValue clamps every gradient element of ps to [-clip, clip], as
// PyTorch's clip_grad_value_.
func ClipGradValue(ps []NamedParam, clip float64) {
	for _, p := range ps {
		if g := p.Var.Grad(); g != nil {
			lo := tensor.Scalar(g.Device(), g.DType(), -clip)
			hi := tensor.Scalar(g.Device(), g.DType(), clip)
			p.Var.SetGrad(g.Maximum(lo).Minimum(hi))
		}
	}
}
