package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Magic numbers of the MNIST files: unsigned bytes in 3 and 1 dimensions.
const (
	imagesMagic = 2051 // 0x00000803
	labelsMagic = 2049 // 0x00000801
)

// debianDir is where Debian's dataset-fashion-mnist package installs the
// four gzip-compressed Fashion-MNIST files.
const debianDir = "/usr/share/datasets/fashion-mnist"

// DefaultDir returns the directory to load MNIST-format data from:
// $TAPEGRAD_DATA when set, else /usr/share/datasets/fashion-mnist, where
// Debian's dataset-fashion-mnist package puts its files.
func DefaultDir() string {
	if dir := os.Getenv("TAPEGRAD_DATA"); dir != "" {
		return dir
	}
	return debianDir
}

// Split is one part of a data set: N images of Rows x Cols pixels and their
// labels.
type Split struct {
	Images []float32 // N*Rows*Cols pixels, image after image, row-major, scaled to [0, 1]
	Labels []int32   // N class labels in 0..9
	N      int       // number of images
	Rows   int       // pixel rows per image
	Cols   int       // pixel columns per image
}

// Dataset is an MNIST-format data set: 60000 training and 10000 test
// images for MNIST and Fashion-MNIST.
type Dataset struct {
	Train Split // from train-images-idx3-ubyte and train-labels-idx1-ubyte
	Test  Split // from t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte
}

// LoadImages reads an MNIST image file (magic 2051: unsigned bytes, 3
// dimensions), plain or gzip, and returns its pixels scaled to [0, 1] with
// the image count and size.
func LoadImages(path string) (images []float32, n, rows, cols int, err error) {
	x, err := ReadIDXFile(path)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if m := x.magic(); m != imagesMagic {
		return nil, 0, 0, 0, &FormatError{File: path, Kind: ErrMagic,
			Reason: fmt.Sprintf("magic %d (0x%08x), want %d (0x%08x) for images", m, m, imagesMagic, imagesMagic)}
	}
	images = make([]float32, len(x.Data))
	for i, b := range x.Data {
		images[i] = float32(b) / 255
	}
	return images, x.Dims[0], x.Dims[1], x.Dims[2], nil
}

// LoadLabels reads an MNIST label file (magic 2049: unsigned bytes, 1
// dimension), plain or gzip, and checks that every label is in 0..9.
func LoadLabels(path string) ([]int32, error) {
	x, err := ReadIDXFile(path)
	if err != nil {
		return nil, err
	}
	if m := x.magic(); m != labelsMagic {
		return nil, &FormatError{File: path, Kind: ErrMagic,
			Reason: fmt.Sprintf("magic %d (0x%08x), want %d (0x%08x) for labels", m, m, labelsMagic, labelsMagic)}
	}
	labels := make([]int32, len(x.Data))
	for i, b := range x.Data {
		if b > 9 {
			return nil, &FormatError{File: path, Kind: ErrLabel, Reason: fmt.Sprintf("label %d at index %d is outside 0..9", b, i)}
		}
		labels[i] = int32(b)
	}
	return labels, nil
}

// LoadMNIST loads an MNIST-format data set from dir, which holds
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each plain or with a .gz suffix (the plain
// file wins when both are there). It checks that each split has as many
// labels as images. A missing file gives an error that names it and matches
// fs.ErrNotExist.
func LoadMNIST(dir string) (*Dataset, error) {
	train, err := loadSplit(dir, "train")
	if err != nil {
		return nil, err
	}
	test, err := loadSplit(dir, "t10k")
	if err != nil {
		return nil, err
	}
	return &Dataset{Train: train, Test: test}, nil
}

// loadSplit loads the images and labels whose file names start with prefix.
func loadSplit(dir, prefix string) (Split, error) {
	imagesPath, err := find(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return Split{}, err
	}
	labelsPath, err := find(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return Split{}, err
	}
	var s Split
	if s.Images, s.N, s.Rows, s.Cols, err = LoadImages(imagesPath); err != nil {
		return Split{}, err
	}
	if s.Labels, err = LoadLabels(labelsPath); err != nil {
		return Split{}, err
	}
	if len(s.Labels) != s.N {
		return Split{}, &FormatError{File: labelsPath, Kind: ErrMismatch,
			Reason: fmt.Sprintf("%d labels for the %d images of %s", len(s.Labels), s.N, imagesPath)}
	}
	return s, nil
}

// find returns the path of base or base.gz in dir.
func find(dir, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		path := filepath.Join(dir, name)
		_, err := os.Stat(path)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: %w", err)
		}
	}
	return "", fmt.Errorf("data: no %s or %s.gz in %s: %w", base, base, dir, fs.ErrNotExist)
}

// Fashion-MNIST's training-set pixel mean and standard deviation (pixels
// scaled to [0, 1]), the usual normalisation constants.
const (
	FashionMNISTMean = 0.2860
	FashionMNISTStd  = 0.3530
)
