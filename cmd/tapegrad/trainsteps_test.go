package main

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepsLog checks steps.jsonl: one line per optimizer step, in order,
// with the learning rate, a finite loss and the batch's accuracy read
// from the device; and that curves.png is drawn from it.
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
		require.Equal(t, 4, r.Batches)
		require.NotNil(t, r.Acc, "line %d: %s", i, l)
		require.True(t, *r.Acc >= 0 && *r.Acc <= 1 && *r.Acc*16 == math.Round(*r.Acc*16), "line %d: %s", i, l)
		require.Positive(t, r.LR)
		require.False(t, math.IsNaN(r.Loss) || r.Loss <= 0, "line %d: %s", i, l)
	}
	f, err := os.Open(filepath.Join(out, "curves.png"))
	require.NoError(t, err)
	defer f.Close()
	_, err = png.Decode(f)
	require.NoError(t, err)
}
