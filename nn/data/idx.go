package data

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
)

// Element type codes of the IDX format, the third byte of the magic.
const (
	TypeUint8   byte = 0x08
	TypeInt8    byte = 0x09
	TypeInt16   byte = 0x0B
	TypeInt32   byte = 0x0C
	TypeFloat32 byte = 0x0D
	TypeFloat64 byte = 0x0E
)

// MaxIDXBytes bounds the data of one IDX file, 1 GiB; larger dimensions are
// taken for a corrupt header. MNIST's training images take 47 MB.
const MaxIDXBytes = 1 << 30

// MaxGzipRatio bounds how many times its compressed size a gzip IDX
// stream may expand to, beyond a first MiB. Deflate reaches about 1032x
// on constant data; real IDX files expand 2x to 5x (Fashion-MNIST's
// training images 1.8x, MNIST's 4.8x). Without the bound a 316 KB file
// whose header honestly declares 415000 images of zeros decompressed to
// 325 MB and took 1.9 GB of memory as pixels; with it, such a file is an
// ErrTooLarge after its first MiB.
const MaxGzipRatio = 100

// elemSize is the size in bytes of each IDX element type.
var elemSize = map[byte]int{
	TypeUint8: 1, TypeInt8: 1, TypeInt16: 2, TypeInt32: 4, TypeFloat32: 4, TypeFloat64: 8,
}

// IDX is the content of an IDX file.
type IDX struct {
	Type byte   // element type code, one of TypeUint8 ... TypeFloat64
	Dims []int  // size of each dimension, outermost first
	Data []byte // the elements as stored: big-endian, C order
}

// magic returns the 32-bit magic number of x's type and rank.
func (x *IDX) magic() uint32 { return uint32(x.Type)<<8 | uint32(len(x.Dims)) }

// Sentinel kinds of *FormatError, for errors.Is.
var (
	// ErrMagic: not an IDX file, or not the kind of IDX file asked for.
	ErrMagic = errors.New("bad magic")
	// ErrTruncated: the file ends before what its header describes.
	ErrTruncated = errors.New("truncated")
	// ErrTooLarge: dimensions that overflow or exceed MaxIDXBytes.
	ErrTooLarge = errors.New("too large")
	// ErrCorrupt: a broken gzip stream, or bytes after the data.
	ErrCorrupt = errors.New("corrupt")
	// ErrLabel: a class label outside 0..9.
	ErrLabel = errors.New("label out of range")
	// ErrMismatch: image and label files that disagree in count.
	ErrMismatch = errors.New("count mismatch")
)

// FormatError is a data file that is malformed or not what was asked for.
type FormatError struct {
	File   string // path of the file; empty for an unnamed stream
	Kind   error  // ErrMagic, ErrTruncated, ErrTooLarge, ErrCorrupt, ErrLabel or ErrMismatch
	Reason string // what is wrong, in words
}

// Error implements error: "data: FILE: KIND: REASON".
func (e *FormatError) Error() string {
	s := "data: "
	if e.File != "" {
		s += e.File + ": "
	}
	return s + e.Kind.Error() + ": " + e.Reason
}

// Unwrap returns the kind, so errors.Is(err, ErrTruncated) and the like work.
func (e *FormatError) Unwrap() error { return e.Kind }

// ReadIDX reads one IDX file from r, which must end where the file does. A
// stream that starts with the gzip magic (0x1f 0x8b) is decompressed first.
// Errors are *FormatError with an empty File, or a read error of r.
func ReadIDX(r io.Reader) (*IDX, error) {
	return readIDX(r, "")
}

// ReadIDXFile reads the IDX file at path, as ReadIDX does; errors name path.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close() // read-only: a close error loses nothing
	return readIDX(f, path)
}

