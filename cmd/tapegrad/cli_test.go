package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// synthData writes an MNIST-format data set of random rows x cols images
// (train and test samples) into a new directory and returns it.
func synthData(t *testing.T, train, test, rows, cols int) string {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("data seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", train}, {"t10k", test}} {
		img := idx(3, []int{s.n, rows, cols})
		for range s.n * rows * cols {
			img = append(img, byte(rng.Uint32()))
		}
		lab := idx(1, []int{s.n})
		for range s.n {
			lab = append(lab, byte(rng.IntN(10)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.prefix+"-images-idx3-ubyte"), img, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.prefix+"-labels-idx1-ubyte"), lab, 0o644))
	}
	return dir
}

// idx returns the header of an unsigned-byte IDX file of dims.
func idx(rank int, dims []int) []byte {
	b := []byte{0, 0, 0x08, byte(rank)}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return b
}

// cli runs the command line and returns its exit status, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := runMain(args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

// requireOneLine checks that stderr is a single line with no Go stack.
func requireOneLine(t *testing.T, stderr string, args []string) {
	t.Helper()
	require.Equal(t, 1, strings.Count(stderr, "\n"), "args %q: stderr %q", args, stderr)
	require.True(t, strings.HasSuffix(stderr, "\n"), "args %q", args)
	require.NotContains(t, stderr, "goroutine", "args %q", args)
}

func TestHelpPrintsUsageAndExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {},
		{"devices", "--help"}, {"devices", "-h"}, {"help", "devices"},
		{"gradcheck", "--help"}, {"gradcheck", "-h"},
		{"train", "--help"}, {"train", "-h"}, {"help", "train"},
		{"bench", "--help"}, {"bench", "-h"},
	} {
		status, stdout, stderr := cli(t, args...)
		require.Equal(t, 0, status, "args %q: stderr %q", args, stderr)
		require.Empty(t, stderr, "args %q", args)
		require.Contains(t, stdout, "usage: tapegrad", "args %q", args)
		require.Contains(t, stdout, "Exit status: 0", "args %q", args)
	}
	// gradcheck's usage is the same on every call: no random default seed.
	_, first, _ := cli(t, "gradcheck", "-h")
	_, second, _ := cli(t, "gradcheck", "-h")
	require.Equal(t, first, second)
	require.Contains(t, first, "-seed")
	require.Contains(t, first, "-second-order")
}

