package nn_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

// blobs returns n samples of 8 random features whose class (of 3) is the
// argmax of a fixed random projection: learnable, not trivial.
func blobs(t *testing.T, seed uint64, n int) (*nn.Loader, *nn.Loader) {
	t.Helper()
	rng := tensor.NewRNG(seed)
	x := rng.Normal(cpu, device.Float32, 0, 1, n, 8)
	w := rng.Normal(cpu, device.Float32, 0, 1, 8, 3)
	y := x.MatMul(w).ArgMax(1, false)
	ds, err := nn.NewTensorDataset(x, y)
	require.NoError(t, err)
	train, err := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 32, Shuffle: true, Seed: seed + 1, Device: cpu})
	require.NoError(t, err)
	eval, err := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 100, Device: cpu})
	require.NoError(t, err)
	return train, eval
}

// newTrainer builds a small MLP with dropout and Adam under a cosine
// schedule, and its trainer.
func newTrainer(seed uint64, steps int, o nn.TrainerOptions) (*nn.Trainer, *nn.Sequential) {
	c := nn.Config{Device: cpu, DType: device.Float32, RNG: tensor.NewRNG(seed)}
	drop := tensor.NewRNG(seed + 2)
	m := nn.NewSequential().Add("fc1", nn.NewLinear(c, 8, 16, true)).Add("relu", nn.ReLU()).
		Add("drop", nn.NewDropout(0.1, drop)).Add("fc2", nn.NewLinear(c, 16, 3, true))
	o.Schedule = nn.WarmupCosine{Base: 0.01, Warmup: 3, Total: steps}
	o.Clip = 1
	o.RNGs = []nn.NamedRNG{{Name: "dropout", RNG: drop}}
	return nn.NewTrainer(m, nn.NewAdam(m.Parameters(), nn.AdamDefaults(0.01)), o), m
}

// params returns the model's parameters as host slices.
func params(m nn.Module) [][]float32 {
	var out [][]float32
	for _, p := range m.Parameters() {
		out = append(out, p.Var.Value().Float32s())
	}
	return out
}

// stripTimes drops the timing fields, which differ run to run.
func stripTimes(h []nn.EpochStats) []nn.EpochStats {
	out := append([]nn.EpochStats(nil), h...)
	for i := range out {
		out[i].SamplesPerSec, out[i].Seconds = 0, 0
	}
	return out
}

// Fit learns, calls back after every step and epoch, writes the last and
// best checkpoints, and gives the same numbers for the same seed.
func TestTrainerFit(t *testing.T) {
	seed := testSeed(t)
	train, eval := blobs(t, seed, 320)
	dir := t.TempDir()
	steps, epochs := 0, 0
	metrics := []nn.Metric{{Name: "logit0-squared", Sum: func(out, _ *tensor.Tensor) *tensor.Tensor {
		c := out.Narrow(1, 0, 1)
		return c.Mul(c).Sum(false)
	}}}
	tr, m := newTrainer(seed, 40, nn.TrainerOptions{Epochs: 4, Metrics: metrics,
		Checkpoint: filepath.Join(dir, "last.safetensors"), BestCheckpoint: filepath.Join(dir, "best.safetensors"),
		OnStep:  func(s nn.StepEnd) error { steps++; require.Equal(t, steps, s.Step); return nil },
		OnEpoch: func(e nn.EpochStats) error { epochs++; require.Equal(t, epochs, e.Epoch); return nil }})
	require.NoError(t, tr.Fit(context.Background(), train, eval))
	h := tr.History()
	require.Equal(t, 40, steps)
	require.Equal(t, 4, epochs)
	require.Len(t, h, 4)
	require.Less(t, h[3].TrainLoss, h[0].TrainLoss)
	require.Greater(t, h[3].TestAcc, 0.6, "history %+v", h)
	require.Greater(t, h[3].TrainAcc, h[0].TrainAcc, "history %+v", h)
	require.LessOrEqual(t, h[3].TrainAcc, 1.0)
	require.Len(t, h[3].Metrics, 1)
	require.Greater(t, h[3].Metrics[0].Value, 0.0)

	// The best checkpoint holds the best epoch: loading it into a fresh
	// model evaluates to that epoch's numbers.
	best, ok := tr.Best()
	require.True(t, ok)
	fresh, fm := newTrainer(seed+9, 40, nn.TrainerOptions{Epochs: 4})
	_, err := fresh.Resume(filepath.Join(dir, "best.safetensors"))
	require.NoError(t, err)
	require.Equal(t, best.Epoch, fresh.Epoch())
	require.Equal(t, best.TestLoss, fresh.Evaluate(eval).Loss)
	_, err = fresh.Resume(filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err)
	require.Equal(t, params(m), params(fm))

	again, am := newTrainer(seed, 40, nn.TrainerOptions{Epochs: 4, Metrics: metrics})
	require.NoError(t, again.Fit(context.Background(), train, eval))
	require.Equal(t, stripTimes(h), stripTimes(again.History()))

	// Freeing each step's memory as it goes changes no number (and reads
	// nothing it freed: that would panic with ErrReleased).
	owned, om := newTrainer(seed, 40, nn.TrainerOptions{Epochs: 4, Metrics: metrics, ReleaseMemory: true})
	require.NoError(t, owned.Fit(context.Background(), train, eval))
	require.Equal(t, stripTimes(h), stripTimes(owned.History()))
	require.Equal(t, params(am), params(om))
}

