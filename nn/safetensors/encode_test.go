package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

func TestRoundTrip(t *testing.T) {
	rng := newRand(t)
	tests := []struct {
		name string
		file safetensors.File
	}{
		{"empty", safetensors.File{}},
		{"metadata only", safetensors.File{Metadata: map[string]string{"format": "pt", "step": "12"}}},
		{"scalar", safetensors.File{Tensors: []safetensors.Tensor{randTensor(t, rng, "s", "F32")}}},
		{"zero-size", safetensors.File{Tensors: []safetensors.Tensor{
			randTensor(t, rng, "e", "F32", 3, 0), randTensor(t, rng, "w", "F32", 2, 2)}}},
		{"mixed dtypes", safetensors.File{
			Metadata: map[string]string{"format": "pt"},
			Tensors: []safetensors.Tensor{
				randTensor(t, rng, "layer.0.weight", "F32", 3, 5),
				randTensor(t, rng, "labels", "I32", 7),
				randTensor(t, rng, "mask", "BOOL", 3),
				randTensor(t, rng, "ref", "F64", 2, 1, 2),
				randTensor(t, rng, "half", "BF16", 5),
				randTensor(t, rng, "step", "I64"),
				randTensor(t, rng, "packed", "F4", 6),
				randTensor(t, rng, "q", "U8", 9),
			}}},
		{"odd names", safetensors.File{Tensors: []safetensors.Tensor{
			randTensor(t, rng, "", "I8", 1),
			randTensor(t, rng, "quote\"back\\slash\ttab\x01<&>", "I16", 2),
			randTensor(t, rng, "ünïcode ✓", "U16", 3),
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, safetensors.Encode(&buf, tt.file))
			enc := buf.Bytes()
			require.Zero(t, binary.LittleEndian.Uint64(enc)%8, "header length not a multiple of 8")

			parsed, err := safetensors.Parse(enc, "rt.safetensors")
			require.NoError(t, err)
			requireSameFile(t, tt.file, parsed)

			decoded, err := safetensors.Decode(bytes.NewReader(enc))
			require.NoError(t, err)
			require.Equal(t, parsed, decoded)

			// Deterministic: the same tensors in another order encode to the same bytes.
			rev := tt.file
			rev.Tensors = append([]safetensors.Tensor(nil), tt.file.Tensors...)
			for i, j := 0, len(rev.Tensors)-1; i < j; i, j = i+1, j-1 {
				rev.Tensors[i], rev.Tensors[j] = rev.Tensors[j], rev.Tensors[i]
			}
			var again bytes.Buffer
			require.NoError(t, safetensors.Encode(&again, rev))
			require.Equal(t, enc, again.Bytes())
		})
	}
}

// TestDataAligned checks that every tensor's data starts at a multiple of its
// element size within the file, whatever the mix of dtypes and lengths.
func TestDataAligned(t *testing.T) {
	rng := newRand(t)
	dtypes := []string{"U8", "I16", "F32", "F64", "BF16", "I64", "BOOL", "I32"}
	var f safetensors.File
	for i := range 40 {
		f.Tensors = append(f.Tensors, randTensor(t, rng, string(rune('a'+i%26))+string(rune('0'+i/26)),
			dtypes[rng.IntN(len(dtypes))], 1+rng.IntN(5), 1+rng.IntN(3)))
	}
	var buf bytes.Buffer
	require.NoError(t, safetensors.Encode(&buf, f))
	got, err := safetensors.Parse(buf.Bytes(), "aligned")
	require.NoError(t, err)
	enc := buf.Bytes()
	for _, tt := range got.Tensors {
		bits, _ := safetensors.DTypeBits(tt.DType)
		off := offsetIn(enc, tt.Data)
		require.GreaterOrEqual(t, off, 0, tt.Name)
		require.Zero(t, off%(bits/8), "%s (%s) at file offset %d", tt.Name, tt.DType, off)
	}
}

// offsetIn returns where the non-empty sub-slice sub starts in b, or -1.
func offsetIn(b, sub []byte) int {
	for i := range b {
		if &b[i] == &sub[0] {
			return i
		}
	}
	return -1
}

