package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/bench"
)

// TestBenchWritesTableJSONAndChart runs two workloads at tiny sizes on two
// devices, then again against the first run's JSON as a baseline.
func TestBenchWritesTableJSONAndChart(t *testing.T) {
	dir := t.TempDir()
	first, png := filepath.Join(dir, "first.json"), filepath.Join(dir, "ratios.png")
	tiny := []string{"--scale", "tiny", "--sim-scale", "tiny", "--count", "1", "--min-time", "1ns", "--quiet",
		"--run", `^(gemm/n=256|overhead/add4)$`}
	var out bytes.Buffer
	require.NoError(t, runBench(append(tiny, "--device", "cpu,cudasim", "--json", first, "--png", png), &out))
	require.Contains(t, out.String(), "gemm/n=256")
	require.Contains(t, out.String(), "cudasim/cpu")
	rep, err := bench.ReadFile(first)
	require.NoError(t, err)
	require.Len(t, rep.Results, 4)
	require.NotEmpty(t, rep.Ceilings)
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("\x89PNG")), "not a PNG")

	out.Reset()
	require.NoError(t, runBench(append(tiny, "--device", "cpu", "--dtype", "f32,f64", "--baseline", first), &out))
	require.Contains(t, out.String(), "cpu/base")
	require.Contains(t, out.String(), "f64")
}

func TestBenchWritesCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	var out bytes.Buffer
	require.NoError(t, runBench([]string{"--scale", "tiny", "--count", "1", "--min-time", "1ns", "--quiet",
		"--device", "cpu", "--run", "^overhead/add4$", "--cpuprofile", prof}, &out))
	b, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte{0x1f, 0x8b}), "not a gzipped pprof profile")
}

func TestBenchListsWorkloads(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runBench([]string{"--list", "--run", "^train/"}, &out))
	require.Contains(t, out.String(), "train/cnn-adam")
	require.Contains(t, out.String(), "batch 64x1x28x28")
	require.NotContains(t, out.String(), "gemm/")
}

func TestBenchRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "x.json")
	require.NoError(t, os.WriteFile(notJSON, []byte("{"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "tpu"}, "unknown device"},
		{[]string{"--dtype", "f16"}, `unknown dtype "f16"`},
		{[]string{"--run", "("}, "--run"},
		{[]string{"--run", "no-such-workload"}, "matches no workload"},
		{[]string{"--count", "0"}, "--count 0"},
		{[]string{"--scale", "huge"}, `unknown scale "huge"`},
		{[]string{"--threads", "-1"}, "--threads -1"},
		{[]string{"--baseline", notJSON}, "not a bench report"},
		{[]string{"--device", "cpu", "--png", filepath.Join(dir, "c.png")}, "name two devices or a --baseline"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		err := runBench(c.args, &bytes.Buffer{})
		require.ErrorContains(t, err, c.want, "args %q", c.args)
	}
}
