package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unicode/utf8"
)

// entry is one tensor of a parsed header.
type entry struct {
	name, dtype string
	shape       []int
	begin, end  uint64
}

// ReadFile reads and checks the safetensors file at path. Errors name path:
// a *FormatError for a malformed file, a wrapped *fs.PathError otherwise.
// It reads the header first (at most MaxHeaderSize bytes), checks it
// against the file's size, and only then reads the data section the header
// describes, as bytes arrive: memory follows the file, not what its header
// claims, and a device such as /dev/zero is refused instead of read
// without end.
func ReadFile(path string) (File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return File{}, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close() // read-only: a close error loses nothing
	f, err := decodeFile(fh, path)
	if err != nil {
		return File{}, named(err, path)
	}
	return f, nil
}

// ReadMetadata reads only the header of the safetensors file at path and
// returns its metadata, after checking the header as ReadFile does and the
// file's size against it; the data section is not read.
func ReadMetadata(path string) (map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close() // read-only: a close error loses nothing
	r := bufio.NewReader(fh)
	_, meta, total, n, err := decodeHeader(r)
	if err == nil {
		err = checkFileSize(fh, n, total)
	}
	if err != nil {
		return nil, named(err, path)
	}
	return meta, nil
}

// decodeFile decodes the file fh, refusing a regular file whose size
// disagrees with its header before reading the data section.
func decodeFile(fh *os.File, path string) (File, error) {
	r := bufio.NewReader(fh)
	entries, meta, total, n, err := decodeHeader(r)
	if err != nil {
		return File{}, err
	}
	if err := checkFileSize(fh, n, total); err != nil {
		return File{}, err
	}
	return decodeBody(r, entries, meta, total)
}

// checkFileSize compares a regular file's size with the 8+n header bytes
// and total data bytes its header describes; other files (pipes, devices)
// pass, and decodeBody finds their length by reading.
func checkFileSize(fh *os.File, n, total uint64) error {
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() || uint64(fi.Size()) < 8+n {
		return nil // the header was read, so a smaller file changed meanwhile: decodeBody decides
	}
	return checkDataLen(total, uint64(fi.Size())-8-n)
}

// Parse decodes a whole safetensors file held in data; name, usually the
// file's path, goes into errors. The returned tensors' Data alias data.
// A header length over MaxHeaderSize is refused before the header is read.
func Parse(data []byte, name string) (File, error) {
	if len(data) < 8 {
		return File{}, &FormatError{File: name, Kind: ErrTruncated,
			Reason: fmt.Sprintf("file is %d bytes, shorter than the 8-byte header length", len(data))}
	}
	n, err := headerLen(data[:8])
	if err != nil {
		return File{}, named(err, name)
	}
	if n > uint64(len(data)-8) {
		return File{}, &FormatError{File: name, Kind: ErrTruncated,
			Reason: fmt.Sprintf("header length %d exceeds the %d bytes that follow it", n, len(data)-8)}
	}
	entries, meta, total, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return File{}, named(err, name)
	}
	body := data[8+n:]
	if err := checkDataLen(total, uint64(len(body))); err != nil {
		return File{}, named(err, name)
	}
	return assemble(entries, meta, body), nil
}

// Decode reads one safetensors file from r, which must end where the file
// does. It reads the data section as it arrives, so memory follows the bytes
// r actually holds, not what the header claims. Errors are *FormatError
// with an empty File, or the first read error of r.
func Decode(r io.Reader) (File, error) {
	entries, meta, total, _, err := decodeHeader(r)
	if err != nil {
		return File{}, err
	}
	return decodeBody(r, entries, meta, total)
}

