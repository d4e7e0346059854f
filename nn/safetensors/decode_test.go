package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// rawFile lays out a file from a header and data section, as given.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestParseErrors(t *testing.T) {
	rng := newRand(t)
	const name = "model.safetensors"
	one := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	two := func(a, b string) string {
		return `{"a":{"dtype":"F32","shape":[2],"data_offsets":` + a + `},"b":{"dtype":"I32","shape":[1],"data_offsets":` + b + `}}`
	}
	entry := func(e string) string { return `{"w":` + e + `}` }
	tests := []struct {
		name   string
		input  []byte
		kind   error
		tensor string
		reason string
	}{
		{"empty file", nil, safetensors.ErrTruncated, "", "file is 0 bytes, shorter than the 8-byte header length"},
		{"short length", []byte{8, 0, 0}, safetensors.ErrTruncated, "", "file is 3 bytes"},
		{"absurd header length", binary.LittleEndian.AppendUint64(nil, 1<<62), safetensors.ErrTooLarge, "", "exceeds the 100000000-byte limit"},
		{"header just over limit", binary.LittleEndian.AppendUint64(nil, safetensors.MaxHeaderSize+1), safetensors.ErrTooLarge, "", "limit"},
		{"header past end of file", append(binary.LittleEndian.AppendUint64(nil, 64), "{}"...), safetensors.ErrTruncated, "", "header length 64 exceeds the 2 bytes"},
		{"invalid JSON", rawFile(`{"w":{"dtype":`, nil), safetensors.ErrCorrupt, "", "invalid JSON header: unexpected end"},
		{"missing comma", rawFile(`{"a" 1}`, nil), safetensors.ErrCorrupt, "", "invalid JSON header: expected colon after object key"},
		{"not an object", rawFile(`[1,2]`, nil), safetensors.ErrCorrupt, "", "not a JSON object"},
		{"empty header", rawFile(``, nil), safetensors.ErrCorrupt, "", "not a JSON object"},
		{"invalid UTF-8", rawFile("{\"\xff\":1}", nil), safetensors.ErrCorrupt, "", "UTF-8"},
		{"two JSON values", rawFile(`{}{}`, nil), safetensors.ErrCorrupt, "", "more than one JSON value"},
		{"garbage after JSON", rawFile(`{}  x`, nil), safetensors.ErrCorrupt, "", "more than one JSON value"},
		{"entry not an object", rawFile(entry(`[1]`), nil), safetensors.ErrCorrupt, "w", "got a JSON array, want an object"},
		{"unknown dtype", rawFile(entry(`{"dtype":"F128","shape":[1],"data_offsets":[0,16]}`), randBytes(rng, 16)),
			safetensors.ErrDType, "w", `unknown dtype "F128"`},
		{"negative dimension", rawFile(entry(`{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}`), randBytes(rng, 16)),
			safetensors.ErrCorrupt, "w", "negative dimension in shape [2 -2]"},
		{"fractional dimension", rawFile(entry(`{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}`), randBytes(rng, 10)),
			safetensors.ErrCorrupt, "w", "shape: got a JSON number 2.5, want an array of non-negative integers"},
		{"shape overflow", rawFile(entry(`{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}`), nil),
			safetensors.ErrTooLarge, "w", "overflows"},
		{"missing dtype", rawFile(entry(`{"shape":[2],"data_offsets":[0,8]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "no dtype"},
		{"missing shape", rawFile(entry(`{"dtype":"F32","data_offsets":[0,8]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "no shape"},
		{"missing offsets", rawFile(entry(`{"dtype":"F32","shape":[2]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "data_offsets must be [begin, end]"},
		{"three offsets", rawFile(entry(`{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "data_offsets must be"},
		{"negative offset", rawFile(entry(`{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "data_offsets: got a JSON number -8"},
		{"dtype not a string", rawFile(entry(`{"dtype":4,"shape":[2],"data_offsets":[0,8]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "dtype: got a JSON number, want a string"},
		{"offsets backwards", rawFile(entry(`{"dtype":"F32","shape":[2],"data_offsets":[8,0]}`), randBytes(rng, 8)), safetensors.ErrCorrupt, "w", "run backwards"},
		{"offsets overflow", rawFile(entry(`{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}`), nil),
			safetensors.ErrTooLarge, "w", "overflow"},
		{"offsets disagree with shape", rawFile(entry(`{"dtype":"F32","shape":[3],"data_offsets":[0,8]}`), randBytes(rng, 8)),
			safetensors.ErrCorrupt, "w", "data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12"},
		{"packed dtype, partial byte", rawFile(entry(`{"dtype":"F4","shape":[3],"data_offsets":[0,1]}`), randBytes(rng, 1)),
			safetensors.ErrCorrupt, "w", "not a whole number of bytes"},
		{"overlap", rawFile(two("[0,8]", "[4,8]"), randBytes(rng, 8)), safetensors.ErrCorrupt, "b", `overlap tensor "a"`},
		{"hole", rawFile(two("[0,8]", "[12,16]"), randBytes(rng, 16)), safetensors.ErrCorrupt, "b", "hole of 4 bytes at 8"},
		{"not starting at 0", rawFile(two("[4,12]", "[12,16]"), randBytes(rng, 16)), safetensors.ErrCorrupt, "a", "hole of 4 bytes at 0"},
		{"data truncated", rawFile(one, randBytes(rng, 5)), safetensors.ErrTruncated, "", "data section is 5 bytes, the header describes 8"},
		{"trailing garbage", rawFile(one, randBytes(rng, 11)), safetensors.ErrCorrupt, "", "trailing bytes"},
		{"duplicate name", rawFile(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, randBytes(rng, 2)),
			safetensors.ErrCorrupt, "w", "duplicate name"},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), safetensors.ErrCorrupt, "__metadata__", "duplicate name"},
		{"metadata not strings", rawFile(`{"__metadata__":{"epoch":3}}`, nil), safetensors.ErrCorrupt, "", "__metadata__: got a JSON number, want an object of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(err error, file string) {
				t.Helper()
				var fe *safetensors.FormatError
				require.ErrorAs(t, err, &fe)
				require.ErrorIs(t, err, tt.kind)
				require.Equal(t, file, fe.File)
				require.Equal(t, tt.tensor, fe.Tensor)
				require.Contains(t, fe.Reason, tt.reason)
				require.True(t, strings.HasPrefix(err.Error(), "safetensors: "+file), err.Error())
			}
			_, err := safetensors.Parse(tt.input, name)
			check(err, name)
			_, err = safetensors.Decode(bytes.NewReader(tt.input))
			check(err, "")
		})
	}
}

func TestParseAcceptsReferenceVariants(t *testing.T) {
	rng := newRand(t)
	tests := []struct {
		name   string
		header string
		data   int
	}{
		{"every dtype", `{` +
			`"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},` +
			`"c":{"dtype":"U64","shape":[1],"data_offsets":[16,24]},"d":{"dtype":"C64","shape":[1],"data_offsets":[24,32]},` +
			`"e":{"dtype":"F32","shape":[1],"data_offsets":[32,36]},"f":{"dtype":"I32","shape":[1],"data_offsets":[36,40]},` +
			`"g":{"dtype":"U32","shape":[1],"data_offsets":[40,44]},"h":{"dtype":"F16","shape":[1],"data_offsets":[44,46]},` +
			`"i":{"dtype":"BF16","shape":[1],"data_offsets":[46,48]},"j":{"dtype":"I16","shape":[1],"data_offsets":[48,50]},` +
			`"k":{"dtype":"U16","shape":[1],"data_offsets":[50,52]},"l":{"dtype":"I8","shape":[1],"data_offsets":[52,53]},` +
			`"m":{"dtype":"U8","shape":[1],"data_offsets":[53,54]},"n":{"dtype":"BOOL","shape":[1],"data_offsets":[54,55]},` +
			`"o":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[55,56]},"p":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[56,57]},` +
			`"q":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[57,58]},"r":{"dtype":"F8_E4M3FNUZ","shape":[1],"data_offsets":[58,59]},` +
			`"s":{"dtype":"F8_E5M2FNUZ","shape":[1],"data_offsets":[59,60]},"t":{"dtype":"F4","shape":[2],"data_offsets":[60,61]},` +
			`"u":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[61,64]},"v":{"dtype":"F6_E3M2","shape":[4],"data_offsets":[64,67]}}`, 67},
		{"pretty-printed, out of order, unknown fields", "{\n  \"z\": {\"shape\": [2], \"dtype\": \"U8\", \"data_offsets\": [4, 6], \"extra\": true},\n" +
			"  \"__metadata__\": {\"format\": \"np\"},\n  \"y\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]}\n}\n", 6},
		{"zero-size tensors share an offset", `{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}}`, 0},
		{"null metadata", `{"__metadata__":null}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := rawFile(tt.header, randBytes(rng, tt.data))
			f, err := safetensors.Parse(input, "variant")
			require.NoError(t, err)
			g, err := safetensors.Decode(bytes.NewReader(input))
			require.NoError(t, err)
			require.Equal(t, f, g)
			var buf bytes.Buffer
			require.NoError(t, safetensors.Encode(&buf, f))
			back, err := safetensors.Parse(buf.Bytes(), "re-encoded")
			require.NoError(t, err)
			requireSameFile(t, f, back)
		})
	}
}

func TestParseDataOrder(t *testing.T) {
	rng := newRand(t)
	input := rawFile(`{"late":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"early":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, randBytes(rng, 4))
	f, err := safetensors.Parse(input, "order")
	require.NoError(t, err)
	require.Equal(t, "early", f.Tensors[0].Name)
	require.Equal(t, "late", f.Tensors[1].Name)
	require.Equal(t, input[len(input)-2:], f.Tensors[1].Data)
	_, ok := f.Get("missing")
	require.False(t, ok)
}
