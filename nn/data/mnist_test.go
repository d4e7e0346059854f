package data_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/data"
)

// mnistFiles returns an image file of n random rows x cols images and a label
// file of their random labels, and the pixels and labels themselves.
func mnistFiles(t *testing.T, n, rows, cols int) (images, labels []byte, pixels []byte, classes []int32) {
	rng := newRand(t)
	pixels = randBytes(rng, n*rows*cols)
	lb := make([]byte, n)
	classes = make([]int32, n)
	for i := range lb {
		lb[i] = byte(rng.IntN(10))
		classes[i] = int32(lb[i])
	}
	images = idxFile(data.TypeUint8, []uint32{uint32(n), uint32(rows), uint32(cols)}, pixels)
	labels = idxFile(data.TypeUint8, []uint32{uint32(n)}, lb)
	return images, labels, pixels, classes
}

func TestLoadImagesLabels(t *testing.T) {
	images, labels, pixels, classes := mnistFiles(t, 5, 3, 4)
	for _, tt := range []struct {
		name     string
		compress bool
	}{{"plain", false}, {"gzip", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			im, lb := images, labels
			if tt.compress {
				im, lb = gz(t, im), gz(t, lb)
			}
			got, n, rows, cols, err := data.LoadImages(writeFile(t, dir, "images", im))
			require.NoError(t, err)
			require.Equal(t, []int{5, 3, 4}, []int{n, rows, cols})
			require.Len(t, got, len(pixels))
			for i, p := range pixels {
				require.Equal(t, float32(p)/255, got[i], "pixel %d", i)
				require.True(t, got[i] >= 0 && got[i] <= 1)
			}
			gotLabels, err := data.LoadLabels(writeFile(t, dir, "labels", lb))
			require.NoError(t, err)
			require.Equal(t, classes, gotLabels)
		})
	}
}

func TestLoadImagesLabelsErrors(t *testing.T) {
	images, labels, _, _ := mnistFiles(t, 4, 2, 2)
	badLabels := idxFile(data.TypeUint8, []uint32{4}, []byte{1, 9, 0, 10})
	floatImages := idxFile(data.TypeFloat32, []uint32{1, 1, 1}, []byte{0, 0, 0, 0})
	dir := t.TempDir()
	tests := []struct {
		name   string
		load   func(path string) error
		file   []byte
		kind   error
		reason string
	}{
		{"labels as images", loadImages, labels, data.ErrMagic, "magic 2049 (0x00000801), want 2051 (0x00000803) for images"},
		{"float images", loadImages, floatImages, data.ErrMagic, "magic 3331 (0x00000d03), want 2051"},
		{"images as labels", loadLabels, images, data.ErrMagic, "magic 2051 (0x00000803), want 2049 (0x00000801) for labels"},
		{"label out of range", loadLabels, badLabels, data.ErrLabel, "label 10 at index 3 is outside 0..9"},
		{"truncated images", loadImages, images[:len(images)-1], data.ErrTruncated, "need 16 bytes of data, got 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, "f", tt.file)
			err := tt.load(path)
			var fe *data.FormatError
			require.ErrorAs(t, err, &fe)
			require.ErrorIs(t, err, tt.kind)
			require.Equal(t, path, fe.File)
			require.Contains(t, fe.Reason, tt.reason)
		})
	}
}

func loadImages(path string) error {
	_, _, _, _, err := data.LoadImages(path)
	return err
}

func loadLabels(path string) error {
	_, err := data.LoadLabels(path)
	return err
}

// mnistDir writes a small MNIST-format data set into a new directory: the
// training files gzip-compressed, the test files plain.
func mnistDir(t *testing.T, nTrain, nTest int) string {
	dir := t.TempDir()
	im, lb, _, _ := mnistFiles(t, nTrain, 28, 28)
	writeFile(t, dir, "train-images-idx3-ubyte.gz", gz(t, im))
	writeFile(t, dir, "train-labels-idx1-ubyte.gz", gz(t, lb))
	im, lb, _, _ = mnistFiles(t, nTest, 28, 28)
	writeFile(t, dir, "t10k-images-idx3-ubyte", im)
	writeFile(t, dir, "t10k-labels-idx1-ubyte", lb)
	return dir
}

