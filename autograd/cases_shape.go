package autograd

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Cases of the ops that move, reduce or combine axes.

// cube draws one [d0,d1,d2] input for a case of a view or reduction.
func cube(g *gen) []*tensor.Tensor { return ts(g.any(g.dim(), g.dim(), g.dim())) }

// viewCase checks a view or reduction of a random [d0,d1,d2] input.
func viewCase(name string, op func(x *Var) *Var) Case {
	return Case{Name: name, Inputs: inputs(cube), F: func(xs []*Var) *Var { return op(xs[0]) }}
}

// image draws an NCHW shape for a conv case; H and W fit a 3×3 window.
func (g *gen) image() []int {
	return []int{1 + g.r.IntN(2), 1 + g.r.IntN(3), 3 + g.r.IntN(4), 3 + g.r.IntN(4)}
}

// imageCase checks op on an NCHW input given as NCWH and transposed, so
// the op meets a strided view.
func imageCase(name string, op func(x *Var) *Var) Case {
	return Case{
		Name: name,
		Inputs: inputs(func(g *gen) []*tensor.Tensor {
			s := g.image()
			return ts(g.any(s[0], s[1], s[3], s[2]))
		}),
		F: func(xs []*Var) *Var { return op(xs[0].Transpose(2, 3)) },
	}
}

