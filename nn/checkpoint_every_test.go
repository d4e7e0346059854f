package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestSequentialCheckpointEvery checks that a 12-layer Sequential with
// dropout gives bit-identical losses and gradients over three training
// steps with and without checkpointing every 5 layers (an uneven last
// group), and that the dropout generator ends in the same place.
func TestSequentialCheckpointEvery(t *testing.T) {
	seed := testSeed(t)
	run := func(k int) ([]float32, [][]float32, uint64) {
		rng := tensor.NewRNG(seed + 1)
		c := nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: tensor.NewRNG(seed)}
		s := nn.NewSequential()
		for i := range 4 {
			s.Add("fc"+string(rune('a'+i)), nn.NewLinear(c, 16, 16, true))
			s.Add("act"+string(rune('a'+i)), nn.ReLU())
			s.Add("drop"+string(rune('a'+i)), nn.NewDropout(0.2, rng))
		}
		s.CheckpointEvery(k)
		x := tensor.NewRNG(seed+2).Normal(device.CPUDevice, device.Float32, 0, 1, 8, 16)
		var losses []float32
		var grads [][]float32
		for range 3 {
			for _, p := range s.Parameters() {
				p.Var.ZeroGrad()
			}
			y := s.Forward(autograd.Const(x))
			loss := y.Mul(y).Sum(false)
			loss.Backward()
			losses = append(losses, loss.Value().Float32s()[0])
			for _, p := range s.Parameters() {
				grads = append(grads, p.Var.Grad().Float32s())
			}
		}
		return losses, grads, rng.Offset()
	}
	l0, g0, o0 := run(0)
	l5, g5, o5 := run(5)
	require.Equal(t, o0, o5, "dropout generator offset")
	for i := range l0 {
		require.Equal(t, math.Float32bits(l0[i]), math.Float32bits(l5[i]), "loss of step %d", i)
	}
	require.Len(t, g5, len(g0))
	for i := range g0 {
		for j := range g0[i] {
			if math.Float32bits(g0[i][j]) != math.Float32bits(g5[i][j]) {
				t.Fatalf("gradient %d element %d: %g without checkpointing, %g with", i, j, g0[i][j], g5[i][j])
			}
		}
	}
}
