package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

var cpu = device.CPUDevice

// randoms returns n numbers in [lo, hi) from r, never all zero.
func randoms(r *rand.Rand, n int, lo, hi float64) []float64 {
	h := make([]float64, n)
	for i := range h {
		h[i] = lo + (hi-lo)*r.Float64()
	}
	return h
}

func param(h []float64, shape ...int) *ag.Var { return ag.Param(tensor.New(h, shape...)) }

// A value used on several paths gets the sum of their gradients:
// y = Σ(h*h + h + x*x) with h = 2x gives dy/dx = (2h+1)*2 + 2x = 10x + 2.
func TestGradientsSumOverUses(t *testing.T) {
	xs := []float64{1.5, -2, 0.25, 3}
	x := param(xs, 2, 2)
	h := x.MulScalar(2)
	y := h.Mul(h).Add(h).Add(x.Mul(x)).Sum(false)
	y.Backward()
	want := make([]float64, len(xs))
	for i, v := range xs {
		want[i] = 10*v + 2
	}
	require.Equal(t, want, x.Grad().Float64s())
	require.Equal(t, []int{2, 2}, x.Grad().Shape())
}

// One neuron, a = sigmoid(w·x + b), with squared loss (a - t)²: the chain
// rule by hand gives dL/dw = 2(a-t)a(1-a)x and dL/db = 2(a-t)a(1-a).
func TestSingleNeuron(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	xs, ws, b, target := randoms(r, 3, -1, 1), randoms(r, 3, -1, 1), r.Float64(), r.Float64()
	w, bias := param(ws, 3), param([]float64{b}, []int{}...)
	x := ag.Const(tensor.New(xs, 3))
	a := w.MatMul(x).Add(bias).Sigmoid()
	loss := a.SubScalar(target).Pow(2)
	loss.Backward()

	z := b
	for i := range xs {
		z += ws[i] * xs[i]
	}
	av := 1 / (1 + math.Exp(-z))
	require.InDelta(t, (av-target)*(av-target), loss.Value().Item(), 1e-15)
	delta := 2 * (av - target) * av * (1 - av)
	for i, xv := range xs {
		require.InDelta(t, delta*xv, w.Grad().Float64s()[i], 1e-15)
	}
	require.InDelta(t, delta, bias.Grad().Item(), 1e-15)
	require.Equal(t, 0, bias.Grad().Rank())
}

// The mean cross-entropy of softmax logits has logit gradient (p - y)/rows,
// y the (smoothed) one-hot targets.
func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 2))
	const rows, classes = 4, 5
	ls := randoms(r, rows*classes, -3, 3)
	labels := []int32{3, 0, 4, 3}
	for _, smoothing := range []float64{0, 0.1} {
		logits := param(ls, rows, classes)
		loss := ag.CrossEntropy(logits, tensor.New(labels), smoothing).Mean(false)
		loss.Backward()
		got := logits.Grad().Float64s()
		for i := range rows {
			row := ls[i*classes : (i+1)*classes]
			m, z := math.Inf(-1), 0.0
			for _, v := range row {
				m = max(m, v)
			}
			for _, v := range row {
				z += math.Exp(v - m)
			}
			for c, v := range row {
				y := smoothing / classes
				if int32(c) == labels[i] {
					y += 1 - smoothing
				}
				require.InDelta(t, (math.Exp(v-m)/z-y)/rows, got[i*classes+c], 1e-15, "smoothing %g row %d class %d", smoothing, i, c)
			}
		}
	}
}

