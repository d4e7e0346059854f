package nn

import (
	"fmt"
	"iter"
	"sync"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

// Dataset is a set of samples addressable by index: in-memory tensors
// (TensorDataset), images read from IDX files (ImageDataset), or a user's
// own. A Loader asks it for batches in the order it chooses.
type Dataset interface {
	// Len returns the number of samples.
	Len() int
	// Batch returns the samples idx, in that order, as one batch on dev:
	// inputs with the batch as their first axis, and targets (Int32 class
	// labels [B] for a classifier, float32 [B, ...] for a regression).
	Batch(dev device.Device, idx []int) (x, y *tensor.Tensor)
}

// LoaderConfig says how a Loader cuts a data set into batches.
type LoaderConfig struct {
	Batch    int           // samples per batch (> 0)
	Shuffle  bool          // a fresh permutation every epoch
	Seed     uint64        // the permutations' seed
	DropLast bool          // skip a last, smaller batch
	Device   device.Device // where batches go
	// Flat, Mean and Std are used by NewLoader only: they describe the
	// ImageDataset it builds (see ImageOptions).
	Flat      bool
	Mean, Std float64
}

// Loader serves a Dataset as batches on a device. Shuffling is a pure
// function of (Seed, epoch), so a run resumed at epoch e sees the batches
// an uninterrupted run would.
type Loader struct {
	cfg LoaderConfig
	ds  Dataset
	n   int
}

// NewDataLoader returns a loader over ds.
func NewDataLoader(ds Dataset, cfg LoaderConfig) (*Loader, error) {
	if cfg.Batch <= 0 {
		return nil, fmt.Errorf("nn: loader batch size %d must be positive", cfg.Batch)
	}
	n := ds.Len()
	if n < 0 {
		return nil, fmt.Errorf("nn: data set of %d samples", n)
	}
	return &Loader{cfg: cfg, ds: ds, n: n}, nil
}

// NewLoader returns a loader over an image split (an MNIST-format IDX data
// set, say), normalised and shaped as cfg's Flat, Mean and Std say. A
// split whose images have no pixels (a valid IDX file may say 0 rows) is
// an error, not a batch that fails later inside a layer.
func NewLoader(s data.Split, cfg LoaderConfig) (*Loader, error) {
	if cfg.Batch <= 0 {
		return nil, fmt.Errorf("nn: loader batch size %d must be positive", cfg.Batch)
	}
	ds, err := NewImageDataset(s, ImageOptions{Flat: cfg.Flat, Mean: cfg.Mean, Std: cfg.Std})
	if err != nil {
		return nil, err
	}
	return NewDataLoader(ds, cfg)
}

// Dataset returns the data set the loader serves.
func (l *Loader) Dataset() Dataset { return l.ds }

// Samples returns the number of samples in the data set.
func (l *Loader) Samples() int { return l.n }

// Len returns the number of batches per epoch.
func (l *Loader) Len() int {
	if l.cfg.DropLast {
		return l.n / l.cfg.Batch
	}
	return (l.n + l.cfg.Batch - 1) / l.cfg.Batch
}

// Batches yields the batches of epoch (counted from 0): inputs and
// targets, as the Dataset makes them.
func (l *Loader) Batches(epoch int) iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return l.BatchesFrom(epoch, 0)
}

// BatchesFrom yields the batches of epoch from batch first on (counted
// from 0), the ones Batches would yield after its first `first`, without
// making the skipped ones: how a run resumed mid-epoch continues.
func (l *Loader) BatchesFrom(epoch, first int) iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return func(yield func(*tensor.Tensor, *tensor.Tensor) bool) {
		order := identity(l.n)
		if l.cfg.Shuffle {
			order = Permutation(l.cfg.Seed, uint64(epoch), l.n)
		}
		for b := max(first, 0); b < l.Len(); b++ {
			idx := order[b*l.cfg.Batch : min((b+1)*l.cfg.Batch, l.n)]
			x, y := l.ds.Batch(l.cfg.Device, idx)
			if !yield(x, y) {
				return
			}
		}
	}
}