func TestLoadMNIST(t *testing.T) {
	dir := mnistDir(t, 6, 3)
	ds, err := data.LoadMNIST(dir)
	require.NoError(t, err)
	for _, s := range []struct {
		split data.Split
		n     int
	}{{ds.Train, 6}, {ds.Test, 3}} {
		require.Equal(t, s.n, s.split.N)
		require.Equal(t, 28, s.split.Rows)
		require.Equal(t, 28, s.split.Cols)
		require.Len(t, s.split.Images, s.n*28*28)
		require.Len(t, s.split.Labels, s.n)
	}

	// The plain file wins over the .gz one.
	im, _, _, _ := mnistFiles(t, 6, 2, 2)
	writeFile(t, dir, "train-images-idx3-ubyte", im)
	ds, err = data.LoadMNIST(dir)
	require.NoError(t, err)
	require.Equal(t, 2, ds.Train.Rows)
}

func TestLoadMNISTErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		dir := mnistDir(t, 2, 2)
		require.NoError(t, os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte")))
		_, err := data.LoadMNIST(dir)
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.ErrorContains(t, err, "no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz in "+dir)
	})
	t.Run("count mismatch", func(t *testing.T) {
		dir := mnistDir(t, 4, 2)
		_, lb, _, _ := mnistFiles(t, 5, 1, 1)
		labels := writeFile(t, dir, "train-labels-idx1-ubyte", lb)
		_, err := data.LoadMNIST(dir)
		var fe *data.FormatError
		require.ErrorAs(t, err, &fe)
		require.ErrorIs(t, err, data.ErrMismatch)
		require.Equal(t, labels, fe.File)
		require.Contains(t, fe.Reason, "5 labels for the 4 images of "+filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	})
	t.Run("bad file", func(t *testing.T) {
		dir := mnistDir(t, 2, 2)
		path := writeFile(t, dir, "t10k-images-idx3-ubyte", []byte{0, 0, 8})
		_, err := data.LoadMNIST(dir)
		require.ErrorIs(t, err, data.ErrTruncated)
		require.ErrorContains(t, err, path)
	})
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("TAPEGRAD_DATA", "")
	require.Equal(t, "/usr/share/datasets/fashion-mnist", data.DefaultDir())
	t.Setenv("TAPEGRAD_DATA", "/srv/mnist")
	require.Equal(t, "/srv/mnist", data.DefaultDir())
}

// TestInstalledDataset loads the real data set from DefaultDir: on Debian,
// dataset-fashion-mnist installs it in /usr/share/datasets/fashion-mnist.
func TestInstalledDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("loading 70000 images is slow in -short mode")
	}
	dir := data.DefaultDir()
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte")); err != nil {
			t.Skipf("no MNIST-format data set in %s (install Debian's dataset-fashion-mnist or set TAPEGRAD_DATA)", dir)
		}
	}
	ds, err := data.LoadMNIST(dir)
	require.NoError(t, err)
	for _, s := range []struct {
		name  string
		split data.Split
		n     int
	}{{"train", ds.Train, 60000}, {"test", ds.Test, 10000}} {
		require.Equal(t, s.n, s.split.N, s.name)
		require.Equal(t, 28, s.split.Rows, s.name)
		require.Equal(t, 28, s.split.Cols, s.name)
		require.Len(t, s.split.Images, s.n*28*28, s.name)
		require.Len(t, s.split.Labels, s.n, s.name)
		var counts [10]int
		for i, l := range s.split.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("%s: label %d at index %d", s.name, l, i)
			}
			counts[l]++
		}
		for c, k := range counts {
			require.NotZero(t, k, "%s: no image of class %d", s.name, c)
		}
		var lit, outside int
		for _, p := range s.split.Images {
			if p > 0 {
				lit++
			}
			if p < 0 || p > 1 {
				outside++
			}
		}
		require.Zero(t, outside, "%s: pixels outside [0, 1]", s.name)
		require.Greater(t, lit, len(s.split.Images)/10, "%s: images nearly blank", s.name)
		t.Logf("%s: %d images, class counts %v", s.name, s.split.N, counts)
	}
}
