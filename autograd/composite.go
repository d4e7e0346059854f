package autograd

import (
	"math"

	"github.com/tapegrad/tapegrad/tensor"
)

// The ops in this file are compositions of other Var ops, so their VJPs
// and JVPs (and every higher derivative) come from the ops they are made
// of; each is as accurate and as fast as that composition (Softplus and
// ELU are accurate because Log1p and Expm1 have kernels of their own).

// scalarLike returns v as a constant rank-0 Var of x's dtype and device.
func scalarLike(x *Var, v float64) *Var { return Const(tensor.Scalar(x.Device(), x.DType(), v)) }

// Clamp returns x limited to [lo, hi], as torch.clamp: the gradient
// passes where lo < x < hi.
func (x *Var) Clamp(lo, hi float64) *Var { return x.ClampMin(lo).ClampMax(hi) }

// ClampMin returns max(x, lo).
func (x *Var) ClampMin(lo float64) *Var { return x.Maximum(scalarLike(x, lo)) }

// ClampMax returns min(x, hi).
func (x *Var) ClampMax(hi float64) *Var { return x.Minimum(scalarLike(x, hi)) }

// Reciprocal returns 1/x.
func (x *Var) Reciprocal() *Var { return x.RDivScalar(1) }

// SiLU returns x·sigmoid(x) (also called swish).
func (x *Var) SiLU() *Var { return x.Mul(x.Sigmoid()) }

// Softplus returns ln(1 + e^x): x + ln(1 + e^-x) for x > 0, ln(1 + e^x)
// otherwise. Each branch sees only its own side of 0 (so neither exp
// overflows and no NaN reaches the gradient of the branch not taken),
// very negative x keeps full precision (about e^x), and the derivative is
// sigmoid(x) everywhere, 1/2 at 0 (the usual relu(x) + ln(1 + e^-|x|)
// has subgradients that add up to 0 there).
func (x *Var) Softplus() *Var {
	pos := Const(x.Value().GtScalar(0).Cast(x.DType()))
	zero := scalarLike(x, 0)
	xp, xn := Where(pos, x, zero), Where(pos, zero, x)
	return Where(pos, xp.Add(xp.Neg().Exp().Log1p()), xn.Exp().Log1p())
}

// LogSigmoid returns ln sigmoid(x) = -softplus(-x).
func (x *Var) LogSigmoid() *Var { return x.Neg().Softplus().Neg() }

// ELU returns x for x > 0, else alpha·(e^x - 1), as torch.nn.ELU.
func (x *Var) ELU(alpha float64) *Var {
	return Where(x.GtScalar(0), x, x.Expm1().MulScalar(alpha))
}

// GELUErf returns the exact GELU, x·Φ(x) = 0.5x(1 + erf(x/√2)): PyTorch's
// default (GELU is the tanh approximation, its approximate="tanh").
func (x *Var) GELUErf() *Var {
	return x.MulScalar(0.5).Mul(x.MulScalar(1 / math.Sqrt2).Erf().AddScalar(1))
}

// LogSumExp returns log Σ exp(x) over axes (all when none are given),
// shifted by the maximum so that it neither overflows nor underflows; its
// gradient is the softmax over those axes.
func (x *Var) LogSumExp(keepdim bool, axes ...int) *Var {
	m := x.Detach().Max(true, axes...)
	s := x.Sub(m).Exp().Sum(keepdim, axes...).Log()
	return s.Add(x.Detach().Max(keepdim, axes...))
}

// reducedCount returns how many elements a reduction over axes (all when
// none) combines into each output.
func (x *Var) reducedCount(axes []int) int {
	if len(axes) == 0 {
		return x.Numel()
	}
	n := 1
	for _, a := range axes {
		n *= x.Dim(a)
	}
	return n
}

// Variance returns the variance over axes (all when none are given) with
// Bessel's correction: Σ(x - mean)²/(n - correction), as torch.var
// (correction 1 is the unbiased estimate, 0 the population variance).
func (x *Var) Variance(correction int, keepdim bool, axes ...int) *Var {
	n := x.reducedCount(axes)
	if n-correction <= 0 {
		panic(withOperands(newError("Variance", "correction %d leaves no degrees of freedom for %d elements", correction, n), x.value))
	}
	d := x.Sub(x.Mean(true, axes...))
	return d.Mul(d).Sum(keepdim, axes...).DivScalar(float64(n - correction))
}

