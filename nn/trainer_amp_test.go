package nn_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
)

// TestTrainerMixedPrecision fits the same model from the same seed in
// float32, under bfloat16 autocast, and under float16 autocast with a
// loss scaler whose first scale is so large that the float16-rounded
// gradients overflow: the scaler skips those steps and backs off, and
// every run learns the task, bfloat16 to about the float32 run's accuracy.
func TestTrainerMixedPrecision(t *testing.T) {
	seed := testSeed(t)
	train, eval := blobs(t, seed, 320)
	fit := func(o nn.TrainerOptions) nn.EpochStats {
		o.Epochs = 8
		tr, m := newTrainer(seed, 80, o)
		require.NoError(t, tr.Fit(context.Background(), train, eval))
		for _, p := range m.Parameters() {
			require.Equal(t, device.Float32, p.Var.Value().DType(), "master weight %s", p.Name)
		}
		return tr.History()[7]
	}
	f32 := fit(nn.TrainerOptions{})
	bf16 := fit(nn.TrainerOptions{Autocast: device.BFloat16})
	scaler := nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1 << 26, GrowthInterval: 20})
	f16 := fit(nn.TrainerOptions{Autocast: device.Float16, Scaler: scaler})
	t.Logf("test accuracy: float32 %.3f, bfloat16 %.3f, float16 %.3f", f32.TestAcc, bf16.TestAcc, f16.TestAcc)
	require.Greater(t, f32.TestAcc, 0.7)
	require.InDelta(t, f32.TestAcc, bf16.TestAcc, 0.05)
	// The float16 run lost its first steps to the scale search (a few of
	// 80), so it only has to have learned.
	require.Greater(t, f16.TestAcc, 0.6)
	require.NotEqual(t, f32.TrainLoss, bf16.TrainLoss, "bfloat16 autocast computed what float32 did")
	skipped := scaler.Skipped().Item()
	scale, _ := scaler.State()
	t.Logf("float16: %v steps skipped, scale now %v", skipped, scale)
	require.Positive(t, skipped)
	require.Less(t, skipped, 20.0)
	require.Less(t, scale, float64(1<<26))
}

// TestTrainerScalerResume checks that a checkpoint keeps the scaler's
// state: a float16 run cancelled mid-epoch and resumed ends with the
// numbers and weights of an uninterrupted one.
func TestTrainerScalerResume(t *testing.T) {
	seed := testSeed(t)
	train, eval := blobs(t, seed, 200)
	opts := func() nn.TrainerOptions {
		return nn.TrainerOptions{Epochs: 2, Autocast: device.Float16,
			Scaler: nn.NewGradScaler(nn.GradScalerOptions{InitScale: 1 << 22, GrowthInterval: 3})}
	}
	straight, sm := newTrainer(seed, 14, opts())
	require.NoError(t, straight.Fit(context.Background(), train, eval))

	ck := filepath.Join(t.TempDir(), "ck.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	o := opts()
	o.Checkpoint = ck
	o.OnStep = func(s nn.StepEnd) error {
		if s.Step == 9 {
			cancel()
		}
		return nil
	}
	first, _ := newTrainer(seed, 14, o)
	require.ErrorIs(t, first.Fit(ctx, train, eval), context.Canceled)
	wantScale, wantTracker := o.Scaler.State()

	o = opts()
	resumed, rm := newTrainer(seed, 14, o)
	_, err := resumed.Resume(ck)
	require.NoError(t, err)
	scale, tracker := o.Scaler.State()
	require.Equal(t, wantScale, scale)
	require.Equal(t, wantTracker, tracker)
	require.NoError(t, resumed.Fit(context.Background(), train, eval))
	require.Equal(t, stripTimes(straight.History()), stripTimes(resumed.History()))
	require.Equal(t, params(sm), params(rm))
}
