package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

func TestLinear(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	l := nn.NewLinear(c, 5, 4, true)
	for _, shape := range [][]int{{3, 5}, {2, 3, 5}} {
		x := randn(c.RNG, shape...)
		gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var {
			l.Weight, l.Bias = xs[1], xs[2]
			return l.Forward(xs[0])
		}, x, l.Weight.Value(), l.Bias.Value())
	}
	// The value against the definition y = x·Wᵀ + b.
	l = nn.NewLinear(c, 3, 2, true)
	x := randn(c.RNG, 4, 3)
	got := l.Forward(autograd.Const(x)).Value().Float64s()
	xv, w, b := x.Float64s(), l.Weight.Value().Float64s(), l.Bias.Value().Float64s()
	want := make([]float64, 8)
	for i := 0; i < 4; i++ {
		for o := 0; o < 2; o++ {
			want[i*2+o] = b[o]
			for k := 0; k < 3; k++ {
				want[i*2+o] += xv[i*3+k] * w[o*3+k]
			}
		}
	}
	requireClose(t, want, got, 1e-12, "Linear forward")

	// In evaluation the product goes back to the allocator once the bias
	// is added: with the collector off, the output alone stays live.
	be := device.MustOpen(cpu)
	devicetest.CollectorOff(t, be)
	live := be.Memory().Live
	e := l.Forward(autograd.NoGrad(autograd.Const(x)))
	require.Equal(t, live+4*2*8, be.Memory().Live, "evaluation keeps the output alone")
	requireClose(t, want, e.Value().Float64s(), 1e-12, "Linear forward in evaluation")

	require.Equal(t, []string{"weight", "bias"}, names(l.Parameters()))
	require.Len(t, nn.NewLinear(c, 3, 2, false).Parameters(), 1)
}

func names(ps []nn.NamedParam) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// naiveConv is the reference convolution over host slices.
func naiveConv(x, w, b []float64, n, c, h, wd, o, k, stride, pad int) []float64 {
	oh, ow := (h+2*pad-k)/stride+1, (wd+2*pad-k)/stride+1
	out := make([]float64, n*o*oh*ow)
	for in := 0; in < n; in++ {
		for oc := 0; oc < o; oc++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					s := b[oc]
					for ic := 0; ic < c; ic++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := y*stride-pad+ky, xx*stride-pad+kx
								if iy >= 0 && iy < h && ix >= 0 && ix < wd {
									s += x[((in*c+ic)*h+iy)*wd+ix] * w[((oc*c+ic)*k+ky)*k+kx]
								}
							}
						}
					}
					out[((in*o+oc)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out
}

func TestConv2d(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	for _, g := range []struct{ k, stride, pad int }{{3, 1, 1}, {3, 2, 0}, {2, 2, 1}} {
		l := nn.NewConv2d(c, 2, 3, g.k, g.stride, g.pad, true)
		x := randn(c.RNG, 2, 2, 5, 5)
		gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var {
			l.Weight, l.Bias = xs[1], xs[2]
			return l.Forward(xs[0])
		}, x, l.Weight.Value(), l.Bias.Value())
		y := l.Forward(autograd.Const(x)).Value()
		want := naiveConv(x.Float64s(), l.Weight.Value().Float64s(), l.Bias.Value().Float64s(), 2, 2, 5, 5, 3, g.k, g.stride, g.pad)
		oh := (5+2*g.pad-g.k)/g.stride + 1
		require.Equal(t, []int{2, 3, oh, oh}, y.Shape())
		requireClose(t, want, y.Float64s(), 1e-12, "Conv2d forward")
	}
}

// A wrong input to a layer panics with a *tensor.Error naming the layer
// and the input's shape, which tensor.Try turns into an error.
func TestLayerInputErrors(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	x := autograd.Const(randn(c.RNG, 2, 3, 4, 4))
	cases := []struct {
		layer string
		m     nn.Module
	}{
		{"Linear", nn.NewLinear(c, 5, 2, true)},
		{"Conv2d", nn.NewConv2d(c, 2, 1, 3, 1, 1, false)},
		{"LayerNorm", nn.NewLayerNorm(c, 5)},
		{"BatchNorm", nn.NewBatchNorm1d(c, 3)},
		{"BatchNorm", nn.NewBatchNorm2d(c, 4)},
		{"Embedding", nn.NewEmbedding(c, 4, 2)},
	}
	for _, tc := range cases {
		err := tensor.Try(func() { tc.m.Forward(x) })
		var te *tensor.Error
		require.ErrorAs(t, err, &te, tc.layer)
		require.Equal(t, tc.layer, te.Op)
		require.Equal(t, [][]int{{2, 3, 4, 4}}, te.Shapes)
	}
}

