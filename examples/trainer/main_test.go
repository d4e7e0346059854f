package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The example learns the spirals (a linear model cannot: about 1/3) in a
// second or two, and resuming from its last checkpoint continues the run.
func TestTrainerExample(t *testing.T) {
	var out bytes.Buffer
	o := options{Epochs: 25, Samples: 100, Seed: 3, Device: "cpu", Out: t.TempDir()}
	tr, err := train(context.Background(), &out, o)
	require.NoError(t, err, out.String())
	t.Log(out.String())
	best, ok := tr.Best()
	require.True(t, ok)
	require.Greater(t, best.TestAcc, 0.8)
	require.Contains(t, out.String(), "best accuracy")

	o.Epochs, o.Resume = 27, o.Out+"/last.safetensors"
	tr, err = train(context.Background(), &out, o)
	require.NoError(t, err)
	require.Equal(t, 27, tr.Epoch())
}