// conv returns the window every conv case uses over an NCHW shape: 3×3,
// stride 2, padding 1, so windows overlap and padding enters. (A case
// function sees only its inputs, so an input tensor carries the shape.)
func conv(shape []int) device.ConvParams {
	return device.ConvParams{N: shape[0], C: shape[1], H: shape[2], W: shape[3],
		KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
}

// argmaxes returns Int32 [N,C,OH,OW] positions, each a random in-bounds
// element of its window (as MaxPool2d's idx would be).
func (g *gen) argmaxes(p device.ConvParams) *tensor.Tensor {
	oh, ow := p.OutH(), p.OutW()
	h := make([]int32, 0, p.N*p.C*oh*ow)
	for range p.N * p.C {
		for i := range oh {
			for j := range ow {
				r0, c0 := max(i*p.StrideH-p.PadH, 0), max(j*p.StrideW-p.PadW, 0)
				r1, c1 := min(i*p.StrideH-p.PadH+p.KH, p.H), min(j*p.StrideW-p.PadW+p.KW, p.W)
				r, c := r0+g.r.IntN(r1-r0), c0+g.r.IntN(c1-c0)
				h = append(h, int32(r*p.W+c))
			}
		}
	}
	return tensor.NewOn(g.dev, h, p.N, p.C, oh, ow)
}

// shapeOf returns an Int32 tensor of zeros whose shape carries an NCHW
// geometry into a case function.
func (g *gen) shapeOf(shape ...int) *tensor.Tensor {
	return tensor.NewOn(g.dev, make([]int32, device.Numel(shape)), shape...)
}

func shapeCases() []Case {
	return []Case{
		viewCase("Sum", func(x *Var) *Var { return x.Permute(2, 0, 1).Sum(false, 0, 2) }),
		viewCase("Mean", func(x *Var) *Var { return x.Transpose(0, 2).Mean(true, -1) }),
		viewCase("Max", func(x *Var) *Var { return x.T().Max(false, 1) }),
		viewCase("Min", func(x *Var) *Var { return x.T().Min(true) }),
		{
			Name: "MatMul",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				m, k, n := g.dim(), g.dim(), g.dim()
				return ts(g.any(g.dim(), 1, m, k), g.any(g.dim(), n, k))
			}),
			F: func(xs []*Var) *Var { return xs[0].MatMul(xs[1].T()) },
		},
		{
			// Vector @ matrix, matrix @ vector and vector @ vector.
			Name: "MatMulVector",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				k, n := g.dim(), g.dim()
				return ts(g.any(k), g.any(k, n))
			}),
			F: func(xs []*Var) *Var {
				v, m := xs[0], xs[1]
				return v.MatMul(m).MatMul(m.T().MatMul(v))
			},
		},
		unaryCase("Softmax", (*gen).any, func(x *Var) *Var { return x.Softmax(0) }),
		unaryCase("LogSoftmax", (*gen).any, func(x *Var) *Var { return x.LogSoftmax(-1) }),
		{
			// Over the one element of a rank-0 tensor: 1 and 0, gradient 0.
			Name:   "SoftmaxRank0",
			Inputs: inputs(func(g *gen) []*tensor.Tensor { return ts(g.any(), g.any()) }),
			F:      func(xs []*Var) *Var { return xs[0].Softmax(0).Add(xs[1].LogSoftmax(-1)) },
		},
		fusedCase("SoftmaxBackward", func(g *gen, s ...int) *tensor.Tensor { return g.uniform(0.05, 0.95, s...) },
			func(y, dy *Var) *Var { return SoftmaxBackward(y, dy.Expand(y.Shape()...), 1, false) }),
		fusedCase("LogSoftmaxBackward", func(g *gen, s ...int) *tensor.Tensor { return g.uniform(-3, -0.1, s...) },
			func(y, dy *Var) *Var { return SoftmaxBackward(y, dy.Expand(y.Shape()...), 0, true) }),
		{
			Name: "CrossEntropy",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				rows, classes := g.dim(), 1+g.dim()
				return ts(g.uniform(-3, 3, classes, rows), g.ints(classes, rows))
			}),
			F: func(xs []*Var) *Var { return CrossEntropy(xs[0].T(), xs[1].value, 0.1) },
		},
		{
			Name: "CrossEntropyBackward",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				rows, classes := g.dim(), 1+g.dim()
				return ts(g.uniform(-3, 3, rows, classes), g.ints(classes, rows), g.any(rows))
			}),
			F: func(xs []*Var) *Var { return CrossEntropyBackward(xs[0], xs[1].value, xs[2], 0.1) },
		},
		viewCase("Reshape", func(x *Var) *Var { return x.Transpose(0, 2).Reshape(-1, x.Dim(0)) }),
		viewCase("Flatten", func(x *Var) *Var { return x.T().Flatten() }),
		viewCase("Permute", func(x *Var) *Var { return x.Permute(2, 0, 1) }),
		viewCase("Transpose", func(x *Var) *Var { return x.Transpose(0, 2) }),
		viewCase("T", (*Var).T),
		viewCase("Index", func(x *Var) *Var { return x.Permute(2, 0, 1).Index(-1, x.Dim(0)/2) }),
		viewCase("IndexElement", func(x *Var) *Var { return x.T().Index(0, -1, x.Dim(1)-1).Mul(x.Index(-1, 0, 0)) }),
		unaryCase("Narrow", func(g *gen, s ...int) *tensor.Tensor { return g.any(s[0]+2, s[1]) },
			func(x *Var) *Var { return x.Narrow(1, 1, x.Dim(1)-2) }),
		unaryCase("Slice", func(g *gen, s ...int) *tensor.Tensor { return g.any(s[0]+2, s[1]) },
			func(x *Var) *Var { return x.Slice(-1, 1, -1) }),
		unaryCase("Expand", func(g *gen, s ...int) *tensor.Tensor { return g.any(1, s[0]) },
			func(x *Var) *Var { return x.Expand(3, x.Dim(0), 2) }),
		unaryCase("Squeeze", func(g *gen, s ...int) *tensor.Tensor { return g.any(1, s[0]) }, func(x *Var) *Var { return x.Squeeze(1) }),
		unaryCase("Unsqueeze", (*gen).any, func(x *Var) *Var { return x.Unsqueeze(1) }),
		unaryCase("Contiguous", (*gen).any, (*Var).Contiguous),
		unaryCase("Clone", (*gen).any, (*Var).Clone),
		{
			Name: "Concat",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, d1, d2 := g.dim(), g.dim(), g.dim()
				return ts(g.any(d0, d1), g.any(d0, d2), g.any(d1, d0))
			}),
			F: func(xs []*Var) *Var { return Concat(1, xs[0], xs[1], xs[2].T()) },
		},
		{
			Name: "Stack",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, d1 := g.dim(), g.dim()
				return ts(g.any(d0, d1), g.any(d1, d0))
			}),
			F: func(xs []*Var) *Var { return Stack(1, xs[0], xs[1].T(), xs[0]) },
		},
		{
			Name: "Gather",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, n, k := g.dim(), g.dim(), g.dim()
				return ts(g.any(n, d0), g.ints(n, d0, k))
			}),
			F: func(xs []*Var) *Var { return xs[0].T().Gather(1, xs[1].value) },
		},
		{
			// An index shorter than x outside axis reads its leading part.
			Name: "GatherSmallerIndex",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, n, k := 1+g.dim(), g.dim(), g.dim()
				return ts(g.any(n, d0), g.ints(n, 1+g.r.IntN(d0-1), k))
			}),
			F: func(xs []*Var) *Var { return xs[0].T().Gather(1, xs[1].value) },
		},
		{
			Name: "ScatterAdd",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, n, k := g.dim(), g.dim(), g.dim()
				return ts(g.any(d0, n), g.ints(n, d0, k), g.any(k, d0))
			}),
			F: func(xs []*Var) *Var { return xs[0].ScatterAdd(1, xs[1].value, xs[2].T()) },
		},
		{
			Name: "ScatterAddSmallerIndex",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				d0, n, k := 1+g.dim(), g.dim(), g.dim()
				s := 1 + g.r.IntN(d0-1)
				return ts(g.any(n, d0), g.ints(n, k, s), g.any(k, s))
			}),
			F: func(xs []*Var) *Var { return xs[0].ScatterAdd(0, xs[1].value, xs[2]) },
		},
		{
			Name: "IndexSelect",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				n, d1, k := g.dim(), g.dim(), g.dim()
				return ts(g.any(d1, n), g.ints(n, k))
			}),
			F: func(xs []*Var) *Var { return xs[0].T().IndexSelect(0, xs[1].value) },
		},
		{
			Name: "IndexAdd",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				n, d1, k := g.dim(), g.dim(), g.dim()
				return ts(g.any(n, d1), g.ints(n, k), g.any(d1, k))
			}),
			F: func(xs []*Var) *Var { return xs[0].IndexAdd(0, xs[1].value, xs[2].T()) },
		},
		imageCase("Im2Col", func(x *Var) *Var { return Im2Col(x, conv(x.Shape())) }),
		imageCase("Im2ColDilated", func(x *Var) *Var {
			p := conv(x.Shape())
			p.StrideH, p.PadW, p.DilationH, p.DilationW = 1, 2, 2, 3
			return Im2Col(x, p)
		}),
		imageCase("MaxPool2d", func(x *Var) *Var { return MaxPool2d(x, conv(x.Shape())) }),
		imageCase("AvgPool2d", func(x *Var) *Var { return AvgPool2d(x, conv(x.Shape())) }),
		{
			Name: "Col2Im",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				s := g.image()
				p := conv(s)
				return ts(g.any(p.N, p.C*p.KH*p.KW, p.OutH()*p.OutW()), g.shapeOf(s...))
			}),
			F: func(xs []*Var) *Var { return Col2Im(xs[0], conv(xs[1].Shape())) },
		},
		{
			Name: "MaxPool2dBackward",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				s := g.image()
				p := conv(s)
				return ts(g.any(p.N, p.C, p.OutH(), p.OutW()), g.argmaxes(p), g.shapeOf(s...))
			}),
			F: func(xs []*Var) *Var { return MaxPool2dBackward(xs[0], xs[1].value, conv(xs[2].Shape())) },
		},
		{
			Name: "AvgPool2dBackward",
			Inputs: inputs(func(g *gen) []*tensor.Tensor {
				s := g.image()
				p := conv(s)
				return ts(g.any(p.N, p.C, p.OutH(), p.OutW()), g.shapeOf(s...))
			}),
			F: func(xs []*Var) *Var { return AvgPool2dBackward(xs[0], conv(xs[1].Shape())) },
		},
	}
}
