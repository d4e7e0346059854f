// Package data reads training data sets from disk: IDX files, the format of
// MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// An IDX file is a 4-byte magic (two zero bytes, an element type code, the
// number of dimensions), one big-endian uint32 per dimension, then the
// elements, big-endian, in C order. ReadIDX and ReadIDXFile read any IDX
// file; LoadImages, LoadLabels and LoadMNIST read the MNIST layout
// (train-images-idx3-ubyte and friends, with or without .gz) and check it:
// the magic, that labels lie in 0..9, and that images and labels agree in
// number.
//
// Readers never trust a header's sizes: dimensions whose product overflows
// or exceeds MaxIDXBytes are refused before anything is allocated, and data
// is read into a buffer that grows with the bytes actually present, never
// past what the header declares. A gzip stream may expand at most
// MaxGzipRatio times its compressed size (beyond a first MiB), so a small
// decompression bomb is refused after a MiB instead of filling memory. A bad
// file gives a *FormatError that names the file and matches one of
// ErrMagic, ErrTruncated, ErrTooLarge, ErrCorrupt, ErrLabel or ErrMismatch
// under errors.Is.
//
// FashionMNISTMean and FashionMNISTStd are Fashion-MNIST's usual
// normalisation constants. DefaultDir says where to look: $TAPEGRAD_DATA, or the directory of
// Debian's dataset-fashion-mnist package.
//
// data imports nothing of this module.
package data
