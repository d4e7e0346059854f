package device

import (
	"fmt"
	"math"
	"math/bits"
)

// MaxRank is the largest tensor rank every backend supports. CUDA kernels
// pass shapes and strides by value in fixed arrays of this length.
const MaxRank = 8

// Layout is a strided view of a Buffer, in elements: element (i0, i1, ...)
// lives at Offset + i0*Strides[0] + i1*Strides[1] + ... A stride of 0
// repeats an element (broadcasting). Shape and Strides have equal length;
// a rank-0 layout (no dims) holds one element.
type Layout struct {
	Shape   []int
	Strides []int
	Offset  int
}

// Contiguous returns the row-major layout of shape at offset 0.
func Contiguous(shape []int) Layout {
	return Layout{Shape: shape, Strides: RowMajorStrides(shape)}
}

// RowMajorStrides returns the C-order strides of shape.
func RowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st
}

// Numel returns the number of elements of shape (1 for rank 0). It
// panics when CheckedNumel would report false: callers (the tensor layer)
// check shapes before a product of them can wrap around.
func Numel(shape []int) int {
	n, ok := CheckedNumel(shape)
	if !ok {
		panic(fmt.Sprintf("device: shape %v has a negative dimension or more elements than an int holds", shape))
	}
	return n
}

// CheckedNumel returns the number of elements of shape, and false when a
// dimension is negative or the product of the non-zero dimensions exceeds
// math.MaxInt. Ignoring zeros in the check keeps every row-major stride
// of an accepted shape within an int too, even when the shape is empty.
func CheckedNumel(shape []int) (int, bool) {
	n, nz := 1, 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			n = 0
			continue
		}
		hi, lo := bits.Mul64(uint64(nz), uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		nz = int(lo)
	}
	if n != 0 {
		n = nz
	}
	return n, true
}

// Size returns the number of elements the layout addresses.
func (l Layout) Size() int { return Numel(l.Shape) }

// Rank returns the number of dimensions.
func (l Layout) Rank() int { return len(l.Shape) }

// IsContiguous reports whether l addresses Size() consecutive elements in
// row-major order starting at Offset (size-1 dims may have any stride).
func (l Layout) IsContiguous() bool {
	acc := 1
	for i := len(l.Shape) - 1; i >= 0; i-- {
		if l.Shape[i] != 1 && l.Strides[i] != acc {
			return false
		}
		acc *= l.Shape[i]
	}
	return true
}

// Index returns the buffer index of the element at row-major position i.
// It is the reference definition of a strided walk; kernels use faster
// incremental forms.
func (l Layout) Index(i int) int {
	off := l.Offset
	for d := len(l.Shape) - 1; d >= 0; d-- {
		n := l.Shape[d]
		off += (i % n) * l.Strides[d]
		i /= n
	}
	return off
}
