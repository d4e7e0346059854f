package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// gradcheck reports each op's JVP beside its VJP: the JVP's error
// against central differences and against the VJP, one row per op.
func TestGradcheckReportsJVP(t *testing.T) {
	status, stdout, stderr := cli(t, "gradcheck", "--device", "cpu", "--seed", "7", "--op", "softmax")
	require.Equal(t, 0, status, "stderr %q", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Contains(t, lines[1], "jvp rel err")
	require.Contains(t, lines[1], "jvp-vjp err")
	var rows int
	for _, l := range lines[2 : len(lines)-1] {
		f := strings.Fields(l)
		require.Equal(t, "pass", f[len(f)-1], "row %q", l)
		require.Contains(t, strings.ToLower(f[0]), "softmax")
		rows++
	}
	require.Equal(t, 5, rows, "Softmax, LogSoftmax, SoftmaxRank0 and the two backward ops")
	require.Contains(t, lines[len(lines)-1], "5 of 5 ops pass")
}
