package nn_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

var cpu = device.CPUDevice

// testSeed returns a fresh seed, logged so that a failure can be replayed.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return seed
}

// cfg64 returns a float64 CPU config drawing from seed, for gradient
// checks.
func cfg64(seed uint64) nn.Config {
	return nn.Config{Device: cpu, DType: device.Float64, RNG: tensor.NewRNG(seed)}
}

// randn returns standard normal float64 numbers of shape from rng.
func randn(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	return rng.Normal(cpu, device.Float64, 0, 1, shape...)
}

// gradCheck runs autograd.Check on f at inputs and requires a pass.
func gradCheck(t *testing.T, seed uint64, f func(xs []*autograd.Var) *autograd.Var, inputs ...*tensor.Tensor) {
	t.Helper()
	rep, err := autograd.Check(f, inputs, autograd.CheckOptions{Seed: seed})
	require.NoError(t, err)
	require.True(t, rep.Pass, "seed %d: %v", seed, rep)
	require.Positive(t, rep.Checked)
}

// requireClose compares float slices element by element within tol.
func requireClose(t *testing.T, want, got []float64, tol float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		require.InDelta(t, want[i], got[i], tol, "%s: element %d", msg, i)
	}
}
