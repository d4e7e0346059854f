package autograd

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// The conv helpers are linear maps in pairs of adjoints (Im2Col/Col2Im,
// AvgPool/its backward, MaxPool's backward/a gather at the saved argmax),
// so each VJP is the other op of its pair, each JVP the op itself, and
// every one of them is differentiable to any order.

// Im2Col unfolds x [N,C,H,W] into columns [N, C*KH*KW, OH*OW] so that a
// convolution becomes a MatMul; its gradient folds g back with Col2Im.
func Im2Col(x *Var, p device.ConvParams) *Var {
	return unary("Im2Col", tensor.Im2Col(x.value, p), x,
		func(g, x, y *Var) *Var { return Col2Im(g, p) },
		func(t, x, y *Var) *Var { return Im2Col(t, p) })
}

// Col2Im folds columns [N, C*KH*KW, OH*OW] back to [N,C,H,W], summing
// overlaps: the adjoint of Im2Col, whose gradient is Im2Col.
func Col2Im(cols *Var, p device.ConvParams) *Var {
	return unary("Col2Im", tensor.Col2Im(cols.value, p), cols,
		func(g, x, y *Var) *Var { return Im2Col(g, p) },
		func(t, x, y *Var) *Var { return Col2Im(t, p) })
}

// MaxPool2d returns the window maxima of x [N,C,H,W]. The gradient goes
// to the position each window chose (the first maximum on ties, as the
// kernel picks it).
func MaxPool2d(x *Var, p device.ConvParams) *Var {
	y, idx := tensor.MaxPool2d(x.value, p)
	out := unary("MaxPool2d", y, x,
		func(g, x, y *Var) *Var { return MaxPool2dBackward(g, idx, p) },
		func(t, x, y *Var) *Var { return gatherWindows(t, idx, p) })
	// Without a tangent (whose ops may have recorded idx), nothing but
	// the rules reads idx: it goes back to the allocator with the node's
	// values (ReleaseValues), or at once when nothing was recorded
	// (evaluation), not when the collector runs.
	out.Own(idx)
	return out
}

// MaxPool2dBackward routes dy [N,C,OH,OW] to the positions idx (from
// MaxPool2d) chose, through the fused kernel. It is linear in dy; its VJP
// gathers the gradient back from those positions.
func MaxPool2dBackward(dy *Var, idx *tensor.Tensor, p device.ConvParams) *Var {
	return unary("MaxPool2dBackward", tensor.MaxPool2dBackward(dy.value, idx, p), dy,
		func(gg, dy, y *Var) *Var { return gatherWindows(gg, idx, p) },
		func(t, dy, y *Var) *Var { return MaxPool2dBackward(t, idx, p) })
}

// gatherWindows returns x [N,C,H,W] at the positions idx [N,C,OH,OW]
// chose: MaxPool2d's Jacobian applied to x, and MaxPool2dBackward's
// adjoint.
func gatherWindows(x *Var, idx *tensor.Tensor, p device.ConvParams) *Var {
	plane := []int{p.N, p.C, p.OutH() * p.OutW()}
	return x.Reshape(p.N, p.C, p.H*p.W).Gather(2, idx.Reshape(plane...)).Reshape(p.N, p.C, p.OutH(), p.OutW())
}

// AvgPool2d returns the window means of x [N,C,H,W] (padding counts as
// zeros); its gradient spreads g back with AvgPool2dBackward.
func AvgPool2d(x *Var, p device.ConvParams) *Var {
	return unary("AvgPool2d", tensor.AvgPool2d(x.value, p), x,
		func(g, x, y *Var) *Var { return AvgPool2dBackward(g, p) },
		func(t, x, y *Var) *Var { return AvgPool2d(t, p) })
}

// AvgPool2dBackward spreads dy evenly over each window through the fused
// kernel: the adjoint of AvgPool2d, whose gradient is AvgPool2d.
func AvgPool2dBackward(dy *Var, p device.ConvParams) *Var {
	return unary("AvgPool2dBackward", tensor.AvgPool2dBackward(dy.value, p), dy,
		func(gg, dy, y *Var) *Var { return AvgPool2d(gg, p) },
		func(t, dy, y *Var) *Var { return AvgPool2dBackward(t, p) })
}
