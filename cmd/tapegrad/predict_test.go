package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPredict trains one epoch on synthetic data, then evaluates the
// checkpoint: a line per class, the accuracy agreeing with the run's last
// epoch, and a PNG.
func TestPredict(t *testing.T) {
	dataDir := synthData(t, 64, 40, 28, 28)
	out := t.TempDir()
	ckpt := filepath.Join(out, "ck.safetensors")
	status, _, stderr := cli(t, append(tiny(dataDir, out), "--save", ckpt)...)
	require.Equal(t, 0, status, stderr)
	png := filepath.Join(t.TempDir(), "confusion.png")

	status, stdout, stderr := cli(t, "predict", "--checkpoint", ckpt, "--data", dataDir, "--device", "cpu", "--png", png)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "40 test samples")
	for _, c := range fashionClasses {
		require.Contains(t, stdout, c)
	}
	log := readLog(t, out)
	acc := log.Epochs[len(log.Epochs)-1].TestAcc
	require.Contains(t, stdout, strings.TrimSpace(formatPercent(acc)))
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	require.Equal(t, "\x89PNG", string(b[:4]))
}

// TestPredictErrors: no checkpoint is a usage error; a file without
// tapegrad's settings, or missing, is one line and status 1.
func TestPredictErrors(t *testing.T) {
	status, _, stderr := cli(t, "predict")
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "--checkpoint is required")

	status, _, stderr = cli(t, "predict", "--checkpoint", filepath.Join(t.TempDir(), "absent.safetensors"))
	require.Equal(t, 1, status)
	requireOneLine(t, stderr, nil)

	junk := filepath.Join(t.TempDir(), "weights.safetensors")
	require.NoError(t, os.WriteFile(junk, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "), 0o644))
	status, _, stderr = cli(t, "predict", "--checkpoint", junk)
	require.Equal(t, 1, status)
	requireOneLine(t, stderr, nil)
	require.Contains(t, stderr, "tapegrad.config")
}