// Every bad flag value is refused before any work (--data points nowhere,
// so a run that started loading would fail differently), with exit status
// 2 and one line naming the flag and the value.
func TestBadFlagsAreUsageErrors(t *testing.T) {
	nowhere := []string{"--data", filepath.Join(t.TempDir(), "absent")}
	for _, c := range []struct {
		args []string
		want []string // each must appear in the message
	}{
		{[]string{"train", "--dropout", "nan"}, []string{"--dropout", "NaN"}},
		{[]string{"train", "--clip", "nan"}, []string{"--clip", "NaN"}},
		{[]string{"train", "--label-smoothing", "nan"}, []string{"--label-smoothing", "NaN"}},
		{[]string{"train", "--momentum", "nan"}, []string{"--momentum", "NaN"}},
		{[]string{"train", "--lr", "inf"}, []string{"--lr", "+Inf"}},
		{[]string{"train", "--lr", "-inf"}, []string{"--lr", "-Inf"}},
		{[]string{"train", "--lr", "0"}, []string{"--lr", "0"}},
		{[]string{"train", "--weight-decay", "-5"}, []string{"--weight-decay", "-5"}},
		{[]string{"train", "--weight-decay", "inf"}, []string{"--weight-decay", "+Inf"}},
		{[]string{"train", "--clip", "-1"}, []string{"--clip", "-1"}},
		{[]string{"train", "--momentum", "1"}, []string{"--momentum", "1"}},
		{[]string{"train", "--dropout", "1"}, []string{"--dropout", "1"}},
		{[]string{"train", "--label-smoothing", "1.5"}, []string{"--label-smoothing", "1.5"}},
		{[]string{"train", "--batch", "0"}, []string{"--batch", "0"}},
		{[]string{"train", "--batch", "-4"}, []string{"--batch", "-4"}},
		{[]string{"train", "--epochs", "-1"}, []string{"--epochs", "-1"}},
		{[]string{"train", "--epochs", "2000000"}, []string{"--epochs", "2000000"}},
		{[]string{"train", "--warmup", "-3"}, []string{"--warmup", "-3"}},
		{[]string{"train", "--limit", "-1"}, []string{"--limit", "-1"}},
		{[]string{"train", "--test-limit", "-2"}, []string{"--test-limit", "-2"}},
		{[]string{"train", "--seed", "-1"}, []string{"-seed", "-1"}},
		{[]string{"train", "--lr", "fast"}, []string{"-lr", "fast"}},
		{[]string{"train", "--model", "rnn"}, []string{"--model", "rnn"}},
		{[]string{"train", "--optimizer", "lbfgs"}, []string{"--optimizer", "lbfgs"}},
		{[]string{"train", "--schedule", "linear"}, []string{"--schedule", "linear"}},
		{[]string{"train", "--precision", "fp8"}, []string{"--precision", "fp8", "fp32, tf32, bf16, fp16"}},
		{[]string{"train", "--device", "tpu"}, []string{"--device", "tpu"}},
		{[]string{"train", "--device", "cuda:-1"}, []string{"--device", "cuda:-1"}},
		{[]string{"train", "--no-such-flag"}, []string{"no-such-flag"}},
		{[]string{"train", "extra"}, []string{"extra"}},
		{[]string{"gradcheck", "--seed", "-1"}, []string{"-seed", "-1"}},
		{[]string{"gradcheck", "--seed", "nan"}, []string{"-seed", "nan"}},
		{[]string{"gradcheck", "--device", "tpu"}, []string{"--device", "tpu"}},
		{[]string{"gradcheck", "--op", "no-such-op"}, []string{"--op", "no-such-op"}},
		{[]string{"gradcheck", "--second-order=maybe"}, []string{"second-order", "maybe"}},
		{[]string{"gradcheck", "extra"}, []string{"extra"}},
		{[]string{"bench", "--count", "0"}, []string{"--count", "0"}},
		{[]string{"bench", "--count", "-3"}, []string{"--count", "-3"}},
		{[]string{"bench", "--min-time", "-1s"}, []string{"--min-time", "-1s"}},
		{[]string{"bench", "--threads", "-1"}, []string{"--threads", "-1"}},
		{[]string{"bench", "--dtype", "f16"}, []string{"--dtype", "f16"}},
		{[]string{"bench", "--scale", "huge"}, []string{"--scale", "huge"}},
		{[]string{"bench", "--sim-scale", "big"}, []string{"--sim-scale", "big"}},
		{[]string{"bench", "--device", "cpu,tpu"}, []string{"--device", "tpu"}},
		{[]string{"bench", "--run", "("}, []string{"--run"}},
		{[]string{"bench", "--list", "--scale", "huge"}, []string{"--scale", "huge"}},
		{[]string{"bench", "--count", "nan"}, []string{"-count", "nan"}},
		{[]string{"devices", "extra"}, []string{"extra"}},
		{[]string{"devices", "--all"}, []string{"-all"}},
		{[]string{"no-such-command"}, []string{"no-such-command"}},
	} {
		args := c.args
		if args[0] == "train" {
			args = append(append([]string{}, args...), nowhere...)
		}
		status, stdout, stderr := cli(t, args...)
		require.Equal(t, 2, status, "args %q: stderr %q", args, stderr)
		require.Empty(t, stdout, "args %q: no work before the flags are checked", args)
		requireOneLine(t, stderr, args)
		for _, w := range c.want {
			require.Contains(t, stderr, w, "args %q", args)
		}
	}
}

// A panic escaping a command is one line and status 1, unless
// TAPEGRAD_TRACEBACK=1 asks for the stack.
func TestPanicIsOneLine(t *testing.T) {
	boom := command{name: "boom", run: func([]string, io.Writer) error { panic("index out of range\nsecond line") }}
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, runCommand(boom, nil, &stdout, &stderr))
	requireOneLine(t, stderr.String(), nil)
	require.Contains(t, stderr.String(), "tapegrad boom: internal error: index out of range")
	require.Contains(t, stderr.String(), "TAPEGRAD_TRACEBACK=1")

	t.Setenv("TAPEGRAD_TRACEBACK", "1")
	stderr.Reset()
	require.Equal(t, 1, runCommand(boom, nil, &stdout, &stderr))
	require.Contains(t, stderr.String(), "goroutine")
	require.Contains(t, stderr.String(), "TestPanicIsOneLine")
}

// tiny are the flags of a one-epoch run on synthData.
func tiny(dataDir, out string) []string {
	return []string{"train", "--data", dataDir, "--out", out, "--epochs", "1", "--batch", "16", "--quiet", "--device", "cpu"}
}