// Std returns the square root of Variance.
func (x *Var) Std(correction int, keepdim bool, axes ...int) *Var {
	return x.Variance(correction, keepdim, axes...).Sqrt()
}

// Norm returns the p-norm over axes (all when none are given): Σ|x|
// for p = 1, √Σx² for p = 2, max|x| for p = +Inf, (Σ|x|^p)^(1/p)
// otherwise (p >= 1).
func (x *Var) Norm(p float64, keepdim bool, axes ...int) *Var {
	switch {
	case p == 1:
		return x.Abs().Sum(keepdim, axes...)
	case p == 2:
		return x.Mul(x).Sum(keepdim, axes...).Sqrt()
	case math.IsInf(p, 1):
		return x.Abs().Max(keepdim, axes...)
	case p > 1:
		return x.Abs().Pow(p).Sum(keepdim, axes...).Pow(1 / p)
	}
	panic(withOperands(newError("Norm", "p = %v: want p >= 1 or +Inf", p), x.value))
}

// MaskedFill returns x with v where mask is nonzero (mask broadcasts to
// x, in any dtype), as torch.masked_fill; the filled places get no
// gradient.
func (x *Var) MaskedFill(mask *tensor.Tensor, v float64) *Var {
	return Where(Const(mask.Cast(x.DType())), scalarLike(x, v), x)
}

// Outer returns the outer product a ⊗ b of two vectors: [len a, len b].
func Outer(a, b *Var) *Var { return a.Unsqueeze(1).Mul(b.Unsqueeze(0)) }

// Dot returns the inner product Σ a·b of two vectors of one length.
func Dot(a, b *Var) *Var {
	if a.Rank() != 1 || b.Rank() != 1 || a.Dim(0) != b.Dim(0) {
		panic(withOperands(newError("Dot", "needs two vectors of one length"), a.value, b.value))
	}
	return a.Mul(b).Sum(false)
}

// Split cuts x along axis into pieces of size (the last one shorter when
// size does not divide the axis), as torch.split; each is a view.
func (x *Var) Split(size, axis int) []*Var {
	if size < 1 {
		panic(withOperands(newError("Split", "piece size %d: want at least 1", size), x.value))
	}
	n := x.Dim(axis)
	var out []*Var
	for lo := 0; lo < n; lo += size {
		out = append(out, x.Narrow(axis, lo, min(size, n-lo)))
	}
	return out
}

// Chunk cuts x along axis into n pieces of ⌈len/n⌉ (fewer when they run
// out), as torch.chunk.
func (x *Var) Chunk(n, axis int) []*Var {
	if n < 1 {
		panic(withOperands(newError("Chunk", "%d chunks: want at least 1", n), x.value))
	}
	return x.Split(max(1, (x.Dim(axis)+n-1)/n), axis)
}

// Unbind returns the slices of x along axis, each without that axis.
func (x *Var) Unbind(axis int) []*Var {
	out := x.Split(1, axis)
	for i, v := range out {
		out[i] = v.Squeeze(axis)
	}
	return out
}

// Repeat tiles x reps[i] times along axis i, as torch.Tensor.repeat;
// extra leading reps add leading axes.
func (x *Var) Repeat(reps ...int) *Var {
	if len(reps) < x.Rank() {
		panic(withOperands(newError("Repeat", "%d repetitions for rank %d", len(reps), x.Rank()), x.value))
	}
	shape := append(make([]int, len(reps)-x.Rank(), len(reps)), x.Shape()...)
	for i := range len(reps) - x.Rank() {
		shape[i] = 1
	}
	// [.., d_i, ..] -> [.., 1, d_i, ..] -> [.., r_i, d_i, ..] -> [.., r_i·d_i, ..]
	inter, expanded, final := make([]int, 0, 2*len(reps)), make([]int, 0, 2*len(reps)), make([]int, len(reps))
	for i, r := range reps {
		if r < 0 {
			panic(withOperands(newError("Repeat", "negative repetition %d on axis %d", r, i), x.value))
		}
		inter = append(inter, 1, shape[i])
		expanded = append(expanded, r, shape[i])
		final[i] = r * shape[i]
	}
	return x.Reshape(inter...).Expand(expanded...).Contiguous().Reshape(final...)
}