// TestKnownGood checks Encode byte for byte against files laid out by hand
// from the format's description (the first three are the reference
// implementation's own test vectors), and that Parse reads them back.
func TestKnownGood(t *testing.T) {
	f32 := func(v ...float32) []byte {
		b := make([]byte, 0, 4*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	f64 := func(v ...float64) []byte {
		b := make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	file := func(header string, data ...[]byte) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		b = append(b, header...)
		for _, d := range data {
			b = append(b, d...)
		}
		return b
	}
	tests := []struct {
		name string
		file safetensors.File
		want []byte
	}{
		{"empty", safetensors.File{}, file("{}      ")},
		{"metadata", safetensors.File{Metadata: map[string]string{"framework": "pt"}},
			file(`{"__metadata__":{"framework":"pt"}}     `)},
		{"one tensor, no padding", safetensors.File{Tensors: []safetensors.Tensor{
			{Name: "attn.0", DType: "F32", Shape: []int{1, 2, 3}, Data: f32(0, 1, 2, 3, 4, 5)}}},
			file(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, f32(0, 1, 2, 3, 4, 5))},
		{"padded", safetensors.File{Tensors: []safetensors.Tensor{
			{Name: "attn0", DType: "F32", Shape: []int{1, 1, 2, 3}, Data: f32(0, 1, 2, 3, 4, 5)}}},
			file(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `, f32(0, 1, 2, 3, 4, 5))},
		{"mixed, larger elements first then by name", safetensors.File{
			Metadata: map[string]string{"step": "3", "format": "pt"},
			Tensors: []safetensors.Tensor{
				{Name: "c", DType: "I32", Shape: []int{}, Data: []byte{7, 0, 0, 0}},
				{Name: "a", DType: "F32", Shape: []int{1, 2}, Data: f32(1.5, -2)},
				{Name: "b", DType: "F64", Shape: []int{2}, Data: f64(math.Pi, -0.25)},
			}},
			file(`{"__metadata__":{"format":"pt","step":"3"},`+
				`"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},`+
				`"a":{"dtype":"F32","shape":[1,2],"data_offsets":[16,24]},`+
				`"c":{"dtype":"I32","shape":[],"data_offsets":[24,28]}}`,
				f64(math.Pi, -0.25), f32(1.5, -2), []byte{7, 0, 0, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, safetensors.Encode(&buf, tt.file))
			require.Equal(t, string(tt.want), buf.String())
			got, err := safetensors.Parse(tt.want, "known.safetensors")
			require.NoError(t, err)
			requireSameFile(t, tt.file, got)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	rng := newRand(t)
	good := randTensor(t, rng, "good", "F32", 2)
	tests := []struct {
		name   string
		file   safetensors.File
		kind   error
		tensor string
		reason string
	}{
		{"unknown dtype", safetensors.File{Tensors: []safetensors.Tensor{{Name: "x", DType: "F128", Shape: []int{1}, Data: randBytes(rng, 16)}}},
			safetensors.ErrDType, "x", `unknown dtype "F128"`},
		{"data too short", safetensors.File{Tensors: []safetensors.Tensor{{Name: "x", DType: "F32", Shape: []int{2, 2}, Data: randBytes(rng, 12)}}},
			safetensors.ErrCorrupt, "x", "data is 12 bytes, F32 [2 2] needs 16"},
		{"negative dim", safetensors.File{Tensors: []safetensors.Tensor{{Name: "x", DType: "F32", Shape: []int{-1}}}},
			safetensors.ErrCorrupt, "x", "negative dimension"},
		{"duplicate", safetensors.File{Tensors: []safetensors.Tensor{good, good}},
			safetensors.ErrCorrupt, "good", "duplicate name"},
		{"reserved name", safetensors.File{Tensors: []safetensors.Tensor{{Name: "__metadata__", DType: "U8", Shape: []int{0}}}},
			safetensors.ErrCorrupt, "__metadata__", "reserved"},
		{"invalid UTF-8 name", safetensors.File{Tensors: []safetensors.Tensor{{Name: "\xff", DType: "U8", Shape: []int{0}}}},
			safetensors.ErrCorrupt, "\xff", "not valid UTF-8"},
		{"invalid UTF-8 metadata", safetensors.File{Metadata: map[string]string{"k": "\xc3"}},
			safetensors.ErrCorrupt, "", "not valid UTF-8"},
		{"partial byte", safetensors.File{Tensors: []safetensors.Tensor{{Name: "x", DType: "F4", Shape: []int{3}, Data: []byte{1}}}},
			safetensors.ErrCorrupt, "x", "not a whole number of bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := safetensors.Encode(&buf, tt.file)
			var fe *safetensors.FormatError
			require.ErrorAs(t, err, &fe)
			require.ErrorIs(t, err, tt.kind)
			require.Equal(t, tt.tensor, fe.Tensor)
			require.Contains(t, fe.Reason, tt.reason)
			require.Zero(t, buf.Len(), "Encode wrote before failing")
		})
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errInjected = errors.New("injected write failure")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errInjected
	}
	w.n -= len(p)
	return len(p), nil
}

func TestEncodeWriterFails(t *testing.T) {
	rng := newRand(t)
	f := safetensors.File{Tensors: []safetensors.Tensor{randTensor(t, rng, "a", "F32", 4), randTensor(t, rng, "b", "I32", 3)}}
	for _, n := range []int{0, 4, 8, 20, 90} {
		require.ErrorIs(t, safetensors.Encode(&failWriter{n: n}, f), errInjected, "fail after %d bytes", n)
	}
}
