package device

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

// Numel returns the number of elements of shape (1 for rank 0).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
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