func TestPooling(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	for _, m := range []nn.Module{nn.NewMaxPool2d(2, 0, 0), nn.NewMaxPool2d(3, 2, 1), nn.NewAvgPool2d(2, 0, 0), nn.NewAvgPool2d(3, 2, 1)} {
		x := randn(rng, 2, 3, 6, 6)
		gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return m.Forward(xs[0]) }, x)
	}
	// Max pooling picks the window maximum.
	x := tensor.New([]float64{1, 5, 2, 0, 3, 4, 8, 7, 9, 6, 1, 2, 0, 3, 4, 5}, 1, 1, 4, 4)
	require.Equal(t, []float64{5, 8, 9, 5}, nn.NewMaxPool2d(2, 0, 0).Forward(autograd.Const(x)).Value().Float64s())
	require.Equal(t, []float64{13.0 / 4, 17.0 / 4, 18.0 / 4, 12.0 / 4}, nn.NewAvgPool2d(2, 0, 0).Forward(autograd.Const(x)).Value().Float64s())
	gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return nn.NewFlatten().Forward(xs[0]) }, randn(rng, 2, 3, 2))
	require.Equal(t, []int{2, 6}, nn.NewFlatten().Forward(autograd.Const(randn(rng, 2, 3, 2))).Shape())
}

func TestLayerNorm(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	for _, g := range []struct{ in, norm []int }{{[]int{4, 6}, []int{6}}, {[]int{2, 3, 4}, []int{3, 4}}} {
		l := nn.NewLayerNorm(c, g.norm...)
		w, b := randn(c.RNG, g.norm...), randn(c.RNG, g.norm...)
		gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var {
			l.Weight, l.Bias = xs[1], xs[2]
			return l.Forward(xs[0])
		}, randn(c.RNG, g.in...), w, b)
	}
	// With unit weight and zero bias every row has mean 0 and variance
	// v/(v+Eps) for its input's (biased) variance v: close to 1, but by
	// Eps/v, which a random row of 8 can make larger than any fixed
	// tolerance.
	l := nn.NewLayerNorm(c, 8)
	x := randn(c.RNG, 3, 8)
	y := l.Forward(autograd.Const(x)).Value()
	requireClose(t, []float64{0, 0, 0}, y.Mean(false, 1).Float64s(), 1e-12, "LayerNorm mean")
	xc := x.Sub(x.Mean(true, 1))
	v := xc.Mul(xc).Mean(false, 1).Float64s()
	want := make([]float64, len(v))
	for i, vi := range v {
		want[i] = vi / (vi + l.Eps)
	}
	requireClose(t, want, y.Mul(y).Mean(false, 1).Float64s(), 1e-12, "LayerNorm variance")
}

