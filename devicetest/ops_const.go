package devicetest

import (
	"math/rand/v2"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// constInputs returns the inputs of the forward-only cases: a [d0,1,d2]
// operand and a [d2,d1] one (transposed by the case, so the pair
// broadcasts to [d0,d1,d2]), drawn on the host from seed so that every
// device gets the same numbers. Values are multiples of 1/8 so that ties
// (for Eq, Le, Ge and ArgMax's first-of-ties rule) actually occur.
func constInputs(dev device.Device, dt device.DType, seed uint64) []*tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 0x636f6e73))
	dim := func() int { return 1 + r.IntN(5) }
	draw := func(shape ...int) *tensor.Tensor {
		h := make([]float64, device.Numel(shape))
		for i := range h {
			h[i] = float64(r.IntN(33)-16) / 8
		}
		return tensor.NewOn(dev, h, shape...).Cast(dt)
	}
	d0, d1, d2 := dim(), dim(), dim()
	return []*tensor.Tensor{draw(d0, 1, d2), draw(d2, d1)}
}

// constCase is a forward-only case of an op that carries no gradient.
func constCase(name string, f func(a, b *autograd.Var) *autograd.Var) autograd.Case {
	return autograd.Case{
		Name:   name,
		Inputs: constInputs,
		F: func(xs []*autograd.Var) *autograd.Var {
			return f(xs[0].Detach(), xs[1].T().Detach())
		},
	}
}

// constCases lists the ops without gradients, for Ops' forward checks.
func constCases() []autograd.Case {
	return []autograd.Case{
		constCase("Eq", (*autograd.Var).Eq),
		constCase("Ne", (*autograd.Var).Ne),
		constCase("Lt", (*autograd.Var).Lt),
		constCase("Le", (*autograd.Var).Le),
		constCase("Gt", (*autograd.Var).Gt),
		constCase("Ge", (*autograd.Var).Ge),
		constCase("ArgMax", func(a, b *autograd.Var) *autograd.Var { return b.ArgMax(0, false) }),
		constCase("ArgMin", func(a, b *autograd.Var) *autograd.Var { return a.Transpose(0, 2).ArgMin(-1, true) }),
		constCase("CastInt32", func(a, b *autograd.Var) *autograd.Var { return b.MulScalar(2.5).Cast(device.Int32) }),
	}
}
