package cpu_test

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// trainRun trains a fresh FashionMLP (or FashionCNN) from seed for a few
// Adam steps on random batches, releasing each step's memory as
// TrainerOptions.ReleaseMemory does, so that every step after the first
// runs on arrays the cache hands back, and returns every parameter's bits
// and each step's loss.
func trainRun(seed uint64, cnn bool, batch, steps int) []uint32 {
	rng := tensor.NewRNG(seed)
	c := nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: rng}
	m, shape := nn.Module(nn.FashionMLP(c, 0, nil)), []int{batch, 784}
	if cnn {
		m, shape = nn.FashionCNN(c, 0, nil), []int{batch, 1, 28, 28}
	}
	o := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-2))
	var bits []uint32
	for range steps {
		x := rng.Normal(device.CPUDevice, device.Float32, 0, 1, shape...)
		y := rng.Uniform(device.CPUDevice, device.Float32, 0, 10, batch).Cast(device.Int32)
		loss := nn.CrossEntropy(m.Forward(autograd.Const(x)), y, 0)
		for _, p := range o.Params() {
			p.Var.ReleaseGrad()
		}
		autograd.Backward([]*autograd.Var{loss}, autograd.GradOptions{ReleaseValues: true})
		o.Step()
		bits = append(bits, math.Float32bits(float32(loss.Value().Item())))
	}
	for _, p := range m.Parameters() {
		for _, v := range p.Var.Value().Float32s() {
			bits = append(bits, math.Float32bits(v))
		}
	}
	return bits
}

// TestTrainingWithCacheBitIdentical trains the same models with the
// buffer cache off (every buffer a new zeroed slice), on, and on with
// every new or reused buffer poisoned with NaN, at GOMAXPROCS 1, 2 and 16:
// the parameters must agree to the bit. A kernel that read memory it had
// not written, or a buffer handed to two owners, would differ.
func TestTrainingWithCacheBitIdentical(t *testing.T) {
	seed := testSeed(t)
	for _, cnn := range []bool{false, true} {
		batch, steps := 16, 3
		if cnn {
			batch, steps = 2, 2
		}
		t.Run(fmt.Sprintf("cnn=%v", cnn), func(t *testing.T) {
			prevLimit := cpu.SetCacheLimit(0)
			defer cpu.SetCacheLimit(prevLimit)
			want := trainRun(seed, cnn, batch, steps)
			cpu.SetCacheLimit(-1)
			before := device.MustOpen(device.CPUDevice).Memory().CacheHits
			require.Equal(t, want, trainRun(seed, cnn, batch, steps), "cache on")
			require.Greater(t, device.MustOpen(device.CPUDevice).Memory().CacheHits, before, "the cache served")
			defer cpu.SetPoison(cpu.SetPoison(true))
			require.Equal(t, want, trainRun(seed, cnn, batch, steps), "poisoned")
			for _, procs := range []int{1, 2, 16} {
				prev := runtime.GOMAXPROCS(procs)
				got := trainRun(seed, cnn, batch, steps)
				runtime.GOMAXPROCS(prev)
				require.Equal(t, want, got, "GOMAXPROCS %d", procs)
			}
		})
	}
}

// TestCacheConcurrentTraining trains and evaluates models on several
// goroutines at once, all on the one CPU backend and its cache: each
// must get the results it gets alone (run under -race in CI).
func TestCacheConcurrentTraining(t *testing.T) {
	seed := testSeed(t)
	want := trainRun(seed, false, 8, 2)
	rng := tensor.NewRNG(seed + 1)
	c := nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: rng}
	eval := nn.FashionCNN(c, 0, nil)
	x := rng.Normal(device.CPUDevice, device.Float32, 0, 1, 2, 1, 28, 28)
	evalOnce := func() []float32 {
		return eval.Forward(autograd.NoGrad(autograd.Const(x))).Value().Float32s()
	}
	wantEval := evalOnce()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			if got := trainRun(seed, false, 8, 2); !equal(want, got) {
				t.Errorf("training goroutine %d differs from a run alone", g)
			}
		})
	}
	wg.Go(func() {
		for i := range 3 {
			if got := evalOnce(); !equal(f32bits(wantEval), f32bits(got)) {
				t.Errorf("evaluation %d differs from a run alone", i)
			}
		}
	})
	wg.Wait()
}

// testSeed returns a fresh seed, logged so that a failure can be replayed.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return seed
}

func f32bits(xs []float32) []uint32 {
	out := make([]uint32, len(xs))
	for i, x := range xs {
		out[i] = math.Float32bits(x)
	}
	return out
}

func equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
