package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFit checks that gradient descent lands on the least-squares
// solution, and that it is near the true line.
func TestFit(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	w, b, lw, lb := fit(io.Discard, seed, 200, 300)
	require.InDelta(t, lw, w, 1e-6)
	require.InDelta(t, lb, b, 1e-6)
	require.InDelta(t, 3, w, 0.1)
	require.InDelta(t, -2, b, 0.1)
}
