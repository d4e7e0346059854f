package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// FuzzDecode checks that Parse and Decode never panic, agree with each
// other, fail only with a *FormatError of a known kind, and that whatever
// they accept encodes and parses back to the same tensors.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: seeds must be stable across runs
	seeds := []safetensors.File{
		{},
		{Metadata: map[string]string{"format": "pt"}},
		{Tensors: []safetensors.Tensor{randTensor(f, rng, "w", "F32", 2, 3)}},
		{Tensors: []safetensors.Tensor{
			randTensor(f, rng, "a", "F64", 2), randTensor(f, rng, "b", "I32", 3),
			randTensor(f, rng, "c", "U8", 0), randTensor(f, rng, "d", "F4", 4), randTensor(f, rng, "e", "BF16"),
		}, Metadata: map[string]string{"k": "v", "": "\x00"}},
	}
	for _, s := range seeds {
		var buf bytes.Buffer
		require.NoError(f, safetensors.Encode(&buf, s))
		f.Add(buf.Bytes())
	}
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}`, make([]byte, 6)))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<40))

	kinds := []error{safetensors.ErrTruncated, safetensors.ErrTooLarge, safetensors.ErrCorrupt, safetensors.ErrDType}
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, perr := safetensors.Parse(data, "fuzz")
		decoded, derr := safetensors.Decode(bytes.NewReader(data))
		if perr != nil || derr != nil {
			require.Error(t, perr)
			require.Error(t, derr)
			for _, err := range []error{perr, derr} {
				var fe *safetensors.FormatError
				require.ErrorAs(t, err, &fe)
				known := false
				for _, k := range kinds {
					known = known || errors.Is(err, k)
				}
				require.True(t, known, err.Error())
			}
			return
		}
		require.Equal(t, parsed, decoded)
		var buf bytes.Buffer
		require.NoError(t, safetensors.Encode(&buf, parsed))
		back, err := safetensors.Parse(buf.Bytes(), "re-encoded")
		require.NoError(t, err)
		require.True(t, maps.Equal(parsed.Metadata, back.Metadata))
		require.Len(t, back.Tensors, len(parsed.Tensors))
		for _, want := range parsed.Tensors {
			got, ok := back.Get(want.Name)
			require.True(t, ok, want.Name)
			require.Equal(t, want.DType, got.DType)
			require.Equal(t, want.Shape, got.Shape)
			require.True(t, bytes.Equal(want.Data, got.Data))
		}
	})
}
