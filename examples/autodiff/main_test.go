package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExamples runs every worked example and checks each value and
// gradient against the hand-derived (or micrograd's) figure.
func TestExamples(t *testing.T) {
	var out bytes.Buffer
	worst := run(&out)
	t.Log("\n" + out.String())
	require.LessOrEqual(t, worst, 1e-12)
}
