package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	"github.com/tapegrad/tapegrad/tensor"
)

// releaseDevices are the devices the release tests run on: the CPU, whose
// buffers the collector owns, and cudasim, where a freed block goes back
// to the caching allocator and a stale read of a reused one faults.
var releaseDevices = []device.Device{device.CPUDevice, device.CUDASimDevice}

// requireReleased checks that reading t panics with ErrReleased.
func requireReleased(t *testing.T, x *tensor.Tensor) {
	t.Helper()
	require.True(t, x.Released())
	te := tensorError(t, func() { x.Float32s() })
	require.ErrorIs(t, te, tensor.ErrReleased)
	require.Contains(t, te.Error(), "released")
}

// TestReleaseValuesKeepsWhatTheCallerHolds runs a small network with
// ReleaseValues and checks what is freed: the values the ops made
// (readable before, ErrReleased after), and not the Params, the constant
// input, a Transpose view of a Param the graph recorded, or the output;
// the gradients match a plain Backward's.
func TestReleaseValuesKeepsWhatTheCallerHolds(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			g := tensor.NewRNG(11)
			x := g.Normal(dev, device.Float32, 0, 1, 5, 4)
			w := g.Normal(dev, device.Float32, 0, 1, 3, 4)
			b := g.Normal(dev, device.Float32, 0, 1, 3)
			xs, ws, bs := x.Float32s(), w.Float32s(), b.Float32s()
			run := func(opts ag.GradOptions) (grads [][]float32, h, wt, loss *ag.Var) {
				W, B := ag.Param(w), ag.Param(b)
				wt = W.Transpose(0, 1)
				h = ag.Const(x).MatMul(wt).Add(B).Tanh()
				loss = h.Mul(h).Sum(false)
				hs := h.Value().Float32s()
				ag.Backward([]*ag.Var{loss}, opts)
				if !opts.ReleaseValues {
					require.Equal(t, hs, h.Value().Float32s())
				}
				return [][]float32{W.Grad().Float32s(), B.Grad().Float32s()}, h, wt, loss
			}
			want, _, _, wantLoss := run(ag.GradOptions{})
			got, h, wt, loss := run(ag.GradOptions{ReleaseValues: true})
			require.Equal(t, want, got)
			requireReleased(t, h.Value())
			require.Equal(t, xs, x.Float32s())
			require.Equal(t, ws, w.Float32s())
			require.Equal(t, bs, b.Float32s())
			require.False(t, wt.Value().Released(), "a view of a Param")
			require.Equal(t, wantLoss.Value().Item(), loss.Value().Item())
			require.Equal(t, []int{5, 3}, h.Shape(), "facts stay readable")
		})
	}
}

// TestReleaseValuesWaitsForOtherConsumers checks that a value another
// recorded op still needs survives a ReleaseValues pass that does not run
// that op, and is freed by the pass that does.
func TestReleaseValuesWaitsForOtherConsumers(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			g := tensor.NewRNG(12)
			p := ag.Param(g.Normal(dev, device.Float32, 0, 1, 6))
			q := ag.Param(g.Normal(dev, device.Float32, 0, 1, 6))
			h := p.Exp()
			first := h.Sum(false)
			second := h.Mul(q).Sum(false)
			hs := h.Value().Float32s()
			ag.Backward([]*ag.Var{first}, ag.GradOptions{ReleaseValues: true})
			require.Equal(t, hs, h.Value().Float32s(), "second's Mul still needs h")
			dq := ag.Grad([]*ag.Var{second}, []*ag.Var{q}, ag.GradOptions{ReleaseValues: true})[0]
			require.Equal(t, hs, dq.Value().Float32s())
			requireReleased(t, h.Value())
			require.False(t, p.Value().Released())
			require.False(t, q.Value().Released())
		})
	}
}

