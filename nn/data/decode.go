package data

import (
	"encoding/binary"
	"math"
)

// Float32s decodes x's elements (of any IDX type) as float32 values, in C
// order, unscaled.
func (x *IDX) Float32s() []float32 {
	n := len(x.Data) / elemSize[x.Type]
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(x.at(i))
	}
	return out
}

// Int32s decodes x's elements as int32 values (class labels, indices);
// float elements are truncated toward zero.
func (x *IDX) Int32s() []int32 {
	n := len(x.Data) / elemSize[x.Type]
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(x.at(i))
	}
	return out
}

// IsInteger reports whether x holds an integer element type.
func (x *IDX) IsInteger() bool { return x.Type != TypeFloat32 && x.Type != TypeFloat64 }

// at returns element i as a float64 (exact for every IDX type).
func (x *IDX) at(i int) float64 {
	b := x.Data
	switch x.Type {
	case TypeUint8:
		return float64(b[i])
	case TypeInt8:
		return float64(int8(b[i]))
	case TypeInt16:
		return float64(int16(binary.BigEndian.Uint16(b[2*i:])))
	case TypeInt32:
		return float64(int32(binary.BigEndian.Uint32(b[4*i:])))
	case TypeFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*i:])))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
}