// readIDX reads an IDX file; name goes into errors.
func readIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	what := "file"
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		in := &countingReader{r: br}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, readError(err, name, "gzip header")
		}
		defer zr.Close() // nothing to flush on read
		src, what = &ratioReader{zr: zr, in: in}, "decompressed file"
	}
	var magic [4]byte
	if k, err := io.ReadFull(src, magic[:]); err != nil {
		if isEOF(err) {
			return nil, &FormatError{File: name, Kind: ErrTruncated,
				Reason: fmt.Sprintf("%s is %d bytes, shorter than the 4-byte magic", what, k)}
		}
		return nil, readError(err, name, "magic")
	}
	x := &IDX{Type: magic[2], Dims: make([]int, magic[3])}
	size, ok := elemSize[x.Type]
	switch {
	case magic[0] != 0 || magic[1] != 0:
		return nil, &FormatError{File: name, Kind: ErrMagic,
			Reason: fmt.Sprintf("magic 0x%08x does not start with two zero bytes", binary.BigEndian.Uint32(magic[:]))}
	case !ok:
		return nil, &FormatError{File: name, Kind: ErrMagic, Reason: fmt.Sprintf("unknown element type 0x%02x", x.Type)}
	case len(x.Dims) == 0:
		return nil, &FormatError{File: name, Kind: ErrMagic, Reason: "no dimensions"}
	}
	dims := make([]byte, 4*len(x.Dims))
	if k, err := io.ReadFull(src, dims); err != nil {
		if isEOF(err) {
			return nil, &FormatError{File: name, Kind: ErrTruncated,
				Reason: fmt.Sprintf("%d dimensions need %d bytes, got %d", len(x.Dims), len(dims), k)}
		}
		return nil, readError(err, name, "dimensions")
	}
	n, err := dataSize(x, dims, size, name)
	if err != nil {
		return nil, err
	}
	if x.Data, err = readN(src, n); err != nil {
		if isEOF(err) {
			return nil, &FormatError{File: name, Kind: ErrTruncated,
				Reason: fmt.Sprintf("dims %v need %d bytes of data, got %d", x.Dims, n, len(x.Data))}
		}
		return nil, readError(err, name, "data")
	}
	// Reading on to the end also makes gzip verify its checksum.
	var one [1]byte
	if k, err := io.ReadFull(src, one[:]); k > 0 {
		return nil, &FormatError{File: name, Kind: ErrCorrupt, Reason: fmt.Sprintf("bytes after the %d bytes of data", n)}
	} else if err != io.EOF {
		return nil, readError(err, name, "end of file")
	}
	return x, nil
}

// dataSize decodes the dimensions into x.Dims and returns the data size in
// bytes, refusing sizes that overflow or exceed MaxIDXBytes.
func dataSize(x *IDX, dims []byte, size int, name string) (int, error) {
	n, overflow := uint64(size), false
	for i := range x.Dims {
		d := binary.BigEndian.Uint32(dims[4*i:])
		x.Dims[i] = int(d)
		hi, lo := bits.Mul64(n, uint64(d))
		overflow = overflow || hi != 0
		n = lo
	}
	if slices.Contains(x.Dims, 0) {
		return 0, nil
	}
	if overflow || n > MaxIDXBytes {
		return 0, &FormatError{File: name, Kind: ErrTooLarge,
			Reason: fmt.Sprintf("dims %v of %d-byte elements exceed the %d-byte limit", x.Dims, size, MaxIDXBytes)}
	}
	return int(n), nil
}

// readN reads n bytes of r into a buffer that grows as bytes arrive, so a
// lying header cannot make it allocate. On a short read it returns what it
// got and io.ErrUnexpectedEOF.
func readN(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<16))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), len(buf)))
		}
		k, err := io.ReadFull(r, buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// isEOF reports whether err means the input ended.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// readError classifies an error met while reading part of a file: a broken
// gzip stream becomes ErrCorrupt, an early end ErrTruncated, and anything
// else is returned wrapped with the file's name.
func readError(err error, name, part string) error {
	var ce flate.CorruptInputError
	var fe *FormatError
	switch {
	case errors.As(err, &fe):
		fe.File = name
		return fe
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &ce):
		return &FormatError{File: name, Kind: ErrCorrupt, Reason: fmt.Sprintf("reading %s: %v", part, err)}
	case isEOF(err):
		return &FormatError{File: name, Kind: ErrTruncated, Reason: fmt.Sprintf("reading %s: %v", part, err)}
	case name != "":
		return fmt.Errorf("data: %s: %w", name, err)
	}
	return err
}

// countingReader counts the bytes read from r. It is an io.ByteReader, so
// flate reads through it without a buffer of its own, and the count is the
// compressed bytes actually consumed.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// ratioReader is a gzip stream that fails with ErrTooLarge once it has
// produced more than MaxGzipRatio times the compressed bytes consumed,
// beyond a first MiB.
type ratioReader struct {
	zr  io.Reader
	in  *countingReader
	out int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	k, err := r.zr.Read(p)
	r.out += int64(k)
	if r.out > MaxGzipRatio*r.in.n+1<<20 {
		return k, &FormatError{Kind: ErrTooLarge, Reason: fmt.Sprintf(
			"gzip stream expands more than %dx (%d bytes from %d): taken for a decompression bomb", MaxGzipRatio, r.out, r.in.n)}
	}
	return k, err
}
