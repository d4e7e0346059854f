package driver

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Limits of one packed argument list: the kernels take a handful of
// scalars and pointers and at most three descriptors.
const (
	// MaxArgs is the most arguments an Args holds.
	MaxArgs = 64
	// MaxArgsBytes is the most bytes its blob holds.
	MaxArgsBytes = 4096
)

// argKind is the Go type an argument was given as, for Values.
type argKind uint8

const (
	kindPtr argKind = iota
	kindInt32
	kindUint32
	kindInt64
	kindUint64
	kindFloat32
	kindFloat64
	kindBytes
)

// Args is a kernel's argument list packed as cuLaunchKernel's
// kernelParams expect it: each value's little-endian bytes at an 8-byte
// aligned offset of one blob, so that a driver can point at them instead of
// boxing each value in an interface. An Args is reused: Reset empties it
// without freeing anything, so packing and launching allocate nothing.
//
// Going past MaxArgs or MaxArgsBytes does not panic: the Args records an
// error, which Err returns and every launch of it reports.
type Args struct {
	words [MaxArgsBytes / 8]uint64 // the blob, 8-byte aligned
	offs  [MaxArgs]int32
	kinds [MaxArgs]argKind
	sizes [MaxArgs]int32
	n     int // arguments
	end   int // bytes of the blob in use
	err   error
}

// Reset empties a and clears its error, and returns a for chaining.
func (a *Args) Reset() *Args {
	a.n, a.end, a.err = 0, 0, nil
	return a
}

// Err reports an argument list that did not fit.
func (a *Args) Err() error { return a.err }

// Len returns the number of arguments.
func (a *Args) Len() int { return a.n }

// Offset returns the byte offset of argument i in Blob; a multiple of 8.
func (a *Args) Offset(i int) int { return int(a.offs[i]) }

// Size returns the size in bytes of argument i.
func (a *Args) Size(i int) int { return int(a.sizes[i]) }

// Blob returns the packed bytes of every argument, padding included. It
// starts 8-byte aligned and is valid until the next Reset or append.
func (a *Args) Blob() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&a.words[0])), len(a.words)*8)[:a.end]
}

// slot reserves n bytes for the next argument at an 8-byte aligned
// offset and returns them zeroed, or nil when a is full.
func (a *Args) slot(k argKind, n int) []byte {
	at := (a.end + 7) &^ 7
	switch {
	case a.err != nil:
		return nil
	case n < 0:
		a.err = fmt.Errorf("kernel arguments: aggregate of %d bytes", n)
		return nil
	case a.n == MaxArgs:
		a.err = fmt.Errorf("kernel arguments: more than %d", MaxArgs)
		return nil
	case at+n > MaxArgsBytes:
		a.err = fmt.Errorf("kernel arguments: more than %d bytes", MaxArgsBytes)
		return nil
	}
	a.offs[a.n], a.kinds[a.n], a.sizes[a.n] = int32(at), k, int32(n)
	a.n++
	blob := unsafe.Slice((*byte)(unsafe.Pointer(&a.words[0])), MaxArgsBytes)
	clear(blob[a.end : at+n]) // the padding too, so that a blob's bytes depend on its values only
	a.end = at + n
	return blob[at : at+n : at+n]
}

func (a *Args) put32(k argKind, v uint32) {
	if b := a.slot(k, 4); b != nil {
		binary.LittleEndian.PutUint32(b, v)
	}
}

func (a *Args) put64(k argKind, v uint64) {
	if b := a.slot(k, 8); b != nil {
		binary.LittleEndian.PutUint64(b, v)
	}
}

// Ptr appends a device pointer.
func (a *Args) Ptr(p DevPtr) { a.put64(kindPtr, uint64(p)) }

// Int32 appends an int32.
func (a *Args) Int32(v int32) { a.put32(kindInt32, uint32(v)) }

// Uint32 appends a uint32.
func (a *Args) Uint32(v uint32) { a.put32(kindUint32, v) }

// Int64 appends an int64.
func (a *Args) Int64(v int64) { a.put64(kindInt64, uint64(v)) }

// Uint64 appends a uint64.
func (a *Args) Uint64(v uint64) { a.put64(kindUint64, v) }

// Float32 appends a float32.
func (a *Args) Float32(v float32) { a.put32(kindFloat32, math.Float32bits(v)) }

// Float64 appends a float64.
func (a *Args) Float64(v float64) { a.put64(kindFloat64, math.Float64bits(v)) }

// Bytes appends an aggregate passed by value (a C struct such as a
// shape/stride descriptor) of n bytes and returns them, zeroed, for the
// caller to fill in little-endian before the next append. When a is full
// it returns a throwaway slice and a reports the error.
func (a *Args) Bytes(n int) []byte {
	if b := a.slot(kindBytes, n); b != nil {
		return b
	}
	return make([]byte, max(n, 0))
}

// Values returns the arguments as the Go values Driver.Launch takes:
// DevPtr, int32, uint32, int64, uint64, float32, float64, or a copy of an
// aggregate's bytes. It allocates; drivers that are not PackedLaunchers
// get their arguments this way.
func (a *Args) Values() []any {
	le := binary.LittleEndian
	out := make([]any, a.n)
	blob := a.Blob()
	for i := range out {
		b := blob[a.offs[i] : int(a.offs[i])+int(a.sizes[i])]
		switch a.kinds[i] {
		case kindPtr:
			out[i] = DevPtr(le.Uint64(b))
		case kindInt32:
			out[i] = int32(le.Uint32(b))
		case kindUint32:
			out[i] = le.Uint32(b)
		case kindInt64:
			out[i] = int64(le.Uint64(b))
		case kindUint64:
			out[i] = le.Uint64(b)
		case kindFloat32:
			out[i] = math.Float32frombits(le.Uint32(b))
		case kindFloat64:
			out[i] = math.Float64frombits(le.Uint64(b))
		case kindBytes:
			out[i] = append([]byte(nil), b...)
		}
	}
	return out
}

// PackedLauncher is implemented by drivers that launch from an Args
// without boxing its values. LaunchPacked must behave exactly as
// Launch(f, grid, block, sharedBytes, a.Values()...) does; it must not
// keep a after it returns. A decorator that embeds a concrete driver
// promotes its LaunchPacked, bypassing the decorator's own Launch, so
// decorators override both or embed the Driver interface.
type PackedLauncher interface {
	LaunchPacked(f Function, grid, block Dim3, sharedBytes int, a *Args) error
}

// LaunchArgs launches f with the arguments a on d: through LaunchPacked
// when d is a PackedLauncher, else through Launch with a.Values(). An Args
// that did not fit is an error, and nothing is launched.
func LaunchArgs(d Driver, f Function, grid, block Dim3, sharedBytes int, a *Args) error {
	if a.err != nil {
		return a.err
	}
	if p, ok := d.(PackedLauncher); ok {
		return p.LaunchPacked(f, grid, block, sharedBytes, a)
	}
	return d.Launch(f, grid, block, sharedBytes, a.Values()...)
}
