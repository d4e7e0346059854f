// Package safetensors reads and writes the safetensors checkpoint format
// used by PyTorch and Hugging Face.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// UTF-8 JSON header, then the raw little-endian tensor data. The header maps
// each tensor name to its dtype, shape and byte range ("data_offsets",
// relative to the start of the data section), plus an optional
// "__metadata__" object of string to string:
//
//	{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}
//
// The package works on bytes only: a Tensor is a name, a dtype string, a
// shape and its raw data. The nn layer adapts tensors to it; Float32s,
// FromFloat32s and their float64, int32, bfloat16 and float16 siblings
// convert the data (the half types as 16-bit patterns).
//
// Reading accepts every dtype of the format (see DTypeBits) and checks the
// whole file before returning anything: the header length against the file
// size and MaxHeaderSize, the JSON, each dtype, shape and byte range, and
// that the byte ranges tile the data section exactly, with no overlap, hole
// or trailing byte. A bad file gives a *FormatError that names the file and
// what is wrong, and matches one of ErrTruncated, ErrTooLarge, ErrCorrupt or
// ErrDType under errors.Is. Sizes come from the bytes actually present, never
// from what a header claims, so a lying header cannot make the reader
// allocate. ReadFile reads the header before the data (ReadMetadata reads
// only the header), so a file that never ends, such as /dev/zero, is
// refused instead of read into memory.
//
// Writing is deterministic: the header is compact JSON padded with spaces to
// a multiple of 8 bytes, and tensors are laid out by decreasing element size,
// then by name, which keeps every tensor aligned to its element size (the
// reference writer aligns the same way). WriteFile replaces a file
// atomically, through internal/atomicfile, the one atomic-write helper of
// this module.
//
// safetensors imports nothing else of this module.
package safetensors
