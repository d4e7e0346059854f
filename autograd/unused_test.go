package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// One rule for every path, in Backward and Grad alike: an input that a
// chain of recorded ops connects to the output gets a gradient tensor,
// zeros when none flows; one that no such chain reaches gets nil.
func TestGradientNilOrZeros(t *testing.T) {
	seed := testSeed(t)
	rng := tensor.NewRNG(seed)
	for _, c := range []struct {
		name string
		// f builds a scalar output from the Param under test, x, and a
		// Param w that it always uses.
		f    func(x, w *ag.Var) *ag.Var
		used bool
	}{
		{"unused", func(x, w *ag.Var) *ag.Var { return w.Sum(false) }, false},
		{"argmax", func(x, w *ag.Var) *ag.Var {
			return w.IndexSelect(0, x.ArgMax(0, false).Value().Reshape(1)).Sum(false)
		}, false},
		{"comparison", func(x, w *ag.Var) *ag.Var { return w.Mul(x.GtScalar(0)).Sum(false) }, false},
		{"detach", func(x, w *ag.Var) *ag.Var { return w.Mul(x.Detach()).Sum(false) }, false},
		{"times zero", func(x, w *ag.Var) *ag.Var { return w.Add(x.MulScalar(0)).Sum(false) }, true},
		{"power zero", func(x, w *ag.Var) *ag.Var { return w.Mul(x.Pow(0)).Sum(false) }, true},
		{"relu grad input", func(x, w *ag.Var) *ag.Var { return ag.ReLUGrad(x, w).Sum(false) }, true},
		{"where condition", func(x, w *ag.Var) *ag.Var { return ag.Where(x, w, w.Neg()).Sum(false) }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, create := range []bool{false, true} {
				x := ag.Param(rng.Normal(cpu, device.Float64, 0, 1, 4))
				w := ag.Param(rng.Normal(cpu, device.Float64, 0, 1, 4))
				opts := ag.GradOptions{CreateGraph: create}

				c.f(x, w).Backward()
				require.NotNil(t, w.Grad())
				if c.used {
					require.NotNil(t, x.Grad(), "Backward")
					require.Equal(t, make([]float64, 4), x.Grad().Float64s(), "Backward")
				} else {
					require.Nil(t, x.Grad(), "Backward")
				}
				ag.Backward([]*ag.Var{c.f(x, w)}, opts)
				if c.used {
					require.Equal(t, make([]float64, 4), x.Grad().Float64s(), "second Backward")
				} else {
					require.Nil(t, x.Grad(), "second Backward")
				}

				if !c.used {
					te := tensorError(t, func() { ag.Grad([]*ag.Var{c.f(x, w)}, []*ag.Var{x, w}, opts) })
					require.Contains(t, te.Error(), "input 0 is not used")
				}
				opts.AllowUnused = true
				gs := ag.Grad([]*ag.Var{c.f(x, w)}, []*ag.Var{x, w}, opts)
				require.NotNil(t, gs[1])
				if c.used {
					require.NotNil(t, gs[0], "Grad")
					require.Equal(t, make([]float64, 4), gs[0].Value().Float64s(), "Grad")
				} else {
					require.Nil(t, gs[0], "Grad")
				}
			}
		})
	}
}