// TestRetainAndCreateGraphIgnoreReleaseValues checks that ReleaseValues
// frees nothing a retained or recorded graph needs: a second backward
// and a gradient of a gradient still work.
func TestRetainAndCreateGraphIgnoreReleaseValues(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			x := ag.Param(tensor.NewRNG(13).Normal(dev, device.Float64, 0, 1, 4))
			h := x.Exp()
			y := h.Mul(x).Sum(false)
			ag.Backward([]*ag.Var{y}, ag.GradOptions{RetainGraph: true, ReleaseValues: true})
			once := x.Grad().Float64s()
			ag.Backward([]*ag.Var{y}, ag.GradOptions{ReleaseValues: true})
			for i, v := range x.Grad().Float64s() {
				require.InDelta(t, 2*once[i], v, 1e-12)
			}
			requireReleasedF64(t, h.Value())

			z := ag.Param(tensor.NewRNG(14).Normal(dev, device.Float64, 0, 1, 4))
			u := z.Mul(z).Mul(z).Sum(false) // du/dz = 3z², d²u/dz² = 6z
			dz := ag.Grad([]*ag.Var{u}, []*ag.Var{z}, ag.GradOptions{CreateGraph: true, ReleaseValues: true})[0]
			d2 := ag.Grad([]*ag.Var{dz.Sum(false)}, []*ag.Var{z}, ag.GradOptions{ReleaseValues: true})[0]
			for i, v := range z.Value().Float64s() {
				require.InDelta(t, 6*v, d2.Value().Float64s()[i], 1e-12)
			}
		})
	}
}

func requireReleasedF64(t *testing.T, x *tensor.Tensor) {
	t.Helper()
	require.True(t, x.Released())
	require.ErrorIs(t, tensorError(t, func() { x.Float64s() }), tensor.ErrReleased)
}

// TestReleaseGrad checks that ReleaseGrad frees a Param's gradient
// without touching another Param's, even where the engine handed both
// the same tensor (Add) or the caller's seed, and never frees a tensor
// given to SetGrad.
func TestReleaseGrad(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			g := tensor.NewRNG(15)
			a := ag.Param(g.Normal(dev, device.Float32, 0, 1, 3))
			b := ag.Param(g.Normal(dev, device.Float32, 0, 1, 3))
			seed := g.Normal(dev, device.Float32, 0, 1, 3)
			want := seed.Float32s()
			ag.Backward([]*ag.Var{a.Add(b)}, ag.GradOptions{Seeds: []*ag.Var{ag.Const(seed)}})
			ga := a.Grad()
			a.ReleaseGrad()
			require.Nil(t, a.Grad())
			requireReleased(t, ga)
			require.Equal(t, want, b.Grad().Float32s())
			require.Equal(t, want, seed.Float32s(), "the caller's seed")

			mine := g.Normal(dev, device.Float32, 0, 1, 3)
			b.SetGrad(mine)
			b.ReleaseGrad()
			require.False(t, mine.Released())
		})
	}
}

// TestTensorRelease checks Release itself: ops on the tensor or a view of
// it panic with ErrReleased, its facts stay readable, and releasing twice
// does nothing.
func TestTensorRelease(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			x := tensor.NewRNG(16).Normal(dev, device.Float32, 0, 1, 2, 3)
			v := x.Transpose(0, 1)
			x.Release()
			x.Release()
			require.Equal(t, []int{3, 2}, v.Shape())
			require.True(t, v.Released())
			require.ErrorIs(t, tensorError(t, func() { v.Contiguous() }), tensor.ErrReleased)
			require.ErrorIs(t, tensorError(t, func() { x.Exp() }), tensor.ErrReleased)
		})
	}
}

// TestReleaseValuesKeepsSharedStorage checks that ReleaseValues leaves
// an op's value alone when the caller holds its storage another way: a
// Param made from it, or an input Grad was asked about.
func TestReleaseValuesKeepsSharedStorage(t *testing.T) {
	for _, dev := range releaseDevices {
		t.Run(dev.String(), func(t *testing.T) {
			g := tensor.NewRNG(17)
			p := ag.Param(g.Normal(dev, device.Float32, 0, 1, 5))
			h := p.Exp()
			q := ag.Param(h.Value())
			hs := h.Value().Float32s()
			ag.Backward([]*ag.Var{h.Mul(q).Sum(false)}, ag.GradOptions{ReleaseValues: true})
			require.Equal(t, hs, q.Value().Float32s())
			require.Equal(t, hs, q.Grad().Float32s())

			k := p.Exp()
			ks := k.Value().Float32s()
			dk := ag.Grad([]*ag.Var{k.Mul(k).Sum(false)}, []*ag.Var{k}, ag.GradOptions{ReleaseValues: true})[0]
			require.Equal(t, ks, k.Value().Float32s())
			for i, v := range dk.Value().Float32s() {
				require.InDelta(t, 2*ks[i], v, 1e-6)
			}
		})
	}
}

