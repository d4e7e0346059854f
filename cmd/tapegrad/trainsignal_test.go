package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
)

// SIGINT stops a run after the step under way: the checkpoint (in --out
// without --save) and log.json are written, the error says how to resume
// and maps to status 130, and resuming finishes the run.
func TestTrainSIGINT(t *testing.T) {
	dataDir := synthData(t, 96, 32, 28, 28)
	out := t.TempDir()
	args := []string{"--data", dataDir, "--out", out, "--epochs", "2", "--batch", "16", "--quiet", "--device", "cpu"}
	cfg, opts, err := parseTrain(args, os.Stdout)
	require.NoError(t, err)
	var stdout bytes.Buffer
	r, err := newRun(cfg, opts, &stdout)
	require.NoError(t, err)
	r.afterStep = func(s nn.StepEnd) {
		if s.Step == 3 {
			require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
		}
	}
	ctx, stop := signalContext()
	defer stop()
	err = r.loop(ctx)
	var ie *interruptedError
	require.ErrorAs(t, err, &ie)
	ck := filepath.Join(out, "interrupted.safetensors")
	require.FileExists(t, ck)
	require.FileExists(t, filepath.Join(out, "log.json"))
	require.Contains(t, err.Error(), "tapegrad train --resume "+ck)

	var stderr bytes.Buffer
	status := runCommand(command{name: "train", run: func([]string, io.Writer) error { return err }}, nil, io.Discard, &stderr)
	require.Equal(t, exitInterrupted, status)
	require.Equal(t, 1, strings.Count(stderr.String(), "\n"))

	status, so, se := cli(t, "train", "--resume", ck, "--data", dataDir, "--out", t.TempDir(), "--quiet")
	require.Equal(t, 0, status, se)
	require.Contains(t, so, "done: 2 epochs")
}

// Without a terminal, progress lines show the step, the loss, the speed
// and the ETA; --mem-stats prints the allocator's counters; the header
// names the build and the layers.
func TestTrainProgressHeaderMemStats(t *testing.T) {
	dataDir := synthData(t, 64, 32, 28, 28)
	status, stdout, stderr := cli(t, "train", "--data", dataDir, "--out", t.TempDir(), "--epochs", "1", "--batch", "16",
		"--device", "cpu", "--progress", "1ns", "--mem-stats")
	require.Equal(t, 0, status, stderr)
	for _, want := range []string{"go1.", "device cpu", "precision fp32, seed 1", "fc1", "Linear", "[B, 256]", "200960",
		"step 1/4", "step 4/4", "samples/s  ETA", "memory: live", "cache hits"} {
		require.Contains(t, stdout, want)
	}
	require.NotContains(t, stdout, "Inf samples/s")
	require.Equal(t, 4, strings.Count(stdout, "  epoch 1/1  step"))

	status, _, stderr = cli(t, "train", "--progress", "-1s")
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "--progress")
}

func TestVersion(t *testing.T) {
	status, stdout, stderr := cli(t, "version")
	require.Equal(t, 0, status, stderr)
	require.True(t, strings.HasPrefix(stdout, "tapegrad "), stdout)
	require.Contains(t, stdout, "go1.")
	status, _, _ = cli(t, "version", "extra")
	require.Equal(t, 2, status)
	status, stdout, _ = cli(t, "version", "-h")
	require.Equal(t, 0, status)
	require.Contains(t, stdout, "usage: tapegrad version")
}
