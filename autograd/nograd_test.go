package autograd_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	ag "github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// mlp is a two-layer perceptron of its own Params, one per goroutine.
type mlp struct{ w1, b1, w2, b2 *ag.Var }

func newMLP(g *tensor.RNG) *mlp {
	p := func(shape ...int) *ag.Var { return ag.Param(g.Normal(cpu, device.Float32, 0, 0.3, shape...)) }
	return &mlp{p(8, 16), p(16), p(16, 4), p(4)}
}

func (m *mlp) params() []*ag.Var { return []*ag.Var{m.w1, m.b1, m.w2, m.b2} }

func (m *mlp) forward(x *ag.Var) *ag.Var {
	return x.MatMul(m.w1).Add(m.b1).Tanh().MatMul(m.w2).Add(m.b2)
}

// One goroutine trains its model while another evaluates its own without
// recording, concurrently (run with -race): every training step records
// a graph and gives every parameter a gradient, and no evaluation
// forward pass records one.
func TestNoGradConcurrentTrainAndEval(t *testing.T) {
	seed := testSeed(t)
	g := tensor.NewRNG(seed)
	train, eval := newMLP(g), newMLP(g)
	x := ag.Const(g.Normal(cpu, device.Float32, 0, 1, 32, 8))
	target := ag.Const(g.Normal(cpu, device.Float32, 0, 1, 32, 4))
	const steps = 200
	var stop sync.WaitGroup
	done := make(chan struct{})
	evals := 0
	recorded := false
	stop.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			y := eval.forward(ag.NoGrad(x))
			if y.RequiresGrad() || !y.IsNoGrad() {
				recorded = true
				return
			}
			evals++
		}
	})
	for step := range steps {
		loss := train.forward(x).Sub(target).Pow(2).Mean(false)
		require.True(t, loss.RequiresGrad(), "step %d recorded no graph", step)
		ag.ZeroGrad(train.params()...)
		loss.Backward()
		for i, p := range train.params() {
			require.NotNil(t, p.Grad(), "step %d: parameter %d got no gradient", step, i)
			tensor.SGDStep(p.Value(), p.Grad(), nil, device.SGDParams{LR: 0.01})
		}
	}
	close(done)
	stop.Wait()
	require.False(t, recorded, "an evaluation forward pass recorded a graph")
	t.Logf("%d training steps, %d evaluations", steps, evals)
}
