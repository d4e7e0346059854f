// Package device names where tensors live and defines the contract every
// compute backend implements.
//
// A Device is an identity ("cpu", "cuda:0", "cudasim"); a Backend is the
// set of kernels that runs on it, grouped by op family (memory, unary,
// binary, reduce, matmul, softmax, indexing, conv, optim, random). Backends
// register themselves from init functions of their packages
// (kernels/cpu, kernels/cuda); a program links the backends it imports and
// reaches them only through Open, Default and Available.
//
// Kernels see Buffers and Layouts, never tensors: a Layout is a shape,
// element strides and an element offset, so every op can read strided and
// broadcast (stride 0) views without a copy. Outputs are contiguous unless
// an op says otherwise.
//
// The elementwise ops are declared once, in tables (elementwise.go): each
// UnaryOp and BinaryOp has a row with its kernel name, its float64
// reference, the domain tests draw its inputs from, and its cost. The
// kernel tests, the devicetest conformance rows, autograd's
// gradient-check cases and the bench rows are generated from the rows.
//
// Some ops are optional. The fused vector-Jacobian products among the
// binary ops (ReLUGrad, LeakyReLUGrad, SigmoidGrad, TanhGrad, GELUGrad:
// BinaryInfo.Fused) are there for speed: a backend may leave them out by
// returning an error that wraps ErrUnsupported from Binary, before it
// touches dst, and tensor.Binary then computes the same math as a
// composition of other ops (Where, Mul, Tanh, ...), a few kernels instead
// of one. So a new backend needs its forward kernels to run everything,
// and the fused ones only to run it fast, as Burn's backend traits give
// default implementations that a backend may override.
//
// Beside Backend, a backend may implement optional kernels (optional.go:
// Sorter, Scanner). The tensor layer uses one when the backend has it and
// otherwise computes the op as a composition of Backend ops, so a backend
// can omit a kernel and stay correct, only slower.
//
// device imports nothing of this module.
package device