// ImageOptions say how an ImageDataset shapes and normalises its images.
type ImageOptions struct {
	Flat bool // images as [B, Rows·Cols] instead of [B, 1, Rows, Cols]
	// Mean and Std normalise pixels to (x - Mean)/Std; Std 0 leaves them
	// as they are (data.FashionMNISTMean and data.FashionMNISTStd are
	// Fashion-MNIST's).
	Mean, Std float64
}

// ImageDataset is a data.Split (grey images with class labels, as read
// from IDX files) held in memory, normalised once.
type ImageDataset struct {
	opts   ImageOptions
	images []float32 // normalised copy of the split's pixels
	labels []int32
	n, px  int // samples; pixels per sample
	rows   int
	cols   int
}

// NewImageDataset returns s as a Dataset, normalised as o says.
func NewImageDataset(s data.Split, o ImageOptions) (*ImageDataset, error) {
	if s.Rows <= 0 || s.Cols <= 0 || s.N < 0 {
		return nil, fmt.Errorf("nn: split of %d %dx%d images: want images of at least 1x1 pixel", s.N, s.Rows, s.Cols)
	}
	px := s.Rows * s.Cols
	if len(s.Images) != s.N*px || len(s.Labels) != s.N {
		return nil, fmt.Errorf("nn: split of %d %dx%d images has %d pixels and %d labels", s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels))
	}
	images := make([]float32, len(s.Images))
	copy(images, s.Images)
	if o.Std != 0 {
		m, inv := float32(o.Mean), float32(1/o.Std)
		for i, v := range images {
			images[i] = (v - m) * inv
		}
	}
	return &ImageDataset{opts: o, images: images, labels: s.Labels, n: s.N, px: px, rows: s.Rows, cols: s.Cols}, nil
}

// Len returns the number of images.
func (d *ImageDataset) Len() int { return d.n }

// Batch copies the images idx into one batch on dev: images [B, 1, Rows,
// Cols] (or [B, Rows·Cols] when Flat) and Int32 labels [B].
func (d *ImageDataset) Batch(dev device.Device, idx []int) (x, y *tensor.Tensor) {
	shape := []int{len(idx), 1, d.rows, d.cols}
	if d.opts.Flat {
		shape = []int{len(idx), d.px}
	}
	return uploadRows(dev, d.images, d.px, idx, shape...), uploadRows(dev, d.labels, 1, idx, len(idx))
}

// TensorDataset is a data set held as two host arrays whose first axis
// counts the samples: inputs [N, ...] and targets [N, ...].
type TensorDataset struct {
	x, y   hostRows
	n      int
	xs, ys []int // shape of one sample
}

// hostRows is one of a TensorDataset's tensors in host memory.
type hostRows struct {
	dt  device.DType // Float32 or Int32
	f32 []float32
	i32 []int32
}

// NewTensorDataset returns the samples of x and y (Float32 or Int32, any
// device; they are copied to the host once), which must agree in their
// first axis.
func NewTensorDataset(x, y *tensor.Tensor) (*TensorDataset, error) {
	xs, ys := x.Shape(), y.Shape()
	if len(xs) == 0 || len(ys) == 0 || xs[0] != ys[0] {
		return nil, fmt.Errorf("nn: tensor data set: inputs %v and targets %v must share a first (sample) axis", xs, ys)
	}
	for _, t := range []*tensor.Tensor{x, y} {
		if dt := t.DType(); dt != device.Float32 && dt != device.Int32 {
			return nil, fmt.Errorf("nn: tensor data set: dtype %v: want float32 or int32", dt)
		}
	}
	return &TensorDataset{x: hostRowsOf(x), y: hostRowsOf(y), n: xs[0], xs: xs[1:], ys: ys[1:]}, nil
}

