// Package cuda is the CUDA backend of tapegrad: CUDA C kernels for every
// op of device.Backend (src/*.cu, compiled by `make ptx` into ptx/*.ptx,
// committed and embedded), and the Go code that picks a kernel per call,
// sizes its launch and marshals its arguments over a driver.Driver.
//
// Two drivers run the same kernels. The default build registers the
// "cudasim" device, whose driver is the cudasim simulator (the PTX
// interpreted on the CPU, with bounds, alignment, race and barrier
// checks); building with -tags cuda adds the "cuda:N" devices, whose
// driver calls the CUDA driver API (through cgo and gorgonia's cu
// package) on the calling goroutine: each call pins it to its OS thread
// and makes the device's primary context current there, so an op costs
// no thread hop. That build loads fatbin/*.fatbin (sm_80 and sm_90 code
// beside the compute_70 PTX; the tensor-core matmul is compute_80 code,
// loaded only on compute capability 8.0 and newer). Every driver is wrapped in a
// driver.Counting (Backend.DriverCounts) and a tracker that names the
// last kernel launched in a device fault; TAPEGRAD_CUDA_SYNC=1 waits for
// each kernel so that a fault is reported by its own launch.
//
// Kernels are named <op>_<dtype> (f32, f64, i32, bf16, f16), with _vec_
// variants for contiguous, 16-byte aligned operands, and take layouts as
// by-value descriptor structs (struct Strided in src/common.cuh) that the
// Go side marshals little-endian byte for byte, straight into the
// backend's reused driver.Args, so that queueing an op allocates nothing
// on the Go heap (TestHostAllocsPerOp; BenchmarkHostCost times it over
// the Null driver).
// Every 1-D kernel is a grid-stride loop with 256-thread blocks, so a grid
// capped at a few waves per multiprocessor covers any size.
//
// BFloat16 and Float16 kernels are the float32 templates instantiated with
// a 16-bit storage type (widen and narrow in src/common.cuh): elements are
// loaded into float32, computed on in float32 (sums, softmax rows, matmul
// tiles and products included) and rounded to nearest even once, on
// store; their scalars (the p of Unary and Binary, optimizer
// hyper-parameters, the fill value) are float32. Casts to a half from
// float64 or int32, and the random streams, round through float32. The
// PTX stays compute_70: Float16 conversions are cvt.rn.f16.f32 and
// cvt.f32.f16, BFloat16 ones a branch-free integer rounding that gives
// device.BF16FromFloat32's bits (NaN included) on every GPU and in
// cudasim. IndexAdd and ScatterAdd on a half dst accumulate in float32
// scratch (dst widened, float32 atomics, one rounding back), since
// atomics on the halves themselves would round at every add. MatMul
// also takes half A and B with a float32 C (matmul_<h>_f32: the float32
// sums unrounded); these SIMT kernels run on every GPU and in cudasim.
//
// Device memory comes from a caching allocator with size-binned free
// lists; Memory reports its live, cached and peak bytes. Work is queued
// in stream order: errors a kernel finds on the device (an int32
// division by zero, an index or label out of range) are recorded in a
// status word and surface at the next Sync or Read, naming the op and the
// bad value, so no op reads its inputs back to check them.
//
// Differences from the CPU reference, all within the conformance
// tolerances: float32 elementwise math uses libdevice's single-precision
// functions (a few ulps); float sums accumulate in double but in a tree;
// IndexAdd and ScatterAdd add with atomics, in no fixed order. Pooling
// positions are trusted: the backend computes them itself.
//
// It also implements the optional kernels device.Sorter and
// device.Scanner (src/sort.cu, Float32/Float64/Int32 and the halves): a
// bitonic sort of (value, position) pairs, in shared memory for rows of
// at most 2048; beyond, every step whose stride is below 2048 runs in
// shared-memory tiles and the larger strides two a launch (20 launches
// for a row of 100000), and a first k of at most 256 (TopK) is selected
// by rounds of chunk sorts that keep each chunk's first k (two launches
// for a row of 100000); every path gives exactly the CPU's stable order.
// A cumulative sum per row with a fixed scan tree, float32 accumulating
// in float32 (the CPU uses float64).
package cuda
