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

// DType is the element type of a buffer.
type DType uint8

// The element types. Float32 is the default and what training uses;
// Float64 serves gradient checks and reference math; Int32 holds labels,
// indices and argmax results and never carries gradients.
const (
	Float32 DType = iota
	Float64
	Int32
)

// Size returns the size of one element in bytes.
func (t DType) Size() int {
	if t == Float64 {
		return 8
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
func (t DType) IsFloat() bool { return t == Float32 || t == Float64 }

// String returns the NumPy-style name of t.
func (t DType) String() string {
	switch t {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int32:
		return "int32"
	}
	return "dtype(" + strconv.Itoa(int(t)) + ")"
}

// Suffix returns the short name kernel symbols carry, as in exp_f32:
// "f32", "f64" or "i32".
func (t DType) Suffix() string {
	switch t {
	case Float32:
		return "f32"
	case Float64:
		return "f64"
	case Int32:
		return "i32"
	}
	return "dtype" + strconv.Itoa(int(t))
}