// A run cancelled after any step, saved and resumed, ends with the
// numbers and weights of an uninterrupted run, to the bit: mid-epoch, at
// an epoch's end, and after the first step.
func TestTrainerCancelResume(t *testing.T) {
	seed := testSeed(t)
	train, eval := blobs(t, seed, 200) // 7 batches an epoch, the last of 8
	straight, sm := newTrainer(seed, 21, nn.TrainerOptions{Epochs: 3})
	require.NoError(t, straight.Fit(context.Background(), train, eval))
	for _, stop := range []int{1, 7, 10} {
		ck := filepath.Join(t.TempDir(), "ck.safetensors")
		ctx, cancel := context.WithCancel(context.Background())
		first, _ := newTrainer(seed, 21, nn.TrainerOptions{Epochs: 3, Checkpoint: ck,
			OnStep: func(s nn.StepEnd) error {
				if s.Step == stop {
					cancel()
				}
				return nil
			}})
		err := first.Fit(ctx, train, eval)
		require.ErrorIs(t, err, context.Canceled, "stop %d", stop)
		require.Equal(t, stop, first.Step())

		resumed, rm := newTrainer(seed, 21, nn.TrainerOptions{Epochs: 3, Checkpoint: ck})
		_, err = resumed.Resume(ck)
		require.NoError(t, err)
		require.Equal(t, stop, resumed.Step())
		require.NoError(t, resumed.Fit(context.Background(), train, eval))
		require.Equal(t, stripTimes(straight.History()), stripTimes(resumed.History()), "stop %d", stop)
		require.Equal(t, params(sm), params(rm), "stop %d", stop)
	}
}

// The right-classified count of an unfinished epoch is optional (older
// checkpoints lack it) but, when present, a count of at most the
// epoch's samples.
func TestParseTrainStateCorrect(t *testing.T) {
	meta := map[string]string{nn.MetaEpoch: "1", nn.MetaStep: "17", nn.MetaOptimSteps: "17",
		nn.MetaHistory: `[{"epoch":1,"step":12}]`, nn.MetaBatch: "5", nn.MetaPartialLoss: "12.5", nn.MetaPartialSamples: "100"}
	st, err := nn.ParseTrainState(meta, nil)
	require.NoError(t, err)
	require.Equal(t, 0, st.Correct)
	for _, c := range []struct {
		v    string
		want int
		ok   bool
	}{{"0", 0, true}, {"37", 37, true}, {"100", 100, true}, {"101", 0, false}, {"-1", 0, false}, {"3.5", 0, false}, {"", 0, false}} {
		meta[nn.MetaPartialCorrect] = c.v
		st, err := nn.ParseTrainState(meta, nil)
		if !c.ok {
			require.ErrorContains(t, err, nn.MetaPartialCorrect, "%q", c.v)
			continue
		}
		require.NoError(t, err, "%q", c.v)
		require.Equal(t, c.want, st.Correct)
	}
}