// triangle keeps the elements of x's last two axes on one side of
// diagonal k: j - i <= k (lower) or j - i >= k (upper).
func (x *Var) triangle(op string, k int, lower bool) *Var {
	if x.Rank() < 2 {
		panic(withOperands(newError(op, "needs at least two axes"), x.value))
	}
	m, n := x.Dim(-2), x.Dim(-1)
	mask := make([]float64, m*n)
	for i := range m {
		for j := range n {
			if (lower && j-i <= k) || (!lower && j-i >= k) {
				mask[i*n+j] = 1
			}
		}
	}
	keep := Const(tensor.NewOn(x.Device(), mask, m, n).Cast(x.DType()))
	return Where(keep, x, scalarLike(x, 0))
}

// Tril keeps the lower triangle of the last two axes (j - i <= k) and
// zeroes the rest, as torch.tril.
func (x *Var) Tril(k int) *Var { return x.triangle("Tril", k, true) }

// Triu keeps the upper triangle of the last two axes (j - i >= k), as
// torch.triu.
func (x *Var) Triu(k int) *Var { return x.triangle("Triu", k, false) }

// Flip reverses x along each of axes.
func (x *Var) Flip(axes ...int) *Var {
	y := x
	for _, a := range axes {
		n := x.Dim(a)
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(n - 1 - i)
		}
		y = y.IndexSelect(a, tensor.NewOn(x.Device(), idx, n))
	}
	return y
}

// Roll shifts x by shift along axis, wrapping around, as torch.roll.
func (x *Var) Roll(shift, axis int) *Var {
	n := x.Dim(axis)
	if n == 0 {
		return x.Narrow(axis, 0, 0)
	}
	s := ((shift % n) + n) % n
	if s == 0 {
		return x.Narrow(axis, 0, n)
	}
	return Concat(axis, x.Narrow(axis, n-s, s), x.Narrow(axis, 0, n-s))
}

// MaxWithIndices returns the maximum along axis and where it is (Int32,
// the first on ties), as torch.max(x, dim): the gradient goes to that
// one element (Max, by contrast, splits it among ties).
func (x *Var) MaxWithIndices(axis int, keepdim bool) (*Var, *tensor.Tensor) {
	return x.pickAlong(axis, keepdim, x.Value().ArgMax(axis, true))
}

// MinWithIndices is MaxWithIndices for the minimum.
func (x *Var) MinWithIndices(axis int, keepdim bool) (*Var, *tensor.Tensor) {
	return x.pickAlong(axis, keepdim, x.Value().ArgMin(axis, true))
}

// pickAlong gathers x at idx (keepdim positions along axis).
func (x *Var) pickAlong(axis int, keepdim bool, idx *tensor.Tensor) (*Var, *tensor.Tensor) {
	v := x.Gather(axis, idx)
	if !keepdim {
		v, idx = v.Squeeze(axis), idx.Squeeze(axis)
	}
	return v, idx
}

// PowTensor returns x^y elementwise (broadcasting) for x > 0, as
// exp(y·ln x): derivatives y·x^(y-1) and x^y·ln x.
func PowTensor(x, y *Var) *Var { return y.Mul(x.Log()).Exp() }

// Cumsum returns the running sums along axis, as torch.cumsum (see
// tensor.Cumsum). Its gradient is the reversed running sum of g, its
// tangent the running sum of the tangent.
func (x *Var) Cumsum(axis int) *Var {
	if r := x.Rank(); axis < 0 && r > 0 {
		axis += r
	}
	return unary("Cumsum", x.value.Cumsum(axis), x,
		func(g, x, y *Var) *Var { return revCumsum(g, axis) },
		func(t, x, y *Var) *Var { return t.Cumsum(axis) })
}

// revCumsum returns Σ_{i>=j} g[.., i, ..] along axis: Cumsum's adjoint.
func revCumsum(g *Var, axis int) *Var {
	if g.Rank() == 0 {
		return g
	}
	return g.Flip(axis).Cumsum(axis).Flip(axis)
}