// d/dx x³ = 3x², and d²/dx² x³ = 6x through a recorded backward pass.
func TestGradOfGradCube(t *testing.T) {
	xs := []float64{2, -1.5, 0.5}
	x := param(xs, 3)
	y := x.Pow(3).Sum(false)
	g := ag.Grad([]*ag.Var{y}, []*ag.Var{x}, ag.GradOptions{CreateGraph: true})[0]
	require.True(t, g.RequiresGrad())
	gg := ag.Grad([]*ag.Var{g.Sum(false)}, []*ag.Var{x}, ag.GradOptions{})[0]
	for i, v := range xs {
		require.InDelta(t, 3*v*v, g.Value().Float64s()[i], 1e-12)
		require.InDelta(t, 6*v, gg.Value().Float64s()[i], 1e-12)
	}
	require.Nil(t, x.Grad(), "Grad must not accumulate into Params")

	// The same through Backward with CreateGraph and GradVar.
	z := x.Pow(3).Sum(false)
	ag.Backward([]*ag.Var{z}, ag.GradOptions{CreateGraph: true})
	d1 := x.GradVar()
	x.ZeroGrad()
	d1.Sum(false).Backward()
	for i, v := range xs {
		require.InDelta(t, 6*v, x.Grad().Float64s()[i], 1e-12)
	}
}

// A Hessian-vector product by double backward agrees with central
// differences of the gradient along v.
func TestHessianVectorProduct(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 3))
	const n = 5
	a := ag.Const(tensor.New(randoms(r, 4*n, -1, 1), 4, n))
	f := func(x *ag.Var) *ag.Var {
		h := a.MatMul(x).Tanh()
		return h.Mul(h).Sum(false).Add(x.Exp().Mul(x).Sum(false)).Add(x.Softmax(0).Max(false))
	}
	grad := func(xs []float64, create bool) *ag.Var {
		x := param(xs, n)
		return ag.Grad([]*ag.Var{f(x)}, []*ag.Var{x}, ag.GradOptions{CreateGraph: create})[0]
	}
	xs, vs := randoms(r, n, -1, 1), randoms(r, n, -1, 1)
	x := param(xs, n)
	g := ag.Grad([]*ag.Var{f(x)}, []*ag.Var{x}, ag.GradOptions{CreateGraph: true})[0]
	hv := ag.Grad([]*ag.Var{g}, []*ag.Var{x}, ag.GradOptions{Seeds: []*ag.Var{ag.Const(tensor.New(vs, n))}})[0].Value().Float64s()

	const eps = 1e-5
	plus, minus := make([]float64, n), make([]float64, n)
	for i := range xs {
		plus[i], minus[i] = xs[i]+eps*vs[i], xs[i]-eps*vs[i]
	}
	gp, gm := grad(plus, false).Value().Float64s(), grad(minus, false).Value().Float64s()
	for i := range hv {
		require.InDelta(t, (gp[i]-gm[i])/(2*eps), hv[i], 1e-7, "element %d", i)
	}
}

// The same graph, built and differentiated twice, gives bit-identical
// gradients: the walk order and every sum are fixed.
func TestDeterministicGradients(t *testing.T) {
	seed := testSeed(t)
	build := func() [][]float64 {
		r := rand.New(rand.NewPCG(seed, 4))
		x := ag.Const(tensor.New(randoms(r, 16*20, -1, 1), 16, 20).Cast(device.Float32))
		w1 := ag.Param(tensor.New(randoms(r, 20*32, -0.3, 0.3), 20, 32).Cast(device.Float32))
		w2 := ag.Param(tensor.New(randoms(r, 32*10, -0.3, 0.3), 32, 10).Cast(device.Float32))
		labels := make([]int32, 16)
		for i := range labels {
			labels[i] = int32(r.IntN(10))
		}
		h := x.MatMul(w1).GELU()
		logits := h.MatMul(w2).Add(h.Sum(true, 1).MatMul(w2.Sum(true, 0)))
		loss := ag.CrossEntropy(logits, tensor.New(labels), 0.05).Mean(false).Add(w1.Mul(w1).Sum(false).MulScalar(1e-3))
		loss.Backward()
		return [][]float64{w1.Grad().Float64s(), w2.Grad().Float64s()}
	}
	require.Equal(t, build(), build())
}
