package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// A file round trip in memory: Encode writes the 8-byte header length,
// the JSON header and the data; Decode checks all of it and gives the
// tensors back.
func Example() {
	f := safetensors.File{
		Tensors: []safetensors.Tensor{
			safetensors.FromFloat32s("fc.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
			safetensors.FromFloat32s("fc.bias", []int{2}, []float32{0.5, -0.5}),
		},
		Metadata: map[string]string{"format": "pt"},
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, f); err != nil {
		panic(err)
	}
	n := binary.LittleEndian.Uint64(buf.Bytes())
	fmt.Println(string(bytes.TrimRight(buf.Bytes()[8:8+n], " ")))

	back, err := safetensors.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		panic(err)
	}
	w, _ := back.Get("fc.weight")
	vals, err := safetensors.Float32s(w)
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Shape, vals, back.Metadata["format"])

	// A file cut short is an error of a kind errors.Is can match.
	_, err = safetensors.Decode(bytes.NewReader(buf.Bytes()[:buf.Len()-4]))
	fmt.Println(errors.Is(err, safetensors.ErrTruncated))
	// Output:
	// {"__metadata__":{"format":"pt"},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}
	// [2 3] [1 2 3 4 5 6] pt
	// true
}
