package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Float32s decodes an F32 tensor's data. It fails with ErrDType for another
// dtype and ErrCorrupt when the data length does not match the shape.
func Float32s(t Tensor) ([]float32, error) {
	return decodeLE(t, F32, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
}

// Float64s decodes an F64 tensor's data, failing as Float32s does.
func Float64s(t Tensor) ([]float64, error) {
	return decodeLE(t, F64, 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
}

// Int32s decodes an I32 tensor's data, failing as Float32s does.
func Int32s(t Tensor) ([]int32, error) {
	return decodeLE(t, I32, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
}

// BFloat16s decodes a BF16 tensor's data as bfloat16 bit patterns (the
// top half of a float32), failing as Float32s does.
func BFloat16s(t Tensor) ([]uint16, error) {
	return decodeLE(t, BF16, 2, binary.LittleEndian.Uint16)
}

// Float16s decodes an F16 tensor's data as IEEE binary16 bit patterns,
// failing as Float32s does.
func Float16s(t Tensor) ([]uint16, error) {
	return decodeLE(t, F16, 2, binary.LittleEndian.Uint16)
}

// FromFloat32s returns an F32 tensor holding a copy of shape and of v. It
// does not check that len(v) matches shape; Encode does.
func FromFloat32s(name string, shape []int, v []float32) Tensor {
	return encodeLE(name, F32, 4, shape, v, func(b []byte, x float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(x)) })
}

// FromFloat64s returns an F64 tensor holding a copy of shape and of v, as
// FromFloat32s does.
func FromFloat64s(name string, shape []int, v []float64) Tensor {
	return encodeLE(name, F64, 8, shape, v, func(b []byte, x float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(x)) })
}

// FromInt32s returns an I32 tensor holding a copy of shape and of v, as
// FromFloat32s does.
func FromInt32s(name string, shape []int, v []int32) Tensor {
	return encodeLE(name, I32, 4, shape, v, func(b []byte, x int32) { binary.LittleEndian.PutUint32(b, uint32(x)) })
}

// decodeLE checks t's dtype and size and decodes its elements of size bytes.
func decodeLE[T any](t Tensor, dtype string, size int, get func([]byte) T) ([]T, error) {
	if t.DType != dtype {
		return nil, &FormatError{Tensor: t.Name, Kind: ErrDType, Reason: fmt.Sprintf("dtype is %s, want %s", t.DType, dtype)}
	}
	want, err := byteSize(t.Name, t.DType, t.Shape)
	if err != nil {
		return nil, err
	}
	if want != uint64(len(t.Data)) {
		return nil, &FormatError{Tensor: t.Name, Kind: ErrCorrupt,
			Reason: fmt.Sprintf("data is %d bytes, %s %v needs %d", len(t.Data), t.DType, t.Shape, want)}
	}
	v := make([]T, len(t.Data)/size)
	for i := range v {
		v[i] = get(t.Data[i*size:])
	}
	return v, nil
}

// encodeLE builds a tensor from v, put writing one element of size bytes.
func encodeLE[T any](name, dtype string, size int, shape []int, v []T, put func([]byte, T)) Tensor {
	data := make([]byte, len(v)*size)
	for i, x := range v {
		put(data[i*size:], x)
	}
	return Tensor{Name: name, DType: dtype, Shape: append([]int{}, shape...), Data: data}
}

// FromBFloat16s returns a BF16 tensor holding a copy of shape and of the
// bfloat16 bit patterns v, as FromFloat32s does.
func FromBFloat16s(name string, shape []int, v []uint16) Tensor {
	return encodeLE(name, BF16, 2, shape, v, binary.LittleEndian.PutUint16)
}

// FromFloat16s returns an F16 tensor holding a copy of shape and of the
// binary16 bit patterns v, as FromFloat32s does.
func FromFloat16s(name string, shape []int, v []uint16) Tensor {
	return encodeLE(name, F16, 2, shape, v, binary.LittleEndian.PutUint16)
}
