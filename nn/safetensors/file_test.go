package safetensors

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testFile returns a small file of random tensors, its seed logged.
func testFile(t *testing.T) File {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	w := make([]float32, 12)
	for i := range w {
		w[i] = rng.Float32()*2 - 1
	}
	return File{
		Tensors:  []Tensor{FromFloat32s("w", []int{3, 4}, w), FromInt32s("y", []int{2}, []int32{rng.Int32(), -rng.Int32()})},
		Metadata: map[string]string{"seed": time.Now().String()},
	}
}

// dirNames lists dir.
func dirNames(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// failAfter passes n bytes through to w, then fails every write.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("injected: no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	want := testFile(t)
	require.NoError(t, WriteFile(path, want))
	got, err := ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want.Metadata, got.Metadata)
	for _, w := range want.Tensors {
		g, ok := got.Get(w.Name)
		require.True(t, ok)
		require.Equal(t, w, g)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	require.Equal(t, []string{"model.safetensors"}, dirNames(t, dir))

	// Replacing keeps the old file's permissions.
	require.NoError(t, os.Chmod(path, 0o600))
	require.NoError(t, WriteFile(path, testFile(t)))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// TestWriteFileInterrupted fails the write at several points and checks that
// the previous file still loads, unchanged, and no temporary file remains.
func TestWriteFileInterrupted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := testFile(t)
	require.NoError(t, WriteFile(path, old))
	oldBytes, err := os.ReadFile(path)
	require.NoError(t, err)

	// The bufio layer flushes in 1 MiB chunks: make the new file big enough
	// that failures land mid-header, mid-data and on the final flush.
	big := make([]float32, 600_000)
	for i := range big {
		big[i] = float32(i) + 0.5
	}
	next := File{Tensors: []Tensor{FromFloat32s("big", []int{len(big)}, big)}}
	t.Cleanup(func() { writeHook = nil })
	for _, n := range []int{0, 7, 100, 1 << 20, 2<<20 - 1} {
		writeHook = func(w io.Writer) io.Writer { return &failAfter{w: w, n: n} }
		err := WriteFile(path, next)
		require.ErrorIs(t, err, errDiskFull, "fail after %d bytes", n)
		require.ErrorContains(t, err, path)
		now, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, oldBytes, now, "fail after %d bytes: old file changed", n)
		_, err = ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, []string{"ckpt.safetensors"}, dirNames(t, dir), "fail after %d bytes", n)
	}
	writeHook = nil
	require.NoError(t, WriteFile(path, next))
	got, err := ReadFile(path)
	require.NoError(t, err)
	v, err := Float32s(got.Tensors[0])
	require.NoError(t, err)
	require.Equal(t, big, v)
}

func TestWriteFileErrors(t *testing.T) {
	t.Run("rename fails", func(t *testing.T) {
		// A non-empty directory at path cannot be renamed over.
		dir := t.TempDir()
		path := filepath.Join(dir, "taken")
		require.NoError(t, os.MkdirAll(filepath.Join(path, "child"), 0o755))
		err := WriteFile(path, testFile(t))
		require.Error(t, err)
		require.ErrorContains(t, err, path)
		require.Equal(t, []string{"taken"}, dirNames(t, dir))
		require.Equal(t, []string{"child"}, dirNames(t, path))
	})
	t.Run("no directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "m.safetensors")
		err := WriteFile(path, testFile(t))
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.ErrorContains(t, err, path)
	})
	t.Run("invalid file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		old := testFile(t)
		require.NoError(t, WriteFile(path, old))
		bad := File{Tensors: []Tensor{{Name: "x", DType: "F32", Shape: []int{3}, Data: []byte{1, 2, 3, 4}}}}
		err := WriteFile(path, bad)
		var fe *FormatError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, path, fe.File)
		require.ErrorIs(t, err, ErrCorrupt)
		got, err := ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, old.Metadata, got.Metadata)
		require.Equal(t, []string{"m.safetensors"}, dirNames(t, dir))
	})
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.safetensors")
	_, err := ReadFile(missing)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, missing)

	bad := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte{200, 0, 0, 0, 0, 0, 0, 0, '{'}, 0o644))
	_, err = ReadFile(bad)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, bad, fe.File)
	require.ErrorIs(t, err, ErrTruncated)
	require.EqualError(t, err, "safetensors: "+bad+": truncated: header length 200 exceeds the 1 bytes that follow it")
}

// ReadFile and ReadMetadata read the header first: a device that never
// ends (/dev/zero, whose zero header length leaves an empty header) is
// refused at once instead of read until memory runs out.
func TestReadFileDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadFile("/dev/zero")
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "/dev/zero")
	_, err = ReadMetadata("/dev/zero")
	require.ErrorIs(t, err, ErrCorrupt)
}

// ReadMetadata returns the metadata without the data, after checking the
// file's size against the header.
func TestReadMetadata(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	f := testFile(t)
	require.NoError(t, WriteFile(path, f))
	meta, err := ReadMetadata(path)
	require.NoError(t, err)
	require.Equal(t, f.Metadata, meta)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	short := filepath.Join(dir, "short.safetensors")
	require.NoError(t, os.WriteFile(short, b[:len(b)-3], 0o644))
	long := filepath.Join(dir, "long.safetensors")
	require.NoError(t, os.WriteFile(long, append(b, 0), 0o644))
	for _, c := range []struct {
		path string
		kind error
	}{{short, ErrTruncated}, {long, ErrCorrupt}} {
		_, err := ReadMetadata(c.path)
		require.ErrorIs(t, err, c.kind, c.path)
		require.ErrorContains(t, err, c.path)
		_, err = ReadFile(c.path)
		require.ErrorIs(t, err, c.kind, c.path)
	}
	_, err = ReadMetadata(filepath.Join(dir, "absent"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}