// BatchesFrom skips exactly the first batches of the epoch.
func TestBatchesFrom(t *testing.T) {
	seed := testSeed(t)
	train, _ := blobs(t, seed, 100)
	var all, tail [][]float32
	for x, _ := range train.Batches(3) {
		all = append(all, x.Float32s())
	}
	for x, _ := range train.BatchesFrom(3, 2) {
		tail = append(tail, x.Float32s())
	}
	require.Len(t, all, 4)
	require.Equal(t, all[2:], tail)
}

// Bad inputs to the data set and loader are errors, not panics later.
func TestTensorDatasetChecks(t *testing.T) {
	rng := tensor.NewRNG(testSeed(t))
	x := rng.Normal(cpu, device.Float32, 0, 1, 5, 2)
	_, err := nn.NewTensorDataset(x, rng.Normal(cpu, device.Float32, 0, 1, 4))
	require.ErrorContains(t, err, "first (sample) axis")
	_, err = nn.NewTensorDataset(x.Cast(device.Float64), rng.Normal(cpu, device.Float32, 0, 1, 5))
	require.ErrorContains(t, err, "float32 or int32")
	ds, err := nn.NewTensorDataset(x, rng.Normal(cpu, device.Float32, 0, 1, 5, 1))
	require.NoError(t, err)
	_, err = nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 0})
	require.Error(t, err)
}

// A step callback's error stops Fit and is returned.
func TestTrainerCallbackError(t *testing.T) {
	seed := testSeed(t)
	train, eval := blobs(t, seed, 64)
	stopErr := errors.New("enough")
	tr, _ := newTrainer(seed, 6, nn.TrainerOptions{Epochs: 3, OnStep: func(s nn.StepEnd) error {
		if s.Step == 3 {
			return stopErr
		}
		return nil
	}})
	require.ErrorIs(t, tr.Fit(context.Background(), train, eval), stopErr)
	require.Equal(t, 3, tr.Step())
}

// An IDX pair (here int16 inputs and uint8 labels, written by hand)
// becomes a data set whose batches hold the decoded values.
func TestIDXDataset(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 1))
	const n, d = 6, 3
	in := []byte{0, 0, data.TypeInt16, 2, 0, 0, 0, n, 0, 0, 0, d}
	want := make([]float32, n*d)
	for i := range want {
		v := int16(rng.IntN(2000) - 1000)
		want[i] = float32(v)
		in = binary.BigEndian.AppendUint16(in, uint16(v))
	}
	lab := []byte{0, 0, data.TypeUint8, 1, 0, 0, 0, n}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
		lab = append(lab, byte(labels[i]))
	}
	x, err := data.ReadIDX(bytes.NewReader(in))
	require.NoError(t, err)
	y, err := data.ReadIDX(bytes.NewReader(lab))
	require.NoError(t, err)
	ds, err := nn.NewIDXDataset(x, y)
	require.NoError(t, err)
	require.Equal(t, n, ds.Len())
	bx, by := ds.Batch(cpu, []int{4, 1})
	require.Equal(t, []int{2, d}, bx.Shape())
	require.Equal(t, append(append([]float32{}, want[4*d:5*d]...), want[d:2*d]...), bx.Float32s())
	require.Equal(t, []int32{labels[4], labels[1]}, by.Int32s())
	require.Equal(t, device.Int32, by.DType())
}

// Without an evaluation set the best epoch is the one of lowest training
// loss; with one, the highest accuracy, then the lowest loss.
func TestEpochStatsBetter(t *testing.T) {
	require.True(t, nn.EpochStats{TrainLoss: 1}.Better(nn.EpochStats{TrainLoss: 2}))
	require.True(t, nn.EpochStats{TestAcc: 0.9, TestLoss: 3}.Better(nn.EpochStats{TestAcc: 0.8, TestLoss: 1}))
	require.True(t, nn.EpochStats{TestAcc: 0.9, TestLoss: 1, TrainLoss: 9}.Better(nn.EpochStats{TestAcc: 0.9, TestLoss: 2}))
	require.False(t, nn.EpochStats{TestLoss: 1}.Better(nn.EpochStats{TestLoss: 1}))
}
