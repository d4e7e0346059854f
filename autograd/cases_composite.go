package autograd

import (
	"math"

	"github.com/tapegrad/tapegrad/tensor"
)

// compositeCases are the gradient-check cases of this file's ops.
func compositeCases() []Case {
	matrix := func(name string, draw func(g *gen, shape ...int) *tensor.Tensor, op func(x *Var) *Var) Case {
		return unaryCase(name, draw, op)
	}
	return []Case{
		matrix("Clamp", (*gen).signed, func(x *Var) *Var { return x.Clamp(-0.6, 0.7) }),
		matrix("Reciprocal", (*gen).positive, (*Var).Reciprocal),
		matrix("SiLU", (*gen).any, (*Var).SiLU),
		matrix("Softplus", (*gen).signed, func(x *Var) *Var { return x.MulScalar(4).Softplus() }),
		matrix("LogSigmoid", (*gen).signed, func(x *Var) *Var { return x.MulScalar(4).LogSigmoid() }),
		matrix("ELU", (*gen).signed, func(x *Var) *Var { return x.ELU(0.7) }),
		matrix("GELUErf", (*gen).any, func(x *Var) *Var { return x.MulScalar(2).GELUErf() }),
		matrix("LogSumExp", (*gen).any, func(x *Var) *Var { return x.LogSumExp(false, 1) }),
		matrix("LogSumExpAll", (*gen).any, func(x *Var) *Var { return x.MulScalar(3).LogSumExp(true) }),
		{
			Name: "Variance",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				return ts(g.any(g.dim()+1, g.dim()+1))
			}),
			F: func(xs []*Var) *Var { return xs[0].T().Variance(1, false, 0) },
		},
		{
			Name:   "Std",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim()+1, g.dim()+2)) }),
			F:      func(xs []*Var) *Var { return xs[0].Std(0, true, 1) },
		},
		matrix("Norm1", (*gen).signed, func(x *Var) *Var { return x.Norm(1, false, 0) }),
		matrix("Norm2", (*gen).signed, func(x *Var) *Var { return x.Norm(2, false) }),
		matrix("Norm3", (*gen).signed, func(x *Var) *Var { return x.Norm(3, true, 1) }),
		{
			// Distinct magnitudes, so the maximum has no tie.
			Name: "NormInf",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				n := g.dim() + 1
				p := g.r.Perm(n)
				return ts(g.fill(func() float64 {
					v := float64(p[0]+1) / float64(n)
					p = p[1:]
					if g.r.IntN(2) == 0 {
						return -v
					}
					return v
				}, n))
			}),
			F: func(xs []*Var) *Var { return xs[0].Norm(math.Inf(1), false) },
		},
		{
			Name: "MaskedFill",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, d1 := g.dim(), g.dim()
				return ts(g.any(d0, d1), g.ints(2, 1, d1))
			}),
			F: func(xs []*Var) *Var { return xs[0].MaskedFill(xs[1].Value(), 0.25) },
		},
		{
			Name:   "Outer",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim()), g.any(g.dim())) }),
			F:      func(xs []*Var) *Var { return Outer(xs[0], xs[1]) },
		},
		{
			Name: "Dot",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				n := g.dim()
				return ts(g.any(n), g.any(n))
			}),
			F: func(xs []*Var) *Var { return Dot(xs[0], xs[1]) },
		},
		{
			// Weighted pieces, so each piece's gradient differs.
			Name:   "Split",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), 2*g.dim()+1)) }),
			F: func(xs []*Var) *Var {
				out := scalarLike(xs[0], 0)
				for i, p := range xs[0].Split(2, 1) {
					out = out.Add(p.MulScalar(float64(i + 1)).Sum(false))
				}
				return out
			},
		},
		{
			Name:   "Chunk",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim()+2, g.dim())) }),
			F: func(xs []*Var) *Var {
				parts := xs[0].Chunk(3, 0)
				return Concat(0, parts[len(parts)-1], parts[0]).Tanh()
			},
		},
		{
			Name:   "Unbind",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim()+1)) }),
			F: func(xs []*Var) *Var {
				rows := xs[0].Unbind(1)
				return Stack(0, rows[len(rows)-1], rows[0].MulScalar(2))
			},
		},
		{
			Name:   "Repeat",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim())) }),
			F:      func(xs []*Var) *Var { return xs[0].T().Repeat(2, 1, 3).Tanh() },
		},
		{
			// Distinct values, so the maximum and minimum have no tie.
			Name:   "MaxMinWithIndices",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.distinct(g.dim(), g.dim()+1)) }),
			F: func(xs []*Var) *Var {
				mx, _ := xs[0].MaxWithIndices(1, false)
				mn, _ := xs[0].MinWithIndices(0, true)
				return mx.Sum(false).Add(mn.Mul(mn).Sum(false))
			},
		},
		{
			Name: "PowTensor",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, d1 := g.dim(), g.dim()
				return ts(g.positive(d0, d1), g.any(1, d1))
			}),
			F: func(xs []*Var) *Var { return PowTensor(xs[0], xs[1]) },
		},
		matrix("Cumsum", (*gen).any, func(x *Var) *Var { return x.Cumsum(1).Tanh() }),
		{
			// An inner axis, which the kernel reaches by permuting, and
			// the running sum of a running sum.
			Name:   "CumsumInner",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim()+1, g.dim())) }),
			F:      func(xs []*Var) *Var { return xs[0].Cumsum(1).Tanh().Cumsum(-1).Sin() },
		},
		{
			Name:   "PadConstant",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim())) }),
			F:      func(xs []*Var) *Var { return xs[0].Pad([]int{1, 2, 2, 0}, "constant", 0.5).Tanh() },
		},
		{
			Name:   "PadReflect",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim()+3)) }),
			F:      func(xs []*Var) *Var { return xs[0].Pad([]int{2, 1}, "reflect", 0).Tanh() },
		},
		{
			Name:   "AdaptiveAvgPool2d",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(1+g.r.IntN(2), g.dim(), 2+g.dim(), 3+g.dim())) }),
			F:      func(xs []*Var) *Var { return AdaptiveAvgPool2d(xs[0], 2, 3).Tanh() },
		},
		{
			Name: "Einsum",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				b, i, j, k := g.dim(), g.dim(), g.dim(), g.dim()
				return ts(g.any(b, i, j), g.any(k, j, b))
			}),
			F: func(xs []*Var) *Var { return Einsum("bij,kjb->kbi", xs[0], xs[1]) },
		},
		{
			Name:   "EinsumReduce",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim(), g.dim())) }),
			F:      func(xs []*Var) *Var { return Einsum("abc->ca", xs[0]).Tanh() },
		},
		binaryCase("BCEWithLogits", (*gen).any, func(g *gen, s ...int) *tensor.Tensor { return g.uniform(0, 1, s...) },
			func(x, y *Var) *Var { return BCEWithLogits(x.MulScalar(3), y) }),
		{
			Name:   "TopK",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.distinct(g.dim(), g.dim()+2)) }),
			F: func(xs []*Var) *Var {
				top, _ := xs[0].TopK(2, 1, true)
				s, _ := xs[0].Sort(0, false)
				return top.Tanh().Sum(false).Add(s.Narrow(0, 0, 1).Mul(s.Narrow(0, 0, 1)).Sum(false))
			},
		},
		matrix("Tril", (*gen).any, func(x *Var) *Var { return x.Tril(0) }),
		matrix("Triu", (*gen).any, func(x *Var) *Var { return x.Triu(1) }),
		{
			Name:   "Flip",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim(), g.dim())) }),
			F: func(xs []*Var) *Var {
				w := Const(tensor.Arange(xs[0].Device(), xs[0].DType(), xs[0].Numel()).Reshape(xs[0].Shape()...))
				return xs[0].Flip(0, 2).Mul(w)
			},
		},
		{
			Name:   "Roll",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim()+1)) }),
			F: func(xs []*Var) *Var {
				w := Const(tensor.Arange(xs[0].Device(), xs[0].DType(), xs[0].Numel()).Reshape(xs[0].Shape()...))
				return xs[0].Roll(-3, 1).Mul(w)
			},
		},
	}
}

// distinct returns a permutation of 1..n (n the element count), scaled
// into [-1, 1), at random signs: no two elements are equal, so maxima and
// minima have no ties.
func (g *gen) distinct(shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p := g.r.Perm(n)
	i := 0
	return g.fill(func() float64 {
		v := float64(p[i]+1)/float64(n+1)*2 - 1
		i++
		return v
	}, shape...)
}
