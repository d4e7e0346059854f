package safetensors

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

// writeHook, when a test sets it, wraps the writer WriteFile encodes to, so
// the test can make a write fail midway.
var writeHook func(io.Writer) io.Writer

// Encode writes f to w in the safetensors format. It checks f first and
// writes nothing if f is invalid, returning a *FormatError (with an empty
// File) for an unknown dtype, a negative dimension, data whose length does
// not match dtype and shape, a repeated or reserved ("__metadata__") name,
// or a name or metadata string that is not valid UTF-8. Otherwise it returns
// the first error of w, unwrapped.
//
// The header is compact JSON with "__metadata__" first (keys sorted) and
// then the tensors in data order: by decreasing element size, then by name.
// It is padded with spaces to a multiple of 8 bytes, so every tensor's data
// is aligned to its element size within the file.
func Encode(w io.Writer, f File) error {
	header, order, err := buildHeader(f)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, i := range order {
		if _, err := w.Write(f.Tensors[i].Data); err != nil {
			return err
		}
	}
	return nil
}

// buildHeader checks f and returns its padded JSON header and the order in
// which to write the tensors' data.
func buildHeader(f File) ([]byte, []int, error) {
	order := make([]int, len(f.Tensors))
	elemBits := make([]int, len(f.Tensors))
	seen := make(map[string]bool, len(f.Tensors))
	for i, t := range f.Tensors {
		if err := checkName(t.Name, seen); err != nil {
			return nil, nil, err
		}
		size, err := byteSize(t.Name, t.DType, t.Shape)
		if err != nil {
			return nil, nil, err
		}
		if size != uint64(len(t.Data)) {
			return nil, nil, &FormatError{Tensor: t.Name, Kind: ErrCorrupt,
				Reason: fmt.Sprintf("data is %d bytes, %s %v needs %d", len(t.Data), t.DType, t.Shape, size)}
		}
		order[i] = i
		elemBits[i] = dtypeBits[t.DType]
	}
	keys := make([]string, 0, len(f.Metadata))
	for k, v := range f.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, &FormatError{Kind: ErrCorrupt, Reason: fmt.Sprintf("metadata %q: %q is not valid UTF-8", k, v)}
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Larger elements first keeps every tensor aligned to its element size.
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(elemBits[b], elemBits[a]), cmp.Compare(f.Tensors[a].Name, f.Tensors[b].Name))
	})

	h := []byte{'{'}
	if len(keys) > 0 {
		h = appendJSONString(h, metadataKey)
		h = append(h, ":{"...)
		for i, k := range keys {
			if i > 0 {
				h = append(h, ',')
			}
			h = appendJSONString(h, k)
			h = append(h, ':')
			h = appendJSONString(h, f.Metadata[k])
		}
		h = append(h, '}')
	}
	var offset uint64
	for _, i := range order {
		t := f.Tensors[i]
		if len(h) > 1 {
			h = append(h, ',')
		}
		h = appendJSONString(h, t.Name)
		h = append(h, `:{"dtype":`...)
		h = appendJSONString(h, t.DType)
		h = append(h, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				h = append(h, ',')
			}
			h = strconv.AppendInt(h, int64(d), 10)
		}
		h = append(h, `],"data_offsets":[`...)
		h = strconv.AppendUint(h, offset, 10)
		h = append(h, ',')
		offset += uint64(len(t.Data))
		h = strconv.AppendUint(h, offset, 10)
		h = append(h, "]}"...)
	}
	h = append(h, '}')
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return h, order, nil
}

// checkName reports a name Encode cannot write, and records it in seen.
func checkName(name string, seen map[string]bool) error {
	reason := ""
	switch {
	case name == metadataKey:
		reason = "name is reserved for the metadata"
	case !utf8.ValidString(name):
		reason = "name is not valid UTF-8"
	case seen[name]:
		reason = "duplicate name"
	}
	if reason != "" {
		return &FormatError{Tensor: name, Kind: ErrCorrupt, Reason: reason}
	}
	seen[name] = true
	return nil
}

// appendJSONString appends s as a JSON string, escaped as serde_json (the
// reference implementation) does, so headers match it byte for byte.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// WriteFile writes f to path atomically (atomicfile.Write): it encodes f
// into a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory. On any error before the rename the
// temporary file is removed and whatever was at path is left untouched;
// temporary files an interrupted earlier save left are removed. A new file
// gets mode 0644; a replaced file keeps its permissions. Errors name path;
// an invalid f gives a *FormatError with File set to path, and nothing is
// written.
func WriteFile(path string, f File) error {
	if _, _, err := buildHeader(f); err != nil {
		return named(err, path)
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		if writeHook != nil {
			w = writeHook(w)
		}
		return Encode(w, f)
	})
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	return nil
}
