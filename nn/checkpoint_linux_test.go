//go:build linux

package nn_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// A save that dies while writing (here: the file-size limit cuts the
// temporary file short, as a full disk would) leaves the previous
// checkpoint in place and loadable, and no temporary file behind. The
// limit binds root too, which a read-only directory would not.
func TestInterruptedSaveKeepsOldCheckpoint(t *testing.T) {
	seed := testSeed(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.safetensors")
	m := smallNet(seed, 3, tensor.NewRNG(seed))
	opt := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-2))
	require.NoError(t, nn.SaveCheckpoint(path, m, opt, map[string]string{"epoch": "1"}))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	want := snapshot(m)

	xs, ys := batches(seed, 2)
	trainSteps(m, opt, xs, ys)
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim))
	// Go ignores SIGXFSZ, so the write fails with EFBIG instead.
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(len(old) / 2), Max: lim.Max}))
	err = nn.SaveCheckpoint(path, m, opt, map[string]string{"epoch": "2"})
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim))
	require.ErrorIs(t, err, syscall.EFBIG)
	require.ErrorContains(t, err, path)

	now, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, now, "the old checkpoint is untouched")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	fresh := smallNet(seed+1, 3, tensor.NewRNG(seed))
	meta, err := nn.LoadCheckpoint(path, fresh, nn.NewAdam(fresh.Parameters(), nn.AdamDefaults(1e-2)))
	require.NoError(t, err)
	require.Equal(t, "1", meta["epoch"])
	require.Equal(t, want, snapshot(fresh))
}
