package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestXOR trains from a fresh seed and checks every output is on the
// right side of 0.5 by a margin.
func TestXOR(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	out := train(io.Discard, seed, 3000)
	want := []float64{0, 1, 1, 0}
	for i, p := range out {
		require.InDelta(t, want[i], p, 0.2, "input %d: output %.3f", i, p)
	}
}
