package data_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tapegrad/tapegrad/nn/data"
)

// ReadIDX reads any IDX file (MNIST's format): here two 2×3 images of
// bytes, built in memory. LoadMNIST reads a whole data set from a
// directory, data.DefaultDir() by default.
func ExampleReadIDX() {
	var b bytes.Buffer
	b.Write([]byte{0, 0, data.TypeUint8, 3})                 // magic: bytes, 3 dimensions
	binary.Write(&b, binary.BigEndian, []uint32{2, 2, 3})    // the dimensions
	b.Write([]byte{0, 64, 128, 255, 1, 2, 3, 4, 5, 6, 7, 8}) // the elements
	x, err := data.ReadIDX(bytes.NewReader(b.Bytes()))
	if err != nil {
		panic(err)
	}
	fmt.Println(x.Dims, x.Float32s()[:4], x.IsInteger())

	// A header that promises more than the file holds is refused.
	_, err = data.ReadIDX(bytes.NewReader(b.Bytes()[:b.Len()-1]))
	fmt.Println(errors.Is(err, data.ErrTruncated))
	// Output:
	// [2 2 3] [0 64 128 255] true
	// true
}
