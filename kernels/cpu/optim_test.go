package cpu

import (
	"fmt"
	"math"
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