// Output paths that cannot be written fail before training, with status 1.
func TestTrainChecksOutputsFirst(t *testing.T) {
	dataDir := synthData(t, 32, 16, 28, 28)
	out := t.TempDir()
	// log.json is a directory: the log could not be renamed into place.
	require.NoError(t, os.Mkdir(filepath.Join(out, "log.json"), 0o755))
	status, stdout, stderr := cli(t, tiny(dataDir, out)...)
	require.Equal(t, 1, status, stderr)
	requireOneLine(t, stderr, nil)
	require.Contains(t, stderr, "--out")
	require.NotContains(t, stdout, "epoch")

	save := filepath.Join(t.TempDir(), "absent", "ck.safetensors")
	status, stdout, stderr = cli(t, append(tiny(dataDir, t.TempDir()), "--save", save)...)
	require.Equal(t, 1, status, stderr)
	requireOneLine(t, stderr, nil)
	require.Contains(t, stderr, "--save "+save)
	require.NotContains(t, stdout, "epoch")
}

// Valid IDX files of the wrong image size, or with no rows or no samples,
// are refused before a model is built: one line, status 1, no panic.
func TestTrainChecksDataShape(t *testing.T) {
	for _, c := range []struct {
		name                    string
		train, test, rows, cols int
		want                    string
	}{
		{"32x32", 32, 16, 32, 32, "32x32"},
		{"no rows", 32, 16, 0, 28, "0x28"},
		{"no training samples", 0, 16, 28, 28, "no training samples"},
		{"no test samples", 32, 0, 28, 28, "no test samples"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, model := range []string{"mlp", "cnn"} {
				out := filepath.Join(t.TempDir(), "run")
				args := append(tiny(synthData(t, c.train, c.test, c.rows, c.cols), out), "--model", model)
				status, stdout, stderr := cli(t, args...)
				require.Equal(t, 1, status, stderr)
				requireOneLine(t, stderr, args)
				require.Contains(t, stderr, c.want)
				require.NotContains(t, stdout, "training "+model)
				require.NoDirExists(t, out, "a failed run leaves no empty --out folder")
			}
		})
	}
}

// --resume reads the header first: /dev/zero, which never ends, is
// refused at once instead of read until memory runs out.
func TestResumeFromDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	status, _, stderr := cli(t, "train", "--resume", "/dev/zero", "--data", t.TempDir())
	require.Equal(t, 1, status, stderr)
	requireOneLine(t, stderr, nil)
	require.Contains(t, stderr, "/dev/zero")
}

// A checkpoint whose resume metadata could not come from a run is
// refused, naming the key; temporary files of interrupted saves are
// cleaned up by the next save.
func TestResumeChecksMetadata(t *testing.T) {
	dataDir := synthData(t, 32, 16, 28, 28)
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.safetensors")
	out := t.TempDir()
	leftovers := []string{filepath.Join(dir, ".ck.safetensors.tmp-123"), filepath.Join(out, ".log.json.tmp-456")}
	for _, p := range leftovers {
		require.NoError(t, os.WriteFile(p, []byte("half a file"), 0o644))
	}
	status, _, stderr := cli(t, append(tiny(dataDir, out), "--save", ck)...)
	require.Equal(t, 0, status, stderr)
	for _, p := range leftovers {
		require.NoFileExists(t, p)
	}
	f, err := safetensors.ReadFile(ck)
	require.NoError(t, err)
	require.Equal(t, "1", f.Metadata[metaEpoch])
	require.Equal(t, "2", f.Metadata[metaStep])

	for _, c := range []struct {
		key, value, want string
	}{
		{metaEpoch, "-7", metaEpoch},
		{metaEpoch, "2", metaHistory},
		{metaEpoch, "x", metaEpoch},
		{metaStep, "-1", metaStep},
		{metaStep, "3", metaStep},
		{metaDropout, "-1", metaDropout},
		{metaHistory, `[{"epoch":5,"step":2}]`, metaHistory},
		{metaHistory, `[{"epoch":1,"step":9}]`, metaHistory},
		{metaHistory, `{`, metaHistory},
		{metaConfig, `{"lr":-1}`, "--lr -1"},
		{metaConfig, `{"model":"rnn"}`, `--model "rnn"`},
	} {
		bad := f
		bad.Metadata = maps.Clone(f.Metadata)
		bad.Metadata[c.key] = c.value
		path := filepath.Join(t.TempDir(), "bad.safetensors")
		require.NoError(t, safetensors.WriteFile(path, bad))
		args := []string{"train", "--resume", path, "--data", dataDir, "--out", t.TempDir(), "--epochs", "3", "--quiet"}
		status, stdout, stderr := cli(t, args...)
		require.Equal(t, 1, status, "%s=%s: %s", c.key, c.value, stderr)
		requireOneLine(t, stderr, args)
		require.Contains(t, stderr, c.want, "%s=%s", c.key, c.value)
		require.NotContains(t, stdout, "epoch")
	}
	status, stdout, stderr := cli(t, "train", "--resume", ck, "--data", dataDir, "--out", t.TempDir(), "--epochs", "2", "--quiet")
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "resumed after epoch 1 (step 2)")
	require.Contains(t, stdout, "done: 2 epochs")
}
