package nn_test

import (
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

func TestPermutation(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{0, 1, 2, 7, 1000} {
		p := nn.Permutation(seed, 3, n)
		require.Equal(t, p, nn.Permutation(seed, 3, n), "a pure function of seed and stream")
		sorted := slices.Clone(p)
		slices.Sort(sorted)
		for i, v := range sorted {
			require.Equal(t, i, v, "a permutation of 0..n-1")
		}
	}
	a, b := nn.Permutation(seed, 0, 1000), nn.Permutation(seed, 1, 1000)
	require.NotEqual(t, a, b, "each epoch gets its own order")
	require.NotEqual(t, a, nn.Permutation(seed+1, 0, 1000))
	// Every position is about equally likely to hold element 0.
	counts := make([]int, 4)
	for s := range uint64(4000) {
		counts[slices.Index(nn.Permutation(seed+s, 0, 4), 0)]++
	}
	for _, c := range counts {
		require.InDelta(t, 1000, c, 150, "counts %v", counts)
	}
}

// fakeSplit returns n 2x3 images whose pixels encode their index, and
// labels index mod 10.
func fakeSplit(n int) data.Split {
	s := data.Split{N: n, Rows: 2, Cols: 3}
	for i := 0; i < n; i++ {
		for p := 0; p < 6; p++ {
			s.Images = append(s.Images, float32(i)+float32(p)/10)
		}
		s.Labels = append(s.Labels, int32(i%10))
	}
	return s
}

func TestLoader(t *testing.T) {
	seed := testSeed(t)
	s := fakeSplit(10)
	l, err := nn.NewLoader(s, nn.LoaderConfig{Batch: 4, Device: cpu})
	require.NoError(t, err)
	require.Equal(t, 3, l.Len())
	var sizes []int
	for x, y := range l.Batches(0) {
		require.Equal(t, []int{y.Dim(0), 1, 2, 3}, x.Shape())
		sizes = append(sizes, y.Dim(0))
	}
	require.Equal(t, []int{4, 4, 2}, sizes)

	// Shuffled, flat, normalised, dropping the short batch.
	l, err = nn.NewLoader(s, nn.LoaderConfig{Batch: 4, Shuffle: true, Seed: seed, DropLast: true, Flat: true, Mean: 1, Std: 2, Device: cpu})
	require.NoError(t, err)
	require.Equal(t, 2, l.Len())
	perm := nn.Permutation(seed, 5, 10)
	b := 0
	for x, y := range l.Batches(5) {
		require.Equal(t, []int{4, 6}, x.Shape())
		px, lab := x.Float32s(), y.Int32s()
		for i := 0; i < 4; i++ {
			j := perm[b*4+i]
			require.Equal(t, int32(j%10), lab[i])
			require.InDelta(t, (float32(j)+0.5-1)/2, px[i*6+5], 1e-6)
		}
		b++
	}
	require.Equal(t, 2, b)
	require.Equal(t, float32(0), s.Images[0], "the split itself is not modified")

	_, err = nn.NewLoader(s, nn.LoaderConfig{Batch: 0})
	require.Error(t, err)
	s.Labels = s.Labels[:3]
	_, err = nn.NewLoader(s, nn.LoaderConfig{Batch: 2})
	require.Error(t, err)
}

// fashionMNIST loads the data set or skips the test when it is absent.
func fashionMNIST(t *testing.T) *data.Dataset {
	t.Helper()
	dir := data.DefaultDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Fashion-MNIST not found in %s (install Debian's dataset-fashion-mnist or set TAPEGRAD_DATA): %v", dir, err)
	}
	ds, err := data.LoadMNIST(dir)
	require.NoError(t, err)
	return ds
}

// A split of zero-pixel images (valid IDX, 0 rows) is refused when the
// loader is made, not inside the first layer.
func TestLoaderRefusesEmptyImages(t *testing.T) {
	for _, s := range []data.Split{
		{N: 3, Rows: 0, Cols: 28, Labels: []int32{1, 2, 3}},
		{N: 3, Rows: 28, Cols: 0, Labels: []int32{1, 2, 3}},
		{N: 0, Rows: 0, Cols: 0},
	} {
		_, err := nn.NewLoader(s, nn.LoaderConfig{Batch: 2})
		require.ErrorContains(t, err, "at least 1x1 pixel", "%dx%d", s.Rows, s.Cols)
	}
}

// TestTensorDatasetBatchCopiesItsRows checks a TensorDataset batch: the
// rows asked for, in order, and a cost of those rows, not of the data set
// (each Batch copied all of it to the host before: 1 MB here), with the
// host slice it gathers them into recycled.
func TestTensorDatasetBatchCopiesItsRows(t *testing.T) {
	rng := tensor.NewRNG(testSeed(t))
	const n, w = 4000, 64
	x := rng.Normal(cpu, device.Float32, 0, 1, n, w)
	y := rng.Uniform(cpu, device.Float32, 0, 10, n).Cast(device.Int32)
	ds, err := nn.NewTensorDataset(x, y)
	require.NoError(t, err)
	require.Equal(t, n, ds.Len())
	xs, ys := x.Float32s(), y.Int32s()
	idx := []int{n - 1, 7, 7, 1234}
	bx, by := ds.Batch(cpu, idx)
	require.Equal(t, []int{len(idx), w}, bx.Shape())
	for i, j := range idx {
		require.Equal(t, xs[j*w:(j+1)*w], bx.Float32s()[i*w:(i+1)*w], "row %d", i)
		require.Equal(t, ys[j], by.Int32s()[i])
	}
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range 10 {
		ds.Batch(cpu, idx)
	}
	runtime.ReadMemStats(&b)
	per := float64(b.TotalAlloc-a.TotalAlloc) / 10
	require.Less(t, per, 16e3, "a batch of %d rows of %d floats allocates %.0f bytes", len(idx), w, per)

	// The host rows a batch is gathered into are recycled: a released
	// batch of 1000 rows (256 KB) costs its tensors' headers alone once
	// the CPU's cache holds its buffer.
	big := make([]int, 1000)
	for i := range big {
		big[i] = (i * 7) % n
	}
	batch := func() {
		bx, by := ds.Batch(cpu, big)
		bx.Release()
		by.Release()
	}
	batch()
	runtime.ReadMemStats(&a)
	for range 10 {
		batch()
	}
	runtime.ReadMemStats(&b)
	per = float64(b.TotalAlloc-a.TotalAlloc) / 10
	require.Less(t, per, 64e3, "a batch of 1000 rows of %d floats allocates %.0f bytes", w, per)
}
