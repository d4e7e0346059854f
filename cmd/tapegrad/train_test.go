package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
)

// The trainer's checkpoint metadata keys, as the tests name them.
const (
	metaEpoch   = nn.MetaEpoch
	metaStep    = nn.MetaStep
	metaHistory = nn.MetaHistory
)

// metaDropout is the key of the dropout generator's offset.
var metaDropout = nn.MetaRNG(dropoutRNG)

// needData skips a test when Fashion-MNIST is not installed.
func needData(t *testing.T) {
	t.Helper()
	if _, err := data.LoadMNIST(data.DefaultDir()); err != nil {
		t.Skipf("Fashion-MNIST not available (install Debian's dataset-fashion-mnist or set TAPEGRAD_DATA): %v", err)
	}
}

// readLog parses a run's log.json.
func readLog(t *testing.T, dir string) trainLog {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "log.json"))
	require.NoError(t, err)
	var l trainLog
	require.NoError(t, json.Unmarshal(b, &l))
	return l
}

// quick are the flags of a run small enough for a test.
var quick = []string{"--limit", "600", "--test-limit", "500", "--batch", "50", "--quiet", "--device", "cpu"}

func TestRunTrain(t *testing.T) {
	needData(t)
	out := t.TempDir()
	ck := filepath.Join(out, "ck.safetensors")
	var stdout bytes.Buffer
	require.NoError(t, runTrain(append([]string{"--epochs", "1", "--out", out, "--save", ck}, quick...), &stdout))
	t.Log(stdout.String())
	require.Contains(t, stdout.String(), "epoch  1/1")
	require.Contains(t, stdout.String(), "done: 1 epochs")

	l := readLog(t, out)
	require.Len(t, l.Epochs, 1)
	require.Equal(t, "mlp", l.Config.Model)
	require.Equal(t, "cpu", l.Device)
	e := l.Epochs[0]
	require.Equal(t, 12, e.Step)
	require.Greater(t, e.TrainLoss, 0.0)
	require.Greater(t, e.TestAcc, 0.3)
	require.Greater(t, e.SamplesPerSec, 0.0)

	png, err := os.ReadFile(filepath.Join(out, "curves.png"))
	require.NoError(t, err)
	require.Equal(t, []byte("\x89PNG\r\n\x1a\n"), png[:8])
	_, err = os.Stat(ck)
	require.NoError(t, err)
}

// A run interrupted after any step (here at the end of epoch 1 and in
// the middle of epoch 2) and resumed from its checkpoint continues the
// loss curve of an uninterrupted run exactly, with the settings taken from
// the checkpoint (here dropout, SGD, clipping and a cosine schedule
// planned for 2 epochs).
func TestRunTrainResume(t *testing.T) {
	needData(t)
	flags := append([]string{"--epochs", "2", "--optimizer", "sgd", "--lr", "0.05", "--dropout", "0.2", "--clip", "5"}, quick...)
	straight := t.TempDir()
	require.NoError(t, runTrain(append([]string{"--out", straight}, flags...), io.Discard))
	want := readLog(t, straight).Epochs

	for _, c := range []struct {
		stop int
		says string
	}{{12, "resumed after epoch 1 (step 12)"}, {17, "resumed in epoch 2 after batch 5 (step 17)"}} {
		first := t.TempDir()
		ck := filepath.Join(first, "ck.safetensors")
		cfg, opts, err := parseTrain(append([]string{"--out", first, "--save", ck}, flags...), io.Discard)
		require.NoError(t, err)
		r, err := newRun(cfg, opts, io.Discard)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		r.afterStep = func(s nn.StepEnd) {
			if s.Step == c.stop {
				cancel()
			}
		}
		var ie *interruptedError
		require.ErrorAs(t, r.loop(ctx), &ie)
		require.Contains(t, ie.Error(), "--resume "+ck)

		resumed := t.TempDir()
		var stdout bytes.Buffer
		require.NoError(t, runTrain([]string{"--resume", ck, "--out", resumed, "--quiet"}, &stdout))
		require.Contains(t, stdout.String(), c.says)
		got := readLog(t, resumed)
		require.Equal(t, "sgd", got.Config.Optimizer)
		require.Len(t, got.Epochs, 2)
		for i := range want {
			require.Equal(t, want[i].TrainLoss, got.Epochs[i].TrainLoss, "stop %d, epoch %d", c.stop, i+1)
			require.Equal(t, want[i].TestLoss, got.Epochs[i].TestLoss, "stop %d, epoch %d", c.stop, i+1)
			require.Equal(t, want[i].Step, got.Epochs[i].Step)
		}
	}
}

func TestTrainFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--model", "rnn"}, {"--optimizer", "lbfgs"}, {"--batch", "0"}, {"--lr", "-1"}, {"--dropout", "1"}, {"extra"},
	} {
		_, _, err := parseTrain(args, io.Discard)
		require.Error(t, err, "%v", args)
	}
	c, _, err := parseTrain(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, defaultTrainConfig(), c)
	require.Equal(t, "adam", c.Optimizer)
	require.Equal(t, 1e-3, c.LR)
	require.Equal(t, 128, c.Batch)
	require.Equal(t, 10, c.Epochs)
	_, _, err = parseTrain([]string{"--resume", filepath.Join(t.TempDir(), "absent")}, io.Discard)
	require.Error(t, err)
}
