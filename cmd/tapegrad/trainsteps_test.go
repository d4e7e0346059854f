package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepsLog checks steps.jsonl: one line per optimizer step, in order,
// with the learning rate and a finite loss read from the device.
func TestStepsLog(t *testing.T) {
	dataDir := synthData(t, 64, 16, 28, 28)
	out := t.TempDir()
	status, _, stderr := cli(t, append(tiny(dataDir, out), "--epochs", "2")...)
	require.Equal(t, 0, status, stderr)
	b, err := os.ReadFile(filepath.Join(out, "steps.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 8, "64 samples in batches of 16, two epochs")
	for i, l := range lines {
		var r stepRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		require.Equal(t, i+1, r.Step)
		require.Equal(t, i/4+1, r.Epoch)
		require.Equal(t, i%4+1, r.Batch)
		require.Positive(t, r.LR)
		require.False(t, math.IsNaN(r.Loss) || r.Loss <= 0, "line %d: %s", i, l)
	}
}
