package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

func TestSGD(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	cases := []device.SGDParams{
		{LR: 0.1},
		{LR: 0.05, WeightDecay: 0.01},
		{LR: 0.1, Momentum: 0.9},
		{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-3, Nesterov: true},
	}
	for _, dt := range floatTypes {
		for _, h := range cases {
			for _, n := range []int{1, 37, 5000} {
				t.Run(fmt.Sprintf("%v/%+v/%d", dt, h, n), func(t *testing.T) {
					p, g, m := randVals(r, dt, n), randVals(r, dt, n), randVals(r, dt, n)
					pb, gb := upload(t, dt, p), upload(t, dt, g)
					var mb device.Buffer
					if h.Momentum != 0 {
						mb = upload(t, dt, m)
					}
					require.NoError(t, shared.SGD(pb, gb, mb, n, h))
					for i := range p {
						gi := g[i] + h.WeightDecay*p[i]
						if h.Momentum != 0 {
							m[i] = h.Momentum*m[i] + gi
							if h.Nesterov {
								gi += h.Momentum * m[i]
							} else {
								gi = m[i]
							}
						}
						p[i] = roundTo(dt, p[i]-h.LR*gi)
						m[i] = roundTo(dt, m[i])
					}
					requireClose(t, p, download(t, pb), tol(dt))
					if mb != nil {
						requireClose(t, m, download(t, mb), tol(dt))
					}
				})
			}
		}
	}
	b := upload(t, device.Float32, []float64{1})
	require.ErrorContains(t, shared.SGD(b, b, nil, 1, device.SGDParams{LR: 1, Momentum: 0.5}), "nil buffer")
}

func TestAdam(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	cases := []device.AdamParams{
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1},
		{LR: 1e-2, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, Step: 7},
		{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, Step: 3},
	}
	for _, dt := range floatTypes {
		for _, h := range cases {
			for _, n := range []int{1, 37, 5000} {
				t.Run(fmt.Sprintf("%v/%+v/%d", dt, h, n), func(t *testing.T) {
					p, g, m, v := randVals(r, dt, n), randVals(r, dt, n), randVals(r, dt, n), randVals(r, dt, n)
					for i := range v {
						v[i] = math.Abs(v[i])
					}
					pb, gb, mb, vb := upload(t, dt, p), upload(t, dt, g), upload(t, dt, m), upload(t, dt, v)
					require.NoError(t, shared.Adam(pb, gb, mb, vb, n, h))
					c1, c2 := 1-math.Pow(h.Beta1, float64(h.Step)), 1-math.Pow(h.Beta2, float64(h.Step))
					for i := range p {
						gi := g[i]
						if h.Decoupled {
							p[i] *= 1 - h.LR*h.WeightDecay
						} else {
							gi += h.WeightDecay * p[i]
						}
						m[i] = h.Beta1*m[i] + (1-h.Beta1)*gi
						v[i] = h.Beta2*v[i] + (1-h.Beta2)*gi*gi
						p[i] = roundTo(dt, p[i]-h.LR*(m[i]/c1)/(math.Sqrt(v[i]/c2)+h.Eps))
						m[i], v[i] = roundTo(dt, m[i]), roundTo(dt, v[i])
					}
					requireClose(t, p, download(t, pb), tol(dt))
					requireClose(t, m, download(t, mb), tol(dt))
					requireClose(t, v, download(t, vb), tol(dt))
				})
			}
		}
	}
	b := upload(t, device.Float32, []float64{1})
	require.ErrorContains(t, shared.Adam(b, b, b, b, 1, device.AdamParams{LR: 1}), "step 0")
	i := upload(t, device.Int32, []float64{1})
	require.ErrorContains(t, shared.Adam(i, i, i, i, 1, device.AdamParams{LR: 1, Step: 1}), "int32")
}

