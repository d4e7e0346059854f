package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDevicesListsCPUAndExplainsCUDA(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runDevices(nil, &out))
	require.Contains(t, out.String(), "cpu ")
	require.Contains(t, out.String(), "cuda")
	require.Error(t, runDevices([]string{"extra"}, &out))
}

func TestGradcheckPrintsTable(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runGradcheck([]string{"--device", "cpu", "--op", "matmul", "--seed", "3"}, &out))
	require.Contains(t, out.String(), "op")
	require.Contains(t, out.String(), "MatMul")
	require.Contains(t, out.String(), "pass")
	err := runGradcheck([]string{"--device", "cpu", "--op", "no-such-op"}, &out)
	require.ErrorContains(t, err, "no op matches")
	err = runGradcheck([]string{"--device", "tpu"}, &out)
	require.ErrorContains(t, err, "unknown device")
}