func TestBatchNorm(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	for _, g := range []struct {
		bn    *nn.BatchNorm
		shape []int
	}{{nn.NewBatchNorm1d(c, 4), []int{6, 4}}, {nn.NewBatchNorm1d(c, 3), []int{4, 3, 5}}, {nn.NewBatchNorm2d(c, 2), []int{3, 2, 3, 3}}} {
		bn := g.bn
		w, b := randn(c.RNG, bn.C), randn(c.RNG, bn.C)
		f := func(xs []*autograd.Var) *autograd.Var {
			bn.Weight, bn.Bias = xs[1], xs[2]
			return bn.Forward(xs[0])
		}
		bn.Train(true)
		gradCheck(t, seed, f, randn(c.RNG, g.shape...), w, b)
		bn.RunningVar.Assign(c.RNG.Uniform(cpu, device.Float64, 0.5, 2, bn.C))
		bn.Train(false)
		gradCheck(t, seed, f, randn(c.RNG, g.shape...), w, b)
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	bn := nn.NewBatchNorm1d(c, 2)
	x := randn(c.RNG, 5, 2).MulScalar(3).AddScalar(1)
	h := x.Float64s()
	bn.Forward(autograd.Const(x))
	for ch := 0; ch < 2; ch++ {
		var mean, ss float64
		for i := 0; i < 5; i++ {
			mean += h[i*2+ch] / 5
		}
		for i := 0; i < 5; i++ {
			ss += (h[i*2+ch] - mean) * (h[i*2+ch] - mean)
		}
		require.InDelta(t, 0.1*mean, bn.RunningMean.Float64s()[ch], 1e-12, "running mean")
		require.InDelta(t, 0.9+0.1*ss/4, bn.RunningVar.Float64s()[ch], 1e-12, "running var is unbiased")
	}
	// Evaluation mode normalises with the running statistics.
	bn.Train(false)
	y := bn.Forward(autograd.Const(x)).Value().Float64s()
	rm, rv := bn.RunningMean.Float64s(), bn.RunningVar.Float64s()
	for i, v := range h {
		ch := i % 2
		require.InDelta(t, (v-rm[ch])/math.Sqrt(rv[ch]+1e-5), y[i], 1e-12)
	}
	require.Equal(t, []string{"running_mean", "running_var"}, []string{bn.Buffers()[0].Name, bn.Buffers()[1].Name})
}

func TestEmbedding(t *testing.T) {
	seed := testSeed(t)
	c := cfg64(seed)
	e := nn.NewEmbedding(c, 5, 3)
	idx := tensor.New([]int32{4, 0, 2, 4, 1, 4}, 2, 3) // repeats accumulate
	gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var {
		e.Weight = xs[1]
		return e.Forward(xs[0])
	}, idx, e.Weight.Value())
	y := e.Forward(autograd.Const(idx)).Value()
	require.Equal(t, []int{2, 3, 3}, y.Shape())
	require.Equal(t, e.Weight.Value().Float64s()[12:15], y.Float64s()[:3])
	// Indices reach the table as a tensor: a NoGrad mark must not be lost.
	e = nn.NewEmbedding(c, 5, 3)
	y = e.Forward(autograd.Const(idx)).Value()
	ev := e.Forward(autograd.NoGrad(autograd.Const(idx)))
	require.False(t, ev.RequiresGrad())
	require.Equal(t, y.Float64s(), ev.Value().Float64s())
}

func TestActivations(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	for _, a := range []*nn.Activation{nn.ReLU(), nn.LeakyReLU(0.1), nn.GELU(), nn.GELUErf(), nn.Tanh(), nn.Sigmoid(), nn.Softmax(1), nn.Softmax(0)} {
		t.Run(a.String(), func(t *testing.T) {
			gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var { return a.Forward(xs[0]) }, randn(rng, 3, 4))
		})
	}
	x := tensor.New([]float64{-2, 3})
	require.Equal(t, []float64{0, 3}, nn.ReLU().Forward(autograd.Const(x)).Value().Float64s())
	require.Equal(t, []float64{-0.2, 3}, nn.LeakyReLU(0.1).Forward(autograd.Const(x)).Value().Float64s())
	// PyTorch 1.13: torch.nn.GELU()(torch.tensor([-2., 3.], dtype=torch.float64))
	requireClose(t, []float64{-0.04550026389635842, 2.99595030590511},
		nn.GELUErf().Forward(autograd.Const(x)).Value().Float64s(), 1e-15, "GELUErf")
}

func TestDropout(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	d := nn.NewDropout(0.3, tensor.NewRNG(seed+1))
	x := rng.Uniform(cpu, device.Float64, 1, 2, 100, 50)
	y := d.Forward(autograd.Const(x)).Value().Float64s()
	zeros := 0
	for i, v := range x.Float64s() {
		if y[i] == 0 {
			zeros++
		} else {
			require.InDelta(t, v/0.7, y[i], 1e-12)
		}
	}
	require.InDelta(t, 0.3, float64(zeros)/5000, 0.03, "fraction dropped")
	// The same generator position gives the same mask.
	d.RNG.SetOffset(0)
	require.Equal(t, y, d.Forward(autograd.Const(x)).Value().Float64s())
	// Gradient: the mask, checked with the generator rewound every call.
	gradCheck(t, seed, func(xs []*autograd.Var) *autograd.Var {
		d.RNG.SetOffset(0)
		return d.Forward(xs[0])
	}, randn(rng, 4, 5))
	d.Train(false)
	require.Equal(t, x.Float64s(), d.Forward(autograd.Const(x)).Value().Float64s())
}