// hostRowsOf copies t to the host.
func hostRowsOf(t *tensor.Tensor) hostRows {
	if t.DType() == device.Int32 {
		return hostRows{dt: device.Int32, i32: t.Int32s()}
	}
	return hostRows{dt: device.Float32, f32: t.Float32s()}
}

// Len returns the number of samples.
func (d *TensorDataset) Len() int { return d.n }

// Batch gathers the samples idx onto dev.
func (d *TensorDataset) Batch(dev device.Device, idx []int) (x, y *tensor.Tensor) {
	return d.x.gather(d.xs, dev, idx), d.y.gather(d.ys, dev, idx)
}

// gather copies the rows idx (each of shape row) to dev: the rows alone,
// not the whole data set.
func (h hostRows) gather(row []int, dev device.Device, idx []int) *tensor.Tensor {
	size := device.Numel(row)
	shape := append([]int{len(idx)}, row...)
	if h.dt == device.Int32 {
		return uploadRows(dev, h.i32, size, idx, shape...)
	}
	return uploadRows(dev, h.f32, size, idx, shape...)
}

// stagingF32 and stagingI32 recycle the host slices uploadRows gathers
// batches into: NewOn copies them to the device, so one per goroutine at
// a time serves every batch instead of a batch of garbage each.
var stagingF32, stagingI32 sync.Pool

// uploadRows copies the rows idx of src (rows of size elements) to a
// tensor of shape on dev.
func uploadRows[T float32 | int32](dev device.Device, src []T, size int, idx []int, shape ...int) *tensor.Tensor {
	pool := &stagingF32
	var z T
	if _, ok := any(z).(int32); ok {
		pool = &stagingI32
	}
	p, _ := pool.Get().(*[]T)
	if p == nil {
		p = new([]T)
	}
	n := len(idx) * size
	if cap(*p) < n {
		*p = make([]T, n)
	}
	buf := (*p)[:n]
	for i, j := range idx {
		copy(buf[i*size:(i+1)*size], src[j*size:(j+1)*size])
	}
	t := tensor.NewOn(dev, buf, shape...)
	pool.Put(p)
	return t
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// Permutation returns a permutation of 0..n-1 that depends only on seed
// and stream: a Fisher-Yates shuffle driven by Philox4x32-10 with key seed
// and counter (block, stream), indices drawn without modulo bias by
// Lemire's multiply-and-shift. The training loop passes the epoch as
// stream.
func Permutation(seed, stream uint64, n int) []int {
	p := identity(n)
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	var words [4]uint32
	w := uint64(0)
	next := func() uint32 {
		if w%4 == 0 {
			blk := w / 4
			words = device.Philox4x32([4]uint32{uint32(blk), uint32(blk >> 32), uint32(stream), uint32(stream >> 32)}, key)
		}
		x := words[w%4]
		w++
		return x
	}
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		m := uint64(next()) * bound
		// Reject the few low products that would favour small indices.
		if lo := uint32(m); uint64(lo) < bound {
			thresh := uint32(-uint32(bound)) % uint32(bound)
			for uint64(lo) < uint64(thresh) {
				m = uint64(next()) * bound
				lo = uint32(m)
			}
		}
		j := int(m >> 32)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// NewIDXDataset returns the samples of two IDX files (data.ReadIDXFile)
// whose first dimension counts them: inputs as float32 (unscaled), and
// targets as Int32 class labels when their type is an integer, else as
// float32.
func NewIDXDataset(inputs, targets *data.IDX) (*TensorDataset, error) {
	if len(inputs.Dims) == 0 || len(targets.Dims) == 0 {
		return nil, fmt.Errorf("nn: IDX data set: inputs %v and targets %v need a sample dimension", inputs.Dims, targets.Dims)
	}
	x := tensor.New(inputs.Float32s(), inputs.Dims...)
	var y *tensor.Tensor
	if targets.IsInteger() {
		y = tensor.New(targets.Int32s(), targets.Dims...)
	} else {
		y = tensor.New(targets.Float32s(), targets.Dims...)
	}
	return NewTensorDataset(x, y)
}