// Pad pads the last len(pads)/2 axes of x, as torch.nn.functional.pad:
// pads is (before, after) for the last axis, then the one before it, ...
// Mode "constant" fills with value; "reflect" mirrors x without repeating
// its edge (each pad shorter than the axis).
func (x *Var) Pad(pads []int, mode string, value float64) *Var {
	if len(pads)%2 != 0 || len(pads)/2 > x.Rank() {
		panic(withOperands(newError("Pad", "%d pad sizes for rank %d: want (before, after) pairs for at most every axis", len(pads), x.Rank()), x.value))
	}
	y := x
	for k := 0; k < len(pads)/2; k++ {
		axis := x.Rank() - 1 - k
		before, after := pads[2*k], pads[2*k+1]
		if before < 0 || after < 0 {
			panic(withOperands(newError("Pad", "negative pad %d, %d on axis %d", before, after, axis), x.value))
		}
		n := y.Dim(axis)
		var parts []*Var
		switch mode {
		case "constant":
			block := func(m int) *Var {
				s := y.Shape()
				s[axis] = m
				return Const(tensor.Full(x.Device(), x.DType(), value, s...))
			}
			if before > 0 {
				parts = append(parts, block(before))
			}
			parts = append(parts, y)
			if after > 0 {
				parts = append(parts, block(after))
			}
		case "reflect":
			if before >= n || after >= n {
				panic(withOperands(newError("Pad", "reflect pad %d, %d needs an axis longer than both, axis %d has %d", before, after, axis, n), x.value))
			}
			if before > 0 {
				parts = append(parts, y.Narrow(axis, 1, before).Flip(axis))
			}
			parts = append(parts, y)
			if after > 0 {
				parts = append(parts, y.Narrow(axis, n-1-after, after).Flip(axis))
			}
		default:
			panic(withOperands(newError("Pad", "mode %q: want constant or reflect", mode), x.value))
		}
		y = Concat(axis, parts...)
	}
	return y
}

// AdaptiveAvgPool2d averages x [N, C, H, W] over the windows of
// torch.nn.AdaptiveAvgPool2d to [N, C, oh, ow]: window i of an axis of n
// covers [⌊i·n/o⌋, ⌈(i+1)·n/o⌉).
func AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	if x.Rank() != 4 || oh < 1 || ow < 1 {
		panic(withOperands(newError("AdaptiveAvgPool2d", "needs [N, C, H, W] and an output of at least 1x1, got output %dx%d", oh, ow), x.value))
	}
	h, w := x.Dim(2), x.Dim(3)
	rows := make([]*Var, oh)
	for i := range oh {
		h0, h1 := i*h/oh, ((i+1)*h+oh-1)/oh
		cols := make([]*Var, ow)
		for j := range ow {
			w0, w1 := j*w/ow, ((j+1)*w+ow-1)/ow
			cols[j] = x.Narrow(2, h0, h1-h0).Narrow(3, w0, w1-w0).Mean(false, 2, 3)
		}
		rows[i] = Stack(2, cols...)
	}
	return Stack(2, rows...)
}

// Sort returns x sorted along axis (ascending, or descending) and the
// Int32 positions the values came from, stable, as torch.sort(stable=True)
// (see tensor.Sort); the gradient goes back to those positions.
func (x *Var) Sort(axis int, descending bool) (*Var, *tensor.Tensor) {
	v, idx := x.Value().Sort(axis, descending)
	return x.picked("Sort", v, axis, idx), idx
}

// TopK returns the k largest (or, with largest false, smallest) elements
// along axis in order, and their positions, as torch.topk (see
// tensor.TopK).
func (x *Var) TopK(k, axis int, largest bool) (*Var, *tensor.Tensor) {
	v, idx := x.Value().TopK(k, axis, largest)
	return x.picked("TopK", v, axis, idx), idx
}

// picked records v, the elements of x at idx along axis that a sort
// kernel already gathered, with Gather's derivatives.
func (x *Var) picked(op string, v *tensor.Tensor, axis int, idx *tensor.Tensor) *Var {
	if x.Rank() == 0 { // v is x, or empty (k = 0)
		return unary(op, v, x, func(g, x, y *Var) *Var { return g.Sum(false) }, identity)
	}
	return unary(op, v, x,
		func(g, x, y *Var) *Var { return Const(x.value.ZerosLike()).ScatterAdd(axis, idx, g) },
		func(t, x, y *Var) *Var { return t.Gather(axis, idx) })
}
