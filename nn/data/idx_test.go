package data_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn/data"
)

func TestReadIDX(t *testing.T) {
	rng := newRand(t)
	tests := []struct {
		name string
		typ  byte
		size int
		dims []uint32
	}{
		{"ubyte images", data.TypeUint8, 1, []uint32{3, 4, 5}},
		{"ubyte labels", data.TypeUint8, 1, []uint32{17}},
		{"signed bytes", data.TypeInt8, 1, []uint32{2, 2}},
		{"shorts", data.TypeInt16, 2, []uint32{3, 1}},
		{"ints", data.TypeInt32, 4, []uint32{5}},
		{"floats", data.TypeFloat32, 4, []uint32{2, 3}},
		{"doubles", data.TypeFloat64, 8, []uint32{1, 2, 1, 2}},
		{"empty", data.TypeUint8, 1, []uint32{0, 28, 28}},
	}
	for _, tt := range tests {
		n := tt.size
		dims := make([]int, len(tt.dims))
		for i, d := range tt.dims {
			n *= int(d)
			dims[i] = int(d)
		}
		payload := randBytes(rng, n)
		file := idxFile(tt.typ, tt.dims, payload)
		for _, enc := range []struct {
			name  string
			bytes []byte
		}{{"plain", file}, {"gzip", gz(t, file)}} {
			t.Run(tt.name+"/"+enc.name, func(t *testing.T) {
				check := func(x *data.IDX, err error) {
					t.Helper()
					require.NoError(t, err)
					require.Equal(t, tt.typ, x.Type)
					require.Equal(t, dims, x.Dims)
					require.Equal(t, payload, x.Data)
				}
				check(data.ReadIDX(bytes.NewReader(enc.bytes)))
				// One byte at a time: no reliance on large reads.
				check(data.ReadIDX(iotest.OneByteReader(bytes.NewReader(enc.bytes))))
				check(data.ReadIDXFile(writeFile(t, t.TempDir(), "x-idx", enc.bytes)))
			})
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	rng := newRand(t)
	good := idxFile(data.TypeUint8, []uint32{4, 4}, randBytes(rng, 16))
	goodGz := gz(t, good)
	flipped := bytes.Clone(goodGz)
	flipped[len(flipped)-8] ^= 0xff // first byte of the CRC-32
	tests := []struct {
		name   string
		input  []byte
		kind   error
		reason string
	}{
		{"empty", nil, data.ErrTruncated, "file is 0 bytes, shorter than the 4-byte magic"},
		{"short magic", []byte{0, 0, 8}, data.ErrTruncated, "file is 3 bytes"},
		{"nonzero magic", []byte{'P', 'K', 3, 4, 0, 0}, data.ErrMagic, "magic 0x504b0304 does not start with two zero bytes"},
		{"unknown type", idxFile(0x0A, []uint32{1}, []byte{1}), data.ErrMagic, "unknown element type 0x0a"},
		{"no dimensions", idxFile(data.TypeUint8, nil, nil), data.ErrMagic, "no dimensions"},
		{"truncated dimensions", idxFile(data.TypeUint8, []uint32{60000, 28, 28}, nil)[:10], data.ErrTruncated, "3 dimensions need 12 bytes, got 6"},
		{"dims overflow", idxFile(data.TypeFloat64, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil), data.ErrTooLarge, "exceed the 1073741824-byte limit"},
		{"dims absurd", idxFile(data.TypeFloat64, []uint32{1 << 31}, nil), data.ErrTooLarge, "dims [2147483648] of 8-byte elements"},
		{"truncated data", idxFile(data.TypeUint8, []uint32{60000, 28, 28}, randBytes(rng, 100)), data.ErrTruncated, "dims [60000 28 28] need 47040000 bytes of data, got 100"},
		{"truncated shorts", idxFile(data.TypeInt16, []uint32{3}, randBytes(rng, 5)), data.ErrTruncated, "need 6 bytes of data, got 5"},
		{"trailing bytes", append(bytes.Clone(good), 7), data.ErrCorrupt, "bytes after the 16 bytes of data"},
		{"gzip: truncated stream", goodGz[:len(goodGz)-12], data.ErrTruncated, ""},
		{"gzip: bad checksum", flipped, data.ErrCorrupt, "checksum"},
		{"gzip: bad header", []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0}, data.ErrCorrupt, "gzip header"},
		{"gzip: short header", []byte{0x1f, 0x8b, 8}, data.ErrTruncated, "gzip header"},
		{"gzip: garbage after stream", append(bytes.Clone(goodGz), "junk after the stream"...), data.ErrCorrupt, "invalid header"},
		{"gzip: short garbage after stream", append(bytes.Clone(goodGz), "junk"...), data.ErrTruncated, "reading end of file"},
		{"gzip: truncated trailer", goodGz[:len(goodGz)-3], data.ErrTruncated, "reading end of file"},
		{"gzip: trailing data inside", gz(t, append(bytes.Clone(good), 1, 2)), data.ErrCorrupt, "bytes after"},
		{"gzip: bad deflate", append(append([]byte{}, goodGz[:10]...), 0xff, 0xff, 0xff, 0xff), data.ErrCorrupt, "corrupt input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(err error, file string) {
				t.Helper()
				var fe *data.FormatError
				require.ErrorAs(t, err, &fe)
				require.ErrorIs(t, err, tt.kind)
				require.Equal(t, file, fe.File)
				require.Contains(t, fe.Reason, tt.reason)
				require.True(t, strings.HasPrefix(err.Error(), "data: "+file), err.Error())
			}
			_, err := data.ReadIDX(bytes.NewReader(tt.input))
			check(err, "")
			path := writeFile(t, t.TempDir(), "bad-idx1-ubyte", tt.input)
			_, err = data.ReadIDXFile(path)
			check(err, path)
		})
	}
}

