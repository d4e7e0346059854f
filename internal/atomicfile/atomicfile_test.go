package atomicfile_test

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

func randBytes(t *testing.T, n int) []byte {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// Write replaces the file, keeps its mode, and removes the temporary
// files that interrupted writes of the same target left, and only those.
func TestWriteReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	stale := filepath.Join(dir, ".ck.safetensors.tmp-2844019")
	keep := []string{filepath.Join(dir, ".other.tmp-1"), filepath.Join(dir, ".ck.safetensors.tmp-x1"), filepath.Join(dir, "ck.safetensors.tmp-1")}
	for _, p := range append(keep, stale) {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	want := randBytes(t, 3000)
	require.NoError(t, atomicfile.WriteBytes(path, want))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, got)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoFileExists(t, stale)
	for _, p := range keep {
		require.FileExists(t, p)
	}
}

// A write that fails leaves the old file and no temporary file.
func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.json")
	old := randBytes(t, 100)
	require.NoError(t, os.WriteFile(path, old, 0o644))
	boom := errors.New("boom")
	err := atomicfile.Write(path, func(w io.Writer) error {
		if _, err := w.Write([]byte("partial")); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.ErrorContains(t, atomicfile.WriteBytes(filepath.Join(dir, "sub"), old), "is a directory")
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, atomicfile.CheckWritable(filepath.Join(dir, "new.json")))
	require.NoFileExists(t, filepath.Join(dir, "new.json"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the probe file is removed")
	require.Error(t, atomicfile.CheckWritable(filepath.Join(dir, "absent", "x.json")))
	require.ErrorContains(t, atomicfile.CheckWritable(dir), "is a directory")
}
