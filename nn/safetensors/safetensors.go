package safetensors

import (
	"errors"
	"fmt"
	"math/bits"
)

// Dtype strings of the format that callers use most.
const (
	F32  = "F32"  // float32
	F64  = "F64"  // float64
	I32  = "I32"  // int32
	BF16 = "BF16" // bfloat16
	F16  = "F16"  // IEEE 754 binary16
)

// MaxHeaderSize is the largest JSON header accepted, in bytes, as in the
// reference implementation; a larger length is taken for a corrupt file.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key that holds File.Metadata.
const metadataKey = "__metadata__"

// dtypeBits holds the element size in bits of every dtype of the format.
var dtypeBits = map[string]int{
	"BOOL": 8, "U8": 8, "I8": 8,
	"F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// DTypeBits reports the size in bits of one element of dtype, and whether
// dtype is a dtype of the format. Sub-byte dtypes (F4, F6_E2M3, F6_E3M2)
// are packed, so a tensor of them must hold a whole number of bytes.
func DTypeBits(dtype string) (int, bool) {
	b, ok := dtypeBits[dtype]
	return b, ok
}

// Tensor is one named tensor of a file: dtype, C-order shape and raw
// little-endian data.
type Tensor struct {
	Name  string
	DType string // a dtype of the format, such as "F32"
	Shape []int  // empty for a scalar
	Data  []byte // len is the element count times the dtype size
}

// File is the content of a safetensors file.
type File struct {
	// Tensors is in data order when read; Encode writes in its own order.
	Tensors []Tensor
	// Metadata is the header's "__metadata__" map, nil when absent.
	Metadata map[string]string
}

// Get returns the tensor called name and whether there is one.
func (f File) Get(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// Sentinel kinds of *FormatError, for errors.Is.
var (
	// ErrTruncated: the input ends before what its header describes.
	ErrTruncated = errors.New("truncated")
	// ErrTooLarge: a header length over MaxHeaderSize, or sizes that
	// overflow.
	ErrTooLarge = errors.New("too large")
	// ErrCorrupt: the header is not valid JSON of the expected form, or
	// shapes and byte ranges disagree, overlap, leave holes or leave
	// trailing bytes, or names repeat.
	ErrCorrupt = errors.New("corrupt")
	// ErrDType: a dtype the format does not define, or a conversion asked of
	// a tensor of another dtype.
	ErrDType = errors.New("bad dtype")
)

// FormatError is a file, or a File to encode, that breaks the format.
type FormatError struct {
	File   string // path or name of the file; empty for an unnamed stream
	Tensor string // the tensor at fault; empty when the fault is file-wide
	Kind   error  // ErrTruncated, ErrTooLarge, ErrCorrupt or ErrDType
	Reason string // what is wrong, in words
}

// Error implements error: "safetensors: FILE: tensor "NAME": KIND: REASON".
func (e *FormatError) Error() string {
	s := "safetensors: "
	if e.File != "" {
		s += e.File + ": "
	}
	if e.Tensor != "" {
		s += fmt.Sprintf("tensor %q: ", e.Tensor)
	}
	return s + e.Kind.Error() + ": " + e.Reason
}

// Unwrap returns the kind, so errors.Is(err, ErrCorrupt) and the like work.
func (e *FormatError) Unwrap() error { return e.Kind }

// byteSize returns how many bytes a tensor of dtype and shape holds. The
// error is a *FormatError for tensor name with an empty File.
func byteSize(name, dtype string, shape []int) (uint64, error) {
	b, ok := dtypeBits[dtype]
	if !ok {
		return 0, &FormatError{Tensor: name, Kind: ErrDType, Reason: fmt.Sprintf("unknown dtype %q", dtype)}
	}
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, &FormatError{Tensor: name, Kind: ErrCorrupt, Reason: fmt.Sprintf("negative dimension in shape %v", shape)}
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			return 0, &FormatError{Tensor: name, Kind: ErrTooLarge, Reason: fmt.Sprintf("shape %v overflows", shape)}
		}
		n = lo
	}
	hi, nbits := bits.Mul64(n, uint64(b))
	if hi != 0 {
		return 0, &FormatError{Tensor: name, Kind: ErrTooLarge, Reason: fmt.Sprintf("%s %v overflows", dtype, shape)}
	}
	if nbits%8 != 0 {
		return 0, &FormatError{Tensor: name, Kind: ErrCorrupt, Reason: fmt.Sprintf("%s %v is not a whole number of bytes", dtype, shape)}
	}
	return nbits / 8, nil
}