// decodeHeader reads the header length and the header from r and parses
// it: the entries in data order, the metadata, the data section's length
// and the header's.
func decodeHeader(r io.Reader) ([]entry, map[string]string, uint64, uint64, error) {
	var pre [8]byte
	if k, err := io.ReadFull(r, pre[:]); err != nil {
		if isEOF(err) {
			return nil, nil, 0, 0, &FormatError{Kind: ErrTruncated,
				Reason: fmt.Sprintf("file is %d bytes, shorter than the 8-byte header length", k)}
		}
		return nil, nil, 0, 0, err
	}
	n, err := headerLen(pre[:])
	if err != nil {
		return nil, nil, 0, 0, err
	}
	header, err := readN(r, n)
	if err != nil {
		if isEOF(err) {
			return nil, nil, 0, 0, &FormatError{Kind: ErrTruncated,
				Reason: fmt.Sprintf("header length %d exceeds the %d bytes that follow it", n, len(header))}
		}
		return nil, nil, 0, 0, err
	}
	entries, meta, total, err := parseHeader(header)
	return entries, meta, total, n, err
}

// decodeBody reads the total-byte data section from r, checks that r ends
// there, and assembles the file.
func decodeBody(r io.Reader, entries []entry, meta map[string]string, total uint64) (File, error) {
	body, err := readN(r, total)
	if err != nil && !isEOF(err) {
		return File{}, err
	}
	if err == nil {
		var one [1]byte
		k, rerr := io.ReadFull(r, one[:])
		if rerr != nil && rerr != io.EOF {
			return File{}, rerr
		}
		if k > 0 {
			return File{}, &FormatError{Kind: ErrCorrupt, Reason: "trailing bytes after the data section"}
		}
	}
	if err := checkDataLen(total, uint64(len(body))); err != nil {
		return File{}, err
	}
	return assemble(entries, meta, body), nil
}

// assemble builds a File whose tensors' Data alias body.
func assemble(entries []entry, meta map[string]string, body []byte) File {
	f := File{Tensors: make([]Tensor, len(entries)), Metadata: meta}
	for i, e := range entries {
		f.Tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: e.shape, Data: body[e.begin:e.end:e.end]}
	}
	return f
}

// isEOF reports whether err means the input ended.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// readN reads n bytes of r into a buffer that grows as bytes arrive. On a
// short read it returns what it got and io.ErrUnexpectedEOF.
func readN(r io.Reader, n uint64) ([]byte, error) {
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n)) // n ≤ math.MaxInt, checked by the callers' parsers
	if err == nil && uint64(got) < n {
		err = io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

// named sets the file name of a *FormatError and returns it.
func named(err error, file string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.File = file
	}
	return err
}

// headerLen decodes the 8-byte header length and refuses absurd ones.
func headerLen(b []byte) (uint64, error) {
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return 0, &FormatError{Kind: ErrTooLarge,
			Reason: fmt.Sprintf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)}
	}
	return n, nil
}

// checkDataLen compares the data section the header describes with the one
// present.
func checkDataLen(want, got uint64) error {
	switch {
	case got < want:
		return &FormatError{Kind: ErrTruncated,
			Reason: fmt.Sprintf("data section is %d bytes, the header describes %d", got, want)}
	case got > want:
		return &FormatError{Kind: ErrCorrupt,
			Reason: fmt.Sprintf("%d trailing bytes after the %d-byte data section", got-want, want)}
	}
	return nil
}

