package cuda_test

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/devicetest"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestOpsConformance runs every autograd op forward and backward on
// cudasim against the CPU reference, BFloat16 and Float16 included
// (halfConformance).
func TestOpsConformance(t *testing.T) {
	devicetest.Ops(t, device.CUDASimDevice, halfConformance()...)
}

// mlp is a two-layer perceptron trained with Adam, written with the tape
// and the fused optimizer step only, so the test covers exactly the
// kernels a training loop launches.
type mlp struct {
	params []*autograd.Var
	m, v   []*tensor.Tensor
	step   int
	// release: Backward with ReleaseValues and ReleaseGrad after the
	// update, as a loop that owns its step does.
	release bool
}

func newMLP(dev device.Device, seed uint64, in, hidden, out int) *mlp {
	g := tensor.NewRNG(seed)
	shapes := [][]int{{in, hidden}, {hidden}, {hidden, out}, {out}}
	n := &mlp{}
	for _, s := range shapes {
		bound := 1 / math.Sqrt(float64(s[0]))
		p := autograd.Param(g.Uniform(dev, device.Float32, -bound, bound, s...))
		n.params = append(n.params, p)
		n.m = append(n.m, p.Value().ZerosLike())
		n.v = append(n.v, p.Value().ZerosLike())
	}
	return n
}

// trainStep runs forward, Backward and one Adam update; it returns the
// loss Var.
func (n *mlp) trainStep(x, labels *tensor.Tensor) *autograd.Var {
	h := autograd.Const(x).MatMul(n.params[0]).Add(n.params[1]).ReLU()
	logits := h.MatMul(n.params[2]).Add(n.params[3])
	loss := autograd.CrossEntropy(logits, labels, 0).Mean(false)
	autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{ReleaseValues: n.release})
	n.step++
	for i, p := range n.params {
		tensor.AdamStep(p.Value(), p.Grad(), n.m[i], n.v[i], device.AdamParams{
			LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: n.step})
		if n.release {
			p.ReleaseGrad()
		} else {
			p.ZeroGrad()
		}
	}
	return loss
}

// batches returns a fixed synthetic classification task: labels are the
// argmax of a random linear map of the inputs, so an MLP can learn it.
func batches(seed uint64, count, batch, in, classes int) (xs []*tensor.Tensor, ys []*tensor.Tensor) {
	g := tensor.NewRNG(seed)
	w := g.Normal(device.CPUDevice, device.Float32, 0, 1, in, classes)
	for i := 0; i < count; i++ {
		x := g.Normal(device.CPUDevice, device.Float32, 0, 1, batch, in)
		xs = append(xs, x)
		ys = append(ys, x.MatMul(w).ArgMax(1, false))
	}
	return xs, ys
}

// TestMLPMatchesCPU trains the same MLP from the same seed on cudasim and
// on the CPU: the loss curves agree step by step within float32 noise,
// and the loss falls.
func TestMLPMatchesCPU(t *testing.T) {
	steps := 200
	if testing.Short() || raceEnabled {
		steps = 40 // the race pass checks concurrency, not the curve's length
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	xs, ys := batches(seed, 8, 32, 12, 4)
	curve := func(dev device.Device) []float64 {
		n := newMLP(dev, seed, 12, 24, 4)
		var losses []float64
		for s := 0; s < steps; s++ {
			losses = append(losses, n.trainStep(xs[s%len(xs)].To(dev), ys[s%len(ys)].To(dev)).Value().Item())
		}
		return losses
	}
	cpu, sim := curve(device.CPUDevice), curve(device.CUDASimDevice)
	for s := range cpu {
		// Adam amplifies rounding differences slowly; allow more drift late.
		tol := 1e-4 + 2e-3*float64(s)/float64(steps)
		require.InDelta(t, cpu[s], sim[s], tol*math.Max(1, cpu[s]), "step %d", s)
	}
	require.Less(t, sim[steps-1], 0.6*sim[0], "loss did not fall: %.4f -> %.4f", sim[0], sim[steps-1])
}

// TestTrainingLoopDoesNotLeak checks that device memory held after each
// training step (once the garbage collector has returned dead tensors)
// stays at one level, even while the caller keeps every step's loss Var,
// as a loop that logs losses does: Backward releases what the tape saved,
// so a held loss pins its scalar and nothing of the step's activations
// (the hidden layer alone is 64 KiB a step here).
func TestTrainingLoopDoesNotLeak(t *testing.T) {
	dev := device.CUDASimDevice
	be := device.MustOpen(dev)
	xs, ys := batches(1, 1, 64, 10, 3)
	n := newMLP(dev, 2, 10, 256, 3)
	x, y := xs[0].To(dev), ys[0].To(dev)
	// Finalizers run on their own goroutine after a collection, so wait
	// until the counter holds still.
	live := func() int64 {
		require.NoError(t, be.Sync())
		prev := int64(-1)
		for i := 0; i < 50; i++ {
			runtime.GC()
			time.Sleep(time.Millisecond)
			cur := be.Memory().Live
			if cur == prev {
				return cur
			}
			prev = cur
		}
		return prev
	}
	n.trainStep(x, y)
	base := live()
	flat := 20
	if raceEnabled {
		flat = 5 // each live() is collections under the race detector: slow
	}
	for s := 0; s < flat; s++ {
		n.trainStep(x, y)
		require.Equal(t, base, live(), "live device bytes changed at step %d", s)
	}
	var held []*autograd.Var
	before := live()
	const steps = 10
	for s := 0; s < steps; s++ {
		held = append(held, n.trainStep(x, y))
	}
	grown := live() - before
	require.LessOrEqual(t, grown, int64(steps*1024),
		"holding %d loss Vars pinned %d device bytes: the tape kept saved tensors", steps, grown)
	require.Len(t, held, steps)
	require.Positive(t, base)
	require.GreaterOrEqual(t, be.Memory().Peak, base)
}