// TestAdamF32Variants runs every float32 Adam kernel this machine has
// against the portable one, bit for bit, over random values mixed with the
// float32 edges (signed zeros, denormals, the largest finite, Inf, NaN),
// both weight-decay forms, and ranges that start and end off a vector.
func TestAdamF32Variants(t *testing.T) {
	gen := optimValues(newRand(t))
	hs := []device.AdamParams{
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1},
		{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, Step: 7},
		{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true, Step: 1000},
	}
	for _, k := range adamF32Kernels[:len(adamF32Kernels)-1] {
		for _, h := range hs {
			for _, span := range [][2]int{{0, 1}, {0, 8}, {3, 4}, {1, 17}, {5, 1000}, {0, 1031}} {
				t.Run(fmt.Sprintf("%s/%+v/%v", k.name, h, span), func(t *testing.T) {
					n := span[1] + 3
					p, g, m, v := gen(n, false), gen(n, false), gen(n, false), gen(n, true)
					wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
					c := newAdamConsts(h)
					goAdamF32.run(wp, g, wm, wv, span[0], span[1], &c)
					k.run(p, g, m, v, span[0], span[1], &c)
					requireSameBits(t, wp, p, "param")
					requireSameBits(t, wm, m, "m")
					requireSameBits(t, wv, v, "v")
				})
			}
		}
	}
}

// optimValues returns a generator of n random float32s mixed with the
// float32 edges (signed zeros, denormals, the largest finite, Inf, NaN),
// made non-negative when positive (Adam's v).
func optimValues(r *rand.Rand) func(n int, positive bool) []float32 {
	edges := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -3e-39, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, -1}
	return func(n int, positive bool) []float32 {
		xs := make([]float32, n)
		for i := range xs {
			if r.IntN(8) == 0 {
				xs[i] = edges[r.IntN(len(edges))]
			} else {
				xs[i] = float32(r.NormFloat64())
			}
			if positive {
				xs[i] = float32(math.Abs(float64(xs[i])))
			}
		}
		return xs
	}
}

// requireSameBits requires got to equal want bit for bit, any NaN
// matching any NaN.
func requireSameBits(t *testing.T, want, got []float32, what string) {
	t.Helper()
	for i, w := range want {
		if w != w && got[i] != got[i] {
			continue
		}
		require.Equal(t, math.Float32bits(w), math.Float32bits(got[i]), "%s element %d: want %v, got %v", what, i, w, got[i])
	}
}

// TestSGDF32Variants is TestAdamF32Variants for SGD: plain, with weight
// decay, with momentum and with Nesterov momentum.
func TestSGDF32Variants(t *testing.T) {
	gen := optimValues(newRand(t))
	hs := []device.SGDParams{
		{LR: 0.1},
		{LR: 0.05, WeightDecay: 0.01},
		{LR: 0.1, Momentum: 0.9},
		{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-3, Nesterov: true},
	}
	for _, k := range sgdF32Kernels[:len(sgdF32Kernels)-1] {
		for _, h := range hs {
			for _, span := range [][2]int{{0, 1}, {0, 8}, {3, 4}, {1, 17}, {5, 1000}, {0, 1031}} {
				t.Run(fmt.Sprintf("%s/%+v/%v", k.name, h, span), func(t *testing.T) {
					n := span[1] + 3
					p, g, m := gen(n, false), gen(n, false), gen(n, false)
					wp, wm := append([]float32(nil), p...), append([]float32(nil), m...)
					c := sgdConsts{wd: h.WeightDecay, mom: h.Momentum, lr: h.LR}
					if h.Momentum != 0 {
						c.mode = 1
						if h.Nesterov {
							c.mode = 2
						}
					}
					goSGDF32.run(wp, g, wm, span[0], span[1], &c)
					k.run(p, g, m, span[0], span[1], &c)
					requireSameBits(t, wp, p, "param")
					requireSameBits(t, wm, m, "momentum")
				})
			}
		}
	}
}
