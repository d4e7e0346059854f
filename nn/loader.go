package nn

import (
	"fmt"
	"iter"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

// Fashion-MNIST's training-set pixel mean and standard deviation (pixels
// scaled to [0, 1]), the usual normalisation constants.
const (
	FashionMNISTMean = 0.2860
	FashionMNISTStd  = 0.3530
)

// LoaderConfig says how a Loader cuts a split into batches.
type LoaderConfig struct {
	Batch    int           // samples per batch (> 0)
	Shuffle  bool          // a fresh permutation every epoch
	Seed     uint64        // the permutations' seed
	DropLast bool          // skip a last, smaller batch
	Device   device.Device // where batches go
	Flat     bool          // images as [B, Rows·Cols] instead of [B, 1, Rows, Cols]
	// Mean and Std normalise pixels to (x - Mean)/Std; Std 0 leaves them
	// as they are.
	Mean, Std float64
}

// Loader serves a data.Split as batches of float32 images and int32
// labels on a device. Shuffling is a pure function of (Seed, epoch), so a
// run resumed at epoch e sees the batches an uninterrupted run would.
type Loader struct {
	cfg    LoaderConfig
	images []float32 // normalised copy of the split's pixels
	labels []int32
	n, px  int // samples; pixels per sample
	rows   int
	cols   int
}

// NewLoader returns a loader over s. A split whose images have no pixels
// (a valid IDX file may say 0 rows) is an error, not a batch that fails
// later inside a layer.
func NewLoader(s data.Split, cfg LoaderConfig) (*Loader, error) {
	if cfg.Batch <= 0 {
		return nil, fmt.Errorf("nn: loader batch size %d must be positive", cfg.Batch)
	}
	if s.Rows <= 0 || s.Cols <= 0 || s.N < 0 {
		return nil, fmt.Errorf("nn: split of %d %dx%d images: want images of at least 1x1 pixel", s.N, s.Rows, s.Cols)
	}
	px := s.Rows * s.Cols
	if len(s.Images) != s.N*px || len(s.Labels) != s.N {
		return nil, fmt.Errorf("nn: split of %d %dx%d images has %d pixels and %d labels", s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels))
	}
	images := make([]float32, len(s.Images))
	copy(images, s.Images)
	if cfg.Std != 0 {
		m, inv := float32(cfg.Mean), float32(1/cfg.Std)
		for i, v := range images {
			images[i] = (v - m) * inv
		}
	}
	return &Loader{cfg: cfg, images: images, labels: s.Labels, n: s.N, px: px, rows: s.Rows, cols: s.Cols}, nil
}

// Samples returns the number of samples in the split.
func (l *Loader) Samples() int { return l.n }

// Len returns the number of batches per epoch.
func (l *Loader) Len() int {
	if l.cfg.DropLast {
		return l.n / l.cfg.Batch
	}
	return (l.n + l.cfg.Batch - 1) / l.cfg.Batch
}

// Batches yields the batches of epoch (counted from 0): images
// [B, 1, Rows, Cols] (or [B, Rows·Cols] when Flat) and labels [B].
func (l *Loader) Batches(epoch int) iter.Seq2[*tensor.Tensor, *tensor.Tensor] {
	return func(yield func(*tensor.Tensor, *tensor.Tensor) bool) {
		order := identity(l.n)
		if l.cfg.Shuffle {
			order = Permutation(l.cfg.Seed, uint64(epoch), l.n)
		}
		for b := 0; b < l.Len(); b++ {
			idx := order[b*l.cfg.Batch : min((b+1)*l.cfg.Batch, l.n)]
			x, y := l.gather(idx)
			if !yield(x, y) {
				return
			}
		}
	}
}

// gather copies the samples idx into one batch on the device.
func (l *Loader) gather(idx []int) (x, y *tensor.Tensor) {
	img := make([]float32, len(idx)*l.px)
	lab := make([]int32, len(idx))
	for i, j := range idx {
		copy(img[i*l.px:(i+1)*l.px], l.images[j*l.px:(j+1)*l.px])
		lab[i] = l.labels[j]
	}
	shape := []int{len(idx), 1, l.rows, l.cols}
	if l.cfg.Flat {
		shape = []int{len(idx), l.px}
	}
	return tensor.NewOn(l.cfg.Device, img, shape...), tensor.NewOn(l.cfg.Device, lab)
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
