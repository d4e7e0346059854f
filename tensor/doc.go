// Package tensor is tapegrad's eager, strided, device-resident tensor.
//
// A Tensor is a dtype, a shape, element strides and an offset into a
// buffer that lives on one device; views (Reshape, Transpose, Permute,
// Narrow, Index, Expand, Squeeze, Unsqueeze) share that buffer. Every op
// dispatches to the tensor's device.Backend and returns a new contiguous
// tensor; binary ops broadcast as NumPy does.
//
// DTypes are Float32 (the default), Float64, Int32, and the half-precision
// storage types BFloat16 and Float16: build those from device.BF16/F16
// bit patterns (New) or by Cast, read them back raw (BF16s, F16s) or as
// floats. Every float op accepts them, computing in float32 and rounding
// the result once; MatMulWith can keep a half product's float32 sums.
//
// Programmer errors (a shape, dtype or device mismatch, a bad axis or
// index, a nil *Tensor operand, a shape whose element count does not fit
// an int, a convolution or pooling window no backend can walk) panic
// with a *Error that names the op, the shapes, dtypes and devices; Try
// turns such a panic into an ordinary error. A backend failure inside an
// op (out of memory, a failed kernel launch) panics the same way,
// wrapping the backend's error, so Try catches it too; an allocation no
// device has room for wraps device.ErrOutOfMemory on every backend (the
// CPU's limit is its physical memory, see cpu.SetMemoryLimit). Every
// *Error has a kind that errors.Is matches: ErrShape, ErrDType,
// ErrDevice, ErrIndex (also for indices and labels a backend finds out of
// range), ErrValue, ErrOutOfMemory, and autograd's ErrReleased. Opening a
// device is the caller's business (device.Open), and returns an error as
// usual.
//
// Device buffers are returned to their backend when the last tensor that
// views them is garbage collected.
package tensor
