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
// Beside Backend, a backend may implement optional kernels (optional.go:
// Sorter, Scanner). The tensor layer uses one when the backend has it and
// otherwise computes the op as a composition of Backend ops, so a backend
// can omit a kernel and stay correct, only slower.
//
// device imports nothing of this module.
package device
