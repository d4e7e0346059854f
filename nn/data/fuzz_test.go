package data_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/data"
)

// FuzzReadIDX checks that ReadIDX never panics, fails only with a
// *FormatError of a known kind, and returns data that matches its dims.
func FuzzReadIDX(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4)) // fixed: seeds must be stable across runs
	seeds := [][]byte{
		idxFile(data.TypeUint8, []uint32{2, 3, 3}, randBytes(rng, 18)),
		idxFile(data.TypeUint8, []uint32{5}, []byte{0, 9, 3, 1, 7}),
		idxFile(data.TypeInt16, []uint32{2, 2}, randBytes(rng, 8)),
		idxFile(data.TypeFloat64, []uint32{1, 1, 2}, randBytes(rng, 16)),
		idxFile(data.TypeFloat32, []uint32{0xffff, 0xffff}, randBytes(rng, 4)),
	}
	for _, s := range seeds {
		f.Add(s)
		f.Add(gz(f, s))
	}
	sizes := map[byte]int{data.TypeUint8: 1, data.TypeInt8: 1, data.TypeInt16: 2, data.TypeInt32: 4, data.TypeFloat32: 4, data.TypeFloat64: 8}
	kinds := []error{data.ErrMagic, data.ErrTruncated, data.ErrTooLarge, data.ErrCorrupt}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := data.ReadIDX(bytes.NewReader(b))
		if err != nil {
			var fe *data.FormatError
			require.ErrorAs(t, err, &fe)
			known := false
			for _, k := range kinds {
				known = known || errors.Is(err, k)
			}
			require.True(t, known, err.Error())
			return
		}
		n := sizes[x.Type]
		require.NotZero(t, n)
		for _, d := range x.Dims {
			n *= d
		}
		require.Len(t, x.Data, n)
	})
}
