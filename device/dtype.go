package device

import (
	"errors"
	"math"
	"strconv"
)

// ErrOutOfMemory is wrapped by the error of every allocation a backend
// cannot satisfy, on any device: one more than the device (or the CPU
// backend's limit) has room for, or one whose byte count does not fit an
// int. Test for it with errors.Is.
var ErrOutOfMemory = errors.New("out of memory")

// ErrIndex is wrapped by a backend's error for an index or label outside
// its range (found by the op, or on an asynchronous device at the next
// Sync or Read). Test for it with errors.Is.
var ErrIndex = errors.New("index out of range")

// ErrUnsupported is wrapped by the error of a backend that leaves an
// optional op out (the fused VJP ops of Binary); callers that have
// another way to compute it test for it with errors.Is.
var ErrUnsupported = errors.New("unsupported by this backend")

// DType is the element type of a buffer.
type DType uint8

// The element types. Float32 is the default and what training uses;
// Float64 serves gradient checks and reference math; Int32 holds labels,
// indices and argmax results and never carries gradients. BFloat16 and
// Float16 are the half-precision storage types of mixed-precision
// training: backends compute with them in float32 and round to nearest
// even on store (their host element types are BF16 and F16).
const (
	Float32 DType = iota
	Float64
	Int32
	BFloat16
	Float16
)

// Size returns the size of one element in bytes.
func (t DType) Size() int {
	switch t {
	case Float64:
		return 8
	case BFloat16, Float16:
		return 2
	}
	return 4
}

// Bytes returns the size of n elements in bytes, and false when n is
// negative or the size exceeds math.MaxInt.
func (t DType) Bytes(n int) (int, bool) {
	if n < 0 || n > math.MaxInt/t.Size() {
		return 0, false
	}
	return n * t.Size(), true
}

// IsFloat reports whether t is a floating-point type.
func (t DType) IsFloat() bool { return t == Float32 || t == Float64 || t.IsHalf() }

// IsHalf reports whether t is a 16-bit floating-point type (BFloat16 or
// Float16).
func (t DType) IsHalf() bool { return t == BFloat16 || t == Float16 }

// String returns the NumPy-style name of t.
func (t DType) String() string {
	switch t {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int32:
		return "int32"
	case BFloat16:
		return "bfloat16"
	case Float16:
		return "float16"
	}
	return "dtype(" + strconv.Itoa(int(t)) + ")"
}

// Suffix returns the short name kernel symbols carry, as in exp_f32:
// "f32", "f64", "i32", "bf16" or "f16".
func (t DType) Suffix() string {
	switch t {
	case Float32:
		return "f32"
	case Float64:
		return "f64"
	case Int32:
		return "i32"
	case BFloat16:
		return "bf16"
	case Float16:
		return "f16"
	}
	return "dtype" + strconv.Itoa(int(t))
}
