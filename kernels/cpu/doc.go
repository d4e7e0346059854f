// Package cpu is tapegrad's pure-Go CPU backend: the reference every other
// backend is tested against, and the fallback where no GPU exists.
//
// Importing the package (usually blank, `import _ ".../kernels/cpu"`)
// registers device.CPU; device.Open(device.CPUDevice) then returns the one
// shared *Backend.
//
// Every kernel is written once with Go generics for float32 and float64
// (and int32 where integers make sense), with a contiguous fast path and a
// strided path that walks layouts incrementally, so transposed, sliced and
// broadcast (stride 0) views are read without a copy. Large work is split
// into ranges so that every output element is computed by one goroutine in
// a fixed order: results are bit-for-bit the same whatever the thread
// count. The calling goroutine and pooled workers claim the ranges (up to
// four per thread) as they go, and the caller waits only for ranges
// already running (parallel.go); a worker polls for its next group for
// 500 µs before parking, because waking a parked thread cost as much as the
// work of a small kernel. Float32 math is done in float64 and rounded once where
// that is cheap (reductions, softmax, optimizers, most unary ops); float32
// Exp, Log, Tanh and Sigmoid have float32 kernels within 1-2 ulp (AVX-512
// and AVX2 assembly with a Go loop of the same operations as fallback, all
// bit-identical), and GELU, Log1p and Expm1 float32 kernels within 2-4 ulp
// built on them (unary_more_f32.go; GELU in AVX-512 assembly); Sin, Cos
// and Tan have float32 kernels within 1 ulp (float64 Cody-Waite reduction
// and Taylor polynomials, trig_f32.go), and Erf and Pow ones within 1
// ulp (a float64 polynomial per half-unit piece, erf_f32.go; e^(p·log x)
// from float64 series, pow_f32.go), in Go and in AVX-512 and AVX2
// assembly on 8 and 4 float64 lanes, bit-identical. The exact
// float32 ops (Neg, Abs, Sign, Sqrt, ReLU, LeakyReLU, Add, Sub, Mul, Div
// and the fused ReLU, LeakyReLU, Sigmoid and Tanh gradients) and the row
// kernels of float32 softmax, its backward and cross-entropy (a row's max,
// exp with its float64 sum in 16 fixed lanes, scaling) have AVX-512 and
// AVX2 assembly too, with bit-identical Go loops. GEMM is
// a GotoBLAS-shaped packed GEMM accumulating in the element type: packed
// panels of A and B, an MR×NR register-tile micro-kernel (amd64 assembly
// for AVX-512F and AVX2+FMA, chosen at run time with golang.org/x/sys/cpu;
// a Go kernel under `-tags purego` and elsewhere), K split into slices
// fixed by size and goroutines into rectangles of C. Row-major operands
// are packed through an AVX-512 16×16 (float64: 8×8) or AVX2 8×8
// transpose, or read in place: a row-major B, and a row-major A through
// micro-kernels that take its row stride (the Lda kernels). The float32
// optimizer steps (SGD, Adam) run their float64 formulas on AVX lanes,
// bit-identical to the Go loops.
//
// The other assembly is FMAProbe's loop (amd64 AVX-512F and AVX+FMA; a Go
// loop under `-tags purego` and elsewhere), which the bench package times
// for the machine's peak, and the float sums of Reduce (AVX, eight
// float64 lanes per block whose order is fixed by the row length, and for
// column sums AVX-512 tiles that keep the lanes of 16 columns in
// registers; the same lanes in Go under `-tags purego`).
//
// BFloat16 and Float16 buffers hold 16-bit patterns. Fill, Copy and Cast
// work on them directly; every other op widens its half operands exactly
// into float32 scratch, runs the float32 kernel and rounds the outputs to
// nearest even (halfops.go; the conversions in AVX-512 or AVX2 assembly
// where the machine has it, half_amd64.s), so a half result is the float32 result
// rounded once, and sums, softmax, losses and matmul accumulate in float32
// or better, as PyTorch does on the CPU. MatMul of half operands writes a
// half C or, when C is Float32, the float32 sums unrounded. MatMulArgs.TF32
// is ignored: float32 products are always computed in full float32. A
// half Uniform draw is a float32 draw rounded, which may round up to the
// upper bound.
//
// Work is synchronous: every method has finished when it returns, and Sync
// is a no-op.
//
// Alloc checks each request against a memory limit (the machine's physical
// memory unless SetMemoryLimit says otherwise) before making the slice,
// and fails with device.ErrOutOfMemory, as the CUDA backend does, where Go
// would end the process. Free (which tensor.Release and autograd's
// releases call) hands the slice to a cache of free lists by dtype and
// size class that Alloc takes from first, so a training step that
// releases its tape reuses its arrays instead of making garbage; the
// cache is bounded (SetCacheLimit, a quarter of the memory limit, idle
// arrays dropped at garbage collections, EmptyCache) and reported in
// Memory's Cached, Allocs and CacheHits (cache.go says why it is
// sound). A buffer the collector finds dead goes back to the Go heap, so
// no finalizer keeps memory alive. Reused memory is not cleared: with
// TAPEGRAD_CPU_POISON=1 every new buffer is filled with NaN, to catch
// code that relies on zeroed memory.
package cpu