// parseHeader decodes and checks a JSON header. It returns the tensors in
// data order, the metadata, and the length of the data section they tile.
func parseHeader(h []byte) ([]entry, map[string]string, uint64, error) {
	corrupt := func(tensor, format string, args ...any) ([]entry, map[string]string, uint64, error) {
		return nil, nil, 0, &FormatError{Tensor: tensor, Kind: ErrCorrupt, Reason: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(h) {
		return corrupt("", "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return corrupt("", "header is not a JSON object")
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return corrupt("", "invalid JSON header: %s", jsonReason(err, "valid JSON"))
		}
		key, _ := tok.(string) // object keys are always strings
		if seen[key] {
			return corrupt(key, "duplicate name in header")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return corrupt("", "invalid JSON header: %s", jsonReason(err, "valid JSON"))
		}
		if key == metadataKey {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return corrupt("", "%s: %s", metadataKey, jsonReason(err, "an object of strings"))
			}
			continue
		}
		e, err := parseEntry(key, raw)
		if err != nil {
			return nil, nil, 0, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return corrupt("", "invalid JSON header: %s", jsonReason(err, "valid JSON"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return corrupt("", "header has more than one JSON value")
	}
	total, err := layout(entries)
	if err != nil {
		return nil, nil, 0, err
	}
	return entries, meta, total, nil
}

// parseEntry decodes and checks one tensor's header entry.
func parseEntry(name string, raw json.RawMessage) (entry, error) {
	bad := func(kind error, format string, args ...any) (entry, error) {
		return entry{}, &FormatError{Tensor: name, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	}
	var v struct {
		DType       *string   `json:"dtype"`
		Shape       *[]int64  `json:"shape"`
		DataOffsets *[]uint64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return bad(ErrCorrupt, "%s", jsonReason(err, "an object"))
	}
	switch {
	case v.DType == nil:
		return bad(ErrCorrupt, "entry has no dtype")
	case v.Shape == nil:
		return bad(ErrCorrupt, "entry has no shape")
	case v.DataOffsets == nil || len(*v.DataOffsets) != 2:
		return bad(ErrCorrupt, "data_offsets must be [begin, end]")
	}
	shape := make([]int, len(*v.Shape))
	for i, d := range *v.Shape {
		if d > math.MaxInt {
			return bad(ErrTooLarge, "dimension %d of shape %v overflows", d, *v.Shape)
		}
		shape[i] = int(d)
	}
	begin, end := (*v.DataOffsets)[0], (*v.DataOffsets)[1]
	switch {
	case begin > end:
		return bad(ErrCorrupt, "data_offsets [%d, %d] run backwards", begin, end)
	case end > math.MaxInt:
		return bad(ErrTooLarge, "data_offsets [%d, %d] overflow", begin, end)
	}
	size, err := byteSize(name, *v.DType, shape)
	if err != nil {
		return entry{}, err
	}
	if size != end-begin {
		return bad(ErrCorrupt, "data_offsets [%d, %d] hold %d bytes, but %s %v needs %d",
			begin, end, end-begin, *v.DType, shape, size)
	}
	return entry{name: name, dtype: *v.DType, shape: shape, begin: begin, end: end}, nil
}

// layout sorts entries into data order and checks that their byte ranges
// tile [0, total) exactly: the format allows no overlap and no hole.
func layout(entries []entry) (uint64, error) {
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var next uint64
	prev := ""
	for _, e := range entries {
		switch {
		case e.begin < next:
			return 0, &FormatError{Tensor: e.name, Kind: ErrCorrupt,
				Reason: fmt.Sprintf("data_offsets [%d, %d] overlap tensor %q, which ends at %d", e.begin, e.end, prev, next)}
		case e.begin > next:
			return 0, &FormatError{Tensor: e.name, Kind: ErrCorrupt,
				Reason: fmt.Sprintf("data_offsets [%d, %d] leave a hole of %d bytes at %d", e.begin, e.end, e.begin-next, next)}
		}
		if e.end > next {
			next, prev = e.end, e.name
		}
	}
	return next, nil
}

// jsonWant says what each header entry field must hold.
var jsonWant = map[string]string{
	"dtype":        "a string",
	"shape":        "an array of non-negative integers",
	"data_offsets": "[begin, end], non-negative integers",
}

// jsonReason describes a JSON decoding error in terms of the format, not of
// Go types; want is what the whole value should have been.
func jsonReason(err error, want string) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("got a JSON %s, want %s", te.Value, want)
	case te != nil:
		return fmt.Sprintf("%s: got a JSON %s, want %s", te.Field, te.Value, cmp.Or(jsonWant[te.Field], "a string"))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end"
	}
	return err.Error()
}
