package autograd_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

func v64(data []float64, shape ...int) *autograd.Var {
	return autograd.Const(tensor.New(data, shape...))
}

// TestCompositeValues pins each composite op's values to what torch
// computes for the same inputs (worked by hand here).
func TestCompositeValues(t *testing.T) {
	x := v64([]float64{1, -2, 3, -4, 5, -6}, 2, 3)
	vals := func(v *autograd.Var) []float64 { return v.Value().Float64s() }

	require.Equal(t, []float64{1, -1.5, 2, -1.5, 2, -1.5}, vals(x.Clamp(-1.5, 2)))
	require.Equal(t, []float64{1, -0.5, 1.0 / 3, -0.25, 0.2, -1.0 / 6}, vals(x.Reciprocal()))
	lse := vals(x.LogSumExp(false, 1))
	require.InDelta(t, math.Log(math.Exp(1)+math.Exp(-2)+math.Exp(3)), lse[0], 1e-15)
	require.InDelta(t, math.Log(math.Exp(-4)+math.Exp(5)+math.Exp(-6)), lse[1], 1e-15)
	big := v64([]float64{1000, 1000}, 2)
	require.InDelta(t, 1000+math.Log(2), big.LogSumExp(false).Value().Item(), 1e-12, "no overflow")

	w := v64([]float64{1, 2, 3, 4}, 4)
	require.InDelta(t, 5.0/3, w.Variance(1, false).Value().Item(), 1e-15)
	require.InDelta(t, 1.25, w.Variance(0, false).Value().Item(), 1e-15)
	require.InDelta(t, math.Sqrt(5.0/3), w.Std(1, false).Value().Item(), 1e-15)
	require.InDelta(t, 21.0, x.Norm(1, false).Value().Item(), 1e-15)
	require.InDelta(t, math.Sqrt(91), x.Norm(2, false).Value().Item(), 1e-14)
	require.InDelta(t, 6.0, x.Norm(math.Inf(1), false).Value().Item(), 0)
	require.InDelta(t, math.Cbrt(1+8+27+64+125+216), x.Norm(3, false).Value().Item(), 1e-12)

	mask := tensor.New([]int32{1, 0, 1}, 3)
	require.Equal(t, []float64{9, -2, 9, 9, 5, 9}, vals(x.MaskedFill(mask, 9)))
	require.Equal(t, []float64{3, 4, 6, 8}, vals(autograd.Outer(v64([]float64{1, 2}, 2), v64([]float64{3, 4}, 2))))
	require.Equal(t, 11.0, autograd.Dot(v64([]float64{1, 2}, 2), v64([]float64{3, 4}, 2)).Value().Item())

	pieces := x.Split(2, 1)
	require.Len(t, pieces, 2)
	require.Equal(t, []int{2, 2}, pieces[0].Shape())
	require.Equal(t, []float64{3, -6}, vals(pieces[1]))
	require.Len(t, x.Chunk(2, 1), 2)
	require.Equal(t, []float64{-2, 5}, vals(x.Unbind(1)[1]))

	r := v64([]float64{1, 2}, 2).Repeat(2, 2)
	require.Equal(t, []int{2, 4}, r.Shape())
	require.Equal(t, []float64{1, 2, 1, 2, 1, 2, 1, 2}, vals(r))

	sq := v64([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3)
	require.Equal(t, []float64{1, 0, 0, 4, 5, 0, 7, 8, 9}, vals(sq.Tril(0)))
	require.Equal(t, []float64{0, 2, 3, 0, 0, 6, 0, 0, 0}, vals(sq.Triu(1)))
	require.Equal(t, []float64{-6, 5, -4, 3, -2, 1}, vals(x.Flip(0, 1)))
	require.Equal(t, []float64{3, 1, -2, -6, -4, 5}, vals(x.Roll(1, 1)))
	require.Equal(t, []float64{-2, 3, 1, 5, -6, -4}, vals(x.Roll(-4, 1)))

	// Softplus and LogSigmoid keep full precision far out (torch gives
	// e^-40 and -e^-40 there) and do not overflow.
	far := v64([]float64{-40, 0, 40, 800}, 4)
	sp := vals(far.Softplus())
	require.InEpsilon(t, math.Exp(-40), sp[0], 1e-15)
	require.InDelta(t, math.Ln2, sp[1], 1e-16)
	require.InDelta(t, 40+math.Exp(-40), sp[2], 1e-14)
	require.Equal(t, 800.0, sp[3])
	require.InEpsilon(t, -math.Exp(-40), vals(far.LogSigmoid())[2], 1e-15)
	// The derivative at exactly 0 is sigmoid(0) = 1/2, for both.
	for _, f := range []func(*autograd.Var) *autograd.Var{(*autograd.Var).Softplus, (*autograd.Var).LogSigmoid} {
		z := autograd.Param(tensor.New([]float64{0, -50, 50}, 3))
		f(z).Sum(false).Backward()
		require.Equal(t, 0.5, z.Grad().Float64s()[0])
		require.False(t, math.IsNaN(z.Grad().Float64s()[1]) || math.IsNaN(z.Grad().Float64s()[2]))
	}
	require.Equal(t, []float64{0.5 * math.Expm1(-2), 3}, vals(v64([]float64{-2, 3}, 2).ELU(0.5)))
	g := vals(v64([]float64{-1, 0.5}, 2).GELUErf())
	require.InDelta(t, -0.15865525393145707, g[0], 1e-15) // torch.nn.functional.gelu(-1.0)
	require.InDelta(t, 0.34573123063700656, g[1], 1e-15)  // gelu(0.5)

	// torch 1.13's values for the same inputs.
	img := autograd.Const(tensor.Arange(device.CPUDevice, device.Float64, 12).AddScalar(1).Reshape(1, 1, 3, 4))
	require.Equal(t, []float64{3.5, 4.5, 5.5, 7.5, 8.5, 9.5}, vals(autograd.AdaptiveAvgPool2d(img, 2, 3)))
	m := v64([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	require.Equal(t, []float64{-1, -1, 1, 2, 3, -1, -1, -1, 4, 5, 6, -1}, vals(m.Pad([]int{2, 1}, "constant", -1)))
	require.Equal(t, []float64{3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}, vals(m.Pad([]int{2, 1}, "reflect", 0)))
	require.Equal(t, []float64{0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0}, vals(m.Pad([]int{1, 0, 1, 1}, "constant", 0)))
	require.Equal(t, []float64{1, 2, 3, 5, 7, 9}, vals(m.Cumsum(0)))
	require.Equal(t, []float64{1, 3, 6, 4, 9, 15}, vals(m.Cumsum(-1)))
	ties := autograd.Param(tensor.New([]float64{3, 7, 7, 5, 1, 5}, 2, 3))
	mx, at := ties.MaxWithIndices(1, false)
	require.Equal(t, []float64{7, 5}, vals(mx))
	require.Equal(t, []int32{1, 0}, at.Int32s(), "the first of tied maxima")
	mn, at := ties.MinWithIndices(1, true)
	require.Equal(t, []float64{3, 1}, vals(mn))
	require.Equal(t, []int32{0, 1}, at.Int32s())
	mx.Sum(false).Backward()
	require.Equal(t, []float64{0, 1, 0, 1, 0, 0}, ties.Grad().Float64s(), "the gradient goes to the picked element only")
	pw := autograd.PowTensor(v64([]float64{2, 9}, 2), v64([]float64{3, 0.5}, 2))
	require.InDeltaSlice(t, []float64{8, 3}, vals(pw), 1e-14)
}
