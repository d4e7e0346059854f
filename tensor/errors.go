package tensor

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/tapegrad/tapegrad/device"
)

// The kinds of tensor error, for errors.Is: errors.Is(err, tensor.ErrShape)
// holds for every shape mismatch, whichever op raised it.
var (
	// ErrShape: operand shapes that do not fit the op (broadcasting,
	// inner dimensions, ranks, element counts).
	ErrShape = errors.New("shape mismatch")
	// ErrDType: an operand of the wrong element type.
	ErrDType = errors.New("dtype mismatch")
	// ErrDevice: operands on different devices.
	ErrDevice = errors.New("device mismatch")
	// ErrIndex: an axis, position, index or label out of range, raised by
	// the tensor layer or (device.ErrIndex) by a backend.
	ErrIndex = device.ErrIndex
	// ErrValue: an argument with a bad value (a nil operand, a stride of
	// 0, a negative count).
	ErrValue = errors.New("invalid argument")
	// ErrOutOfMemory: an allocation the device (or the CPU backend's
	// limit) cannot satisfy.
	ErrOutOfMemory = device.ErrOutOfMemory
	// ErrReleased: a backward pass through a graph an earlier pass
	// released (autograd raises it), or an op on a tensor whose buffer
	// was released (Release).
	ErrReleased = errors.New("graph already released")
)

// Error is the panic value of a failed tensor op: which op, why, and the
// operands' facts. Kind is one of the Err* kinds above (nil when none
// fits); Err holds an underlying backend error, if any. errors.Is matches
// either.
type Error struct {
	Op      string
	Msg     string
	Shapes  [][]int
	DTypes  []device.DType
	Devices []device.Device
	Kind    error
	Err     error
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// Error formats e as "tensor: Op: Msg (operands: [2 3] float32 cpu, ...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tensor: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if len(e.Shapes) > 0 {
		b.WriteString(" (operands:")
		for i, s := range e.Shapes {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %v %v %v", s, e.DTypes[i], e.Devices[i])
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying backend error.
func (e *Error) Unwrap() error { return e.Err }

// Try runs f and returns the *Error it panicked with, or nil. Other
// panics propagate.
func Try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if te, ok := r.(*Error); ok {
				err = te
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// fail panics with an *Error of kind naming op and the operands.
func fail(kind error, op string, operands []*Tensor, format string, args ...any) {
	e := newError(op, operands, nil, format, args...)
	e.Kind = kind
	panic(e)
}

func newError(op string, operands []*Tensor, err error, format string, args ...any) *Error {
	e := &Error{Op: op, Msg: fmt.Sprintf(format, args...), Err: err}
	for _, t := range operands {
		if t == nil {
			continue
		}
		e.Shapes = append(e.Shapes, t.Shape())
		e.DTypes = append(e.DTypes, t.dtype)
		e.Devices = append(e.Devices, t.Device())
	}
	return e
}

// check panics with a backend failure of op when err is non-nil. Ops call
// it right after the backend with every tensor whose buffer the backend
// used, which also keeps those tensors (and so their buffers, freed by
// finalizers) alive until the backend has returned.
func check(op string, err error, operands ...*Tensor) {
	if err != nil {
		// A released buffer is refused by the backend (CUDA) or empty
		// (CPU): say which, whatever the backend's words.
		for i, t := range operands {
			if t != nil && t.st.released.Load() {
				e := newError(op, operands, err, "operand %d was released (its buffer was freed by Release, or by a backward pass with ReleaseValues)", i)
				e.Kind = ErrReleased
				panic(e)
			}
		}
		panic(newError(op, operands, err, "backend failed"))
	}
	runtime.KeepAlive(operands)
}

// nonNil panics with an *Error naming op and the operand when one of ts
// is nil, which would otherwise die on a nil pointer dereference inside
// the op. Operands count from 0 in the order of the call, receiver first.
func nonNil(op string, ts ...*Tensor) {
	for i, t := range ts {
		if t == nil {
			panic(&Error{Op: op, Msg: fmt.Sprintf("operand %d is a nil *Tensor", i), Kind: ErrValue})
		}
	}
}
