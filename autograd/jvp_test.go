package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// checkJVPCases checks every registered op's JVP in float64 on dev:
// against central differences along a random direction and against its
// VJP (<J v, u> = <v, Jᵀ u>), first order and, with second, forward over
// reverse (the JVP of the gradient, so every VJP's ops carry tangents).
func checkJVPCases(t *testing.T, dev device.Device, rounds uint64, second bool) {
	seed := testSeed(t)
	for _, c := range autograd.Cases() {
		orders := []bool{false}
		if second {
			orders = append(orders, true)
		}
		for _, so := range orders {
			name := c.Name
			if so {
				name += "/second"
			}
			t.Run(name, func(t *testing.T) {
				for k := range rounds {
					xs := c.Inputs(dev, device.Float64, seed+k)
					opts := c.Options
					opts.Seed, opts.SecondOrder, opts.Forward = seed+k, so, true
					rep, err := autograd.Check(c.F, xs, opts)
					require.NoError(t, err)
					var shapes [][]int
					for _, x := range xs {
						shapes = append(shapes, x.Shape())
					}
					require.True(t, rep.Pass, "seed %d inputs %v: %v", seed+k, shapes, rep)
					require.True(t, rep.Forward)
					require.Positive(t, rep.Checked)
				}
			})
		}
	}
}

// TestCasesJVP checks every op's JVP on the CPU, first and second order.
func TestCasesJVP(t *testing.T) { checkJVPCases(t, device.CPUDevice, 3, true) }

// To has no case of its own (Cases run on one device): its tangent
// travels with the value, there and back.
func TestJVPThroughTo(t *testing.T) {
	if _, err := device.Open(device.CUDASimDevice); err != nil {
		t.Fatalf("cudasim: %v", err)
	}
	g := tensor.NewRNG(testSeed(t))
	x, v := g.Uniform(cpu, device.Float64, -1, 1, 5), g.Uniform(cpu, device.Float64, -1, 1, 5)
	f := func(xs []*autograd.Var) *autograd.Var { return xs[0].To(device.CUDASimDevice).Exp().To(cpu) }
	y, jv := autograd.JVP(f, []*autograd.Var{autograd.Const(x)}, []*autograd.Var{autograd.Const(v)})
	require.Equal(t, cpu, jv.Device())
	requireClose(t, x.Exp().Mul(v), jv.Value(), 1e-15, "tangent")
	requireClose(t, x.Exp(), y.Value(), 1e-15, "value")
}

// NoGrad stops recording, not forward mode: the tangent flows through a
// NoGrad evaluation (and builds no graph); Detach stops it.
func TestJVPThroughNoGradAndDetach(t *testing.T) {
	g := tensor.NewRNG(testSeed(t))
	x, v := g.Uniform(cpu, device.Float64, -1, 1, 4), g.Uniform(cpu, device.Float64, -1, 1, 4)
	xs, vs := []*autograd.Var{autograd.Param(x)}, []*autograd.Var{autograd.Const(v)}
	y, jv := autograd.JVP(func(xs []*autograd.Var) *autograd.Var { return autograd.NoGrad(xs[0]).Exp() }, xs, vs)
	requireClose(t, x.Exp().Mul(v), jv.Value(), 1e-15, "tangent under NoGrad")
	require.False(t, y.RequiresGrad())
	require.False(t, jv.RequiresGrad())
	_, jv = autograd.JVP(func(xs []*autograd.Var) *autograd.Var { return xs[0].Detach().Exp() }, xs, vs)
	requireClose(t, x.ZerosLike(), jv.Value(), 0, "tangent after Detach")
}