// TestMaxPoolArgmaxReleased checks that MaxPool2d's saved argmax
// positions go back to the allocator with the node (ReleaseValues), and
// at once when nothing records (evaluation), instead of waiting for the
// collector: with the collector off, the CPU's live bytes are exactly
// what the caller still holds.
func TestMaxPoolArgmaxReleased(t *testing.T) {
	be := device.MustOpen(device.CPUDevice)
	devicetest.CollectorOff(t, be)
	g := tensor.NewRNG(5)
	x := g.Normal(device.CPUDevice, device.Float32, 0, 1, 2, 3, 8, 6)
	p := device.ConvParams{N: 2, C: 3, H: 8, W: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	const in, out = 2 * 3 * 8 * 6 * 4, 2 * 3 * 4 * 3 * 4 // bytes of x and of a pooled float32

	live := be.Memory().Live
	y := ag.MaxPool2d(ag.Const(x), p)
	require.Equal(t, live+out, be.Memory().Live, "evaluation keeps the output alone")

	live = be.Memory().Live
	X := ag.Param(x)
	loss := ag.MaxPool2d(X, p).Sum(false)
	ag.Backward([]*ag.Var{loss}, ag.GradOptions{ReleaseValues: true})
	require.Equal(t, live+in+4, be.Memory().Live, "training keeps the gradient and the loss")
	require.Equal(t, y.Value().Float32s(), ag.MaxPool2d(ag.Const(x), p).Value().Float32s())
	require.InDelta(t, float64(sum(y.Value().Float32s())), loss.Value().Item(), 1e-4)
	require.Equal(t, float64(len(y.Value().Float32s())), X.Grad().Sum(false).Item(), "one 1 per window")
}

func sum(xs []float32) (s float32) {
	for _, x := range xs {
		s += x
	}
	return s
}

// TestOwnKeepsWhatATangentReads differentiates the tangent of a max-pool
// (forward over reverse): the tangent's ops recorded a gather at the
// argmax positions, so MaxPool2d must not free them even though its own
// output records nothing.
func TestOwnKeepsWhatATangentReads(t *testing.T) {
	g := tensor.NewRNG(9)
	x := g.Normal(device.CPUDevice, device.Float64, 0, 1, 1, 2, 4, 4)
	dir := ag.Param(g.Normal(device.CPUDevice, device.Float64, 0, 1, 1, 2, 4, 4))
	p := device.ConvParams{N: 1, C: 2, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	_, tan := ag.JVP(func(xs []*ag.Var) *ag.Var { return ag.MaxPool2d(xs[0], p).Sum(false) },
		[]*ag.Var{ag.Const(x)}, []*ag.Var{dir})
	ag.Backward([]*ag.Var{tan}, ag.GradOptions{ReleaseValues: true})
	require.Equal(t, 8.0, dir.Grad().Sum(false).Item(), "one 1 per window")
}

// TestBackwardKeepsDenseGradients checks that Backward hands a Param the
// dense gradient the pass computed, as Grad returns it, with no copy:
// Backward must ask the allocator for no more buffers than Grad does on
// the same graph (it copied every Param's gradient once, because
// Contiguous wraps a dense gradient in a new Var).
func TestBackwardKeepsDenseGradients(t *testing.T) {
	be := device.MustOpen(device.CPUDevice)
	g := tensor.NewRNG(7)
	x := g.Normal(device.CPUDevice, device.Float32, 0, 1, 8, 5)
	w0 := g.Normal(device.CPUDevice, device.Float32, 0, 1, 3, 5)
	b0 := g.Normal(device.CPUDevice, device.Float32, 0, 1, 3)
	allocs := func(backward func(loss, w, b *ag.Var)) int64 {
		w, b := ag.Param(w0.Clone()), ag.Param(b0.Clone())
		loss := ag.Const(x).MatMul(w.T()).Add(b).Tanh().Sum(false)
		before := be.Memory().Allocs
		backward(loss, w, b)
		return be.Memory().Allocs - before
	}
	viaGrad := allocs(func(loss, w, b *ag.Var) { ag.Grad([]*ag.Var{loss}, []*ag.Var{w, b}, ag.GradOptions{}) })
	viaBackward := allocs(func(loss, w, b *ag.Var) { loss.Backward() })
	require.Equal(t, viaGrad, viaBackward, "Backward allocated more than Grad")
}
