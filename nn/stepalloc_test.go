//go:build !race

package nn_test

import (
	"runtime"
	"testing"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// releasingStep returns one training step of the Fashion-MNIST MLP
// (784-256-128-10, batch 128) or CNN (batch 64) with Adam, on a fixed
// random batch, releasing its memory as TrainerOptions.ReleaseMemory
// does.
func releasingStep(seed uint64, cnn bool) func() {
	rng := tensor.NewRNG(seed)
	c := nn.Config{Device: cpu, DType: device.Float32, RNG: rng}
	m, shape := nn.Module(nn.FashionMLP(c, 0, nil)), []int{128, 784}
	if cnn {
		m, shape = nn.FashionCNN(c, 0, nil), []int{64, 1, 28, 28}
	}
	x := rng.Normal(cpu, device.Float32, 0, 1, shape...)
	labels := rng.Uniform(cpu, device.Float32, 0, 10, shape[0]).Cast(device.Int32)
	o := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-3))
	return func() {
		loss := nn.CrossEntropy(m.Forward(autograd.Const(x)), labels, 0)
		for _, p := range o.Params() {
			p.Var.ReleaseGrad()
		}
		autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{ReleaseValues: true})
		o.Step()
	}
}

// heapPerRun returns the Go heap bytes and objects f allocates per run,
// averaged over runs and the least of rounds such averages: TotalAlloc
// and Mallocs count every allocation whether or not a collection ran, and
// the least round discards one that refilled a sync.Pool a collection
// had emptied.
func heapPerRun(rounds, runs int, f func()) (bytes, objects float64) {
	bytes, objects = -1, -1
	for range rounds {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		for range runs {
			f()
		}
		runtime.ReadMemStats(&b)
		by := float64(b.TotalAlloc-a.TotalAlloc) / float64(runs)
		ob := float64(b.Mallocs-a.Mallocs) / float64(runs)
		if bytes < 0 || by < bytes {
			bytes, objects = by, ob
		}
	}
	return bytes, objects
}

// TestStepAllocationBudget holds issue 9's targets: after warm-up, a
// releasing training step allocates under 0.5 MB of Go heap for the MLP
// and under 5 MB for the CNN (3 MB and 95 MB before the CPU backend
// cached freed buffers; about 0.05 MB and 0.2 MB since).
func TestStepAllocationBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		cnn    bool
		runs   int
		budget float64
	}{
		{"mlp", false, 4, 0.5e6},
		{"cnn", true, 2, 5e6},
	} {
		t.Run(c.name, func(t *testing.T) {
			step := releasingStep(testSeed(t), c.cnn)
			for range 2 {
				step()
			}
			bytes, objects := heapPerRun(2, c.runs, step)
			t.Logf("%s step: %.0f bytes, %.0f allocations", c.name, bytes, objects)
			if bytes >= c.budget {
				t.Errorf("%s step allocates %.0f bytes of Go heap, over its budget of %.0f", c.name, bytes, c.budget)
			}
		})
	}
}
