package nn_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// rounded returns t rounded to the half dtype h, held in float32.
func rounded(t *tensor.Tensor, h device.DType) *tensor.Tensor { return t.Cast(h).Cast(device.Float32) }

// TestLayersUnderAutocast checks that Linear and Conv2d (grouped and
// strided, so the Im2Col products of every group) under autocast compute
// what the float32 layers compute from half-rounded inputs and weights
// (a product of halves is exact in float32, so only the summation order
// may differ), that the bias and the output stay float32, and that the
// weights' gradients are float32 and differ from the float32 run's.
func TestLayersUnderAutocast(t *testing.T) {
	seed := testSeed(t)
	r := tensor.NewRNG(seed)
	c := nn.Config{Device: cpu, DType: device.Float32, RNG: r}
	layers := []struct {
		name string
		m    nn.Module
		w    func(nn.Module) *autograd.Var
		x    *tensor.Tensor
	}{
		{"linear", nn.NewLinear(c, 24, 7, true), func(m nn.Module) *autograd.Var { return m.(*nn.Linear).Weight },
			r.Normal(cpu, device.Float32, 0, 1, 5, 24)},
		{"conv", nn.NewConv2dWith(c, nn.Conv2dConfig{In: 4, Out: 6, Kernel: [2]int{3, 3}, Stride: [2]int{2, 1},
			Padding: [2]int{1, 1}, Groups: 2, Bias: true}), func(m nn.Module) *autograd.Var { return m.(*nn.Conv2d).Weight },
			r.Normal(cpu, device.Float32, 0, 1, 2, 4, 7, 6)},
	}
	for _, l := range layers {
		for _, h := range []device.DType{device.BFloat16, device.Float16} {
			w := l.w(l.m)
			orig := w.Value().Clone()
			y := l.m.Forward(autograd.Autocast(autograd.Const(l.x), h))
			require.Equal(t, device.Float32, y.DType(), "%s %v", l.name, h)
			y.Mul(y).Sum(false).Backward()
			ampGrad := w.Grad().Float32s()
			w.ZeroGrad()

			w.Value().Assign(rounded(orig, h))
			want := l.m.Forward(autograd.Const(rounded(l.x, h)))
			w.Value().Assign(orig)
			requireClose(t, want.Value().Float64s(), y.Value().Float64s(), 1e-5, l.name+" "+h.String())

			f32 := l.m.Forward(autograd.Const(l.x))
			f32.Mul(f32).Sum(false).Backward()
			require.Equal(t, device.Float32, w.Grad().DType())
			require.NotEqual(t, w.Grad().Float32s(), ampGrad, "%s %v: the weight gradient was not computed in %v", l.name, h, h)
			requireClose(t, w.Grad().Float64s(), tensor.New(ampGrad, w.Shape()...).Float64s(), 0.05*maxAbs(w.Grad().Float64s()), l.name+" gradient")
			w.ZeroGrad()
		}
	}
}

// maxAbs returns the largest magnitude in xs.
func maxAbs(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x, -x)
	}
	return m
}