func TestReadIDXReaderError(t *testing.T) {
	rng := newRand(t)
	boom := errors.New("disk on fire")
	file := idxFile(data.TypeUint8, []uint32{64}, randBytes(rng, 64))
	for _, cut := range []int{0, 2, 6, 30, len(file)} {
		r := io.MultiReader(bytes.NewReader(file[:cut]), iotest.ErrReader(boom))
		_, err := data.ReadIDX(r)
		require.ErrorIs(t, err, boom, "cut at %d", cut)
	}
	_, err := data.ReadIDXFile("/nonexistent/idx")
	require.ErrorContains(t, err, "/nonexistent/idx")
}

// A gzip IDX file whose header honestly declares 7.8 MB of zeros (8 KB
// compressed) is refused after its first MiB, without decompressing the
// rest: the 316 KB file of this kind declared 325 MB and took
// 1.9 GB of memory as pixels. Random data, which deflate cannot shrink,
// still reads.
func TestReadIDXRefusesGzipBomb(t *testing.T) {
	const images = 10000
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(idxFile(data.TypeUint8, []uint32{images, 28, 28}, nil))
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for left := images * 28 * 28; left > 0; left -= len(zeros) {
		_, err := zw.Write(zeros[:min(left, len(zeros))])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	t.Logf("bomb: %d bytes compressed", buf.Len())

	start := time.Now()
	_, err = data.ReadIDX(&buf)
	require.ErrorIs(t, err, data.ErrTooLarge)
	require.ErrorContains(t, err, "decompression bomb")
	t.Logf("refused in %v", time.Since(start))

	rng := newRand(t)
	plain := idxFile(data.TypeUint8, []uint32{3, 28, 28}, randBytes(rng, 3*28*28))
	x, err := data.ReadIDX(bytes.NewReader(gz(t, plain)))
	require.NoError(t, err)
	require.Equal(t, []int{3, 28, 28}, x.Dims)
	require.Equal(t, plain[16:], x.Data)
}
