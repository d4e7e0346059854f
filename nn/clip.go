package nn

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// GradNorm returns the L2 norm of all of ps's gradients taken together
// (parameters without one count as zero), summed in float64 in parameter
// order, so it is the same to the bit run after run.
func GradNorm(ps []NamedParam) float64 {
	var sq float64
	for _, p := range ps {
		if g := p.Var.Grad(); g != nil {
			g64 := g.Cast(device.Float64)
			sq += g64.Mul(g64).Sum(false).Item()
		}
	}
	return math.Sqrt(sq)
}

// ClipGradNorm scales every gradient of ps by maxNorm/(norm + 1e-6) when
// their global norm exceeds maxNorm, as PyTorch's clip_grad_norm_, and
// returns the norm measured before clipping.
func ClipGradNorm(ps []NamedParam, maxNorm float64) float64 {
	norm := GradNorm(ps)
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	for _, p := range ps {
		if g := p.Var.Grad(); g != nil {
			p.Var.SetGrad(g.MulScalar(coef))
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
