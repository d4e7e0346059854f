package device

// Buffer is a backend's storage for Len elements of one DType. Only the
// backend that allocated a Buffer may read it; the tensor layer holds it
// opaquely.
type Buffer interface {
	DType() DType
	Len() int
}

// Backend is the kernel contract every device implements, grouped by op
// family. Unless a method says otherwise:
//   - all buffers share one dtype, outputs (dst) are contiguous and
//     overwritten, and inputs are read through their Layouts, so strided
//     and broadcast (stride 0) views need no copy;
//   - the tensor layer has already checked shapes and dtypes, so a backend
//     may assume them valid; the errors it returns are its own (a failed
//     launch, out of memory, an unsupported dtype) and bad values in its
//     data: an index or label out of range, an int32 division by zero.
//     Values live on the device, so the backend checks them there: a
//     synchronous backend fails the op, an asynchronous one records the
//     first bad value and returns it from the next Sync or Read, naming
//     the op, the value and its position;
//   - the work may be asynchronous: results are visible to Read and to
//     later ops on the same backend, and Sync waits for everything queued.
type Backend interface {
	// Device returns the device this backend runs on.
	Device() Device
	// Info describes the device for humans (`tapegrad devices`).
	Info() Info
	// Memory returns the allocator's counters.
	Memory() MemStats
	// Sync waits until all queued work has finished and reports the first
	// asynchronous error.
	Sync() error

	// Memory family.

	// Alloc returns an uninitialised buffer of n elements (n may be 0).
	Alloc(dt DType, n int) (Buffer, error)
	// Free returns b to the backend. Freeing twice is a no-op.
	Free(b Buffer)
	// Write copies host data into dst; src is a []float32, []float64,
	// []int32, []BF16 or []F16 of dst's dtype and length.
	Write(dst Buffer, src any) error
	// Read copies src into host memory dst, a slice as for Write.
	Read(dst any, src Buffer) error
	// Fill sets every element dst's layout addresses to v.
	Fill(dst Buffer, dl Layout, v float64) error
	// Copy copies src to dst element by element; both layouts have the
	// same shape and either may be strided (dst must not overlap itself).
	// Other ops assume outputs do not alias inputs.
	Copy(dst Buffer, dl Layout, src Buffer, sl Layout) error
	// Cast converts src into dst of another dtype (float to int truncates
	// toward zero).
	Cast(dst Buffer, src Buffer, sl Layout) error

	// Elementwise family.

	// Unary computes dst[i] = op(src[i]; p) over sl's shape.
	Unary(op UnaryOp, p float64, dst Buffer, src Buffer, sl Layout) error
	// Binary computes dst[i] = op(a[i], b[i]; p). al and bl have the
	// output's shape; broadcasting is expressed by stride-0 dims. A
	// comparison may write a dst of another dtype (an Int32 mask of float
	// inputs); every other op writes the inputs' dtype. An Int32 division
	// by zero writes 0 and is an error, which an asynchronous backend
	// reports at the next Sync or Read. A backend may leave out the fused
	// VJP ops (BinaryInfo.Fused): it returns an error wrapping
	// ErrUnsupported, before touching dst, and the tensor layer computes
	// the op from others.
	Binary(op BinaryOp, p float64, dst Buffer, a Buffer, al Layout, b Buffer, bl Layout) error
	// Where computes dst[i] = cond[i] != 0 ? a[i] : b[i]; cond has dst's
	// dtype and all three layouts have the output's shape.
	Where(dst Buffer, cond Buffer, cl Layout, a Buffer, al Layout, b Buffer, bl Layout) error

	// Reduce family.

	// Reduce reduces the last nreduce dims of sl and writes the kept dims
	// contiguously to dst (callers permute reduced dims last: a stride
	// reorder, not a copy). ArgMax/ArgMin write Int32 row-major positions
	// within the reduced dims. Reducing zero elements gives 0 for Sum, NaN
	// for Mean and is an error for the rest.
	Reduce(op ReduceOp, dst Buffer, src Buffer, sl Layout, nreduce int) error

	// Matmul family.

	// MatMul computes C[b] = A[b] @ B[b] as MatMulArgs describes.
	MatMul(args MatMulArgs) error

	// Softmax family: contiguous [rows, cols] inputs, along cols.

	// Softmax writes softmax (or log-softmax when log) of src to dst.
	Softmax(dst, src Buffer, rows, cols int, log bool) error
	// SoftmaxBackward writes dx from the forward output y and its
	// gradient dy: y*(dy - Σ dy*y) for softmax, dy - exp(y)*Σ dy for
	// log-softmax.
	SoftmaxBackward(dx, y, dy Buffer, rows, cols int, log bool) error
	// CrossEntropy writes loss[r] = -Σ_c t[r,c]*logsoftmax(logits)[r,c]
	// with t = (1-s)*onehot(labels[r]) + s/cols for smoothing s; labels is
	// Int32 [rows], loss has the logits' dtype; a label outside [0, cols)
	// is an error (see above).
	CrossEntropy(loss, logits, labels Buffer, rows, cols int, smoothing float64) error
	// CrossEntropyBackward writes dlogits[r,c] = dloss[r]*(softmax[r,c]-t[r,c]).
	CrossEntropyBackward(dlogits, logits, labels, dloss Buffer, rows, cols int, smoothing float64) error

	// Indexing family. src and dst are contiguous [outer, n, inner] or
	// [outer, k, inner] blocks; idx is Int32, and an index outside [0, n)
	// is an error (see above) whose element is left alone or written 0.

	// IndexSelect: dst[o,j,i] = src[o, idx[j], i] for j < k; dst is [outer, k, inner].
	IndexSelect(dst, src, idx Buffer, outer, n, inner, k int) error
	// IndexAdd: dst[o, idx[j], i] += src[o,j,i]; dst is [outer, n, inner]
	// and is accumulated into, not overwritten.
	IndexAdd(dst, src, idx Buffer, outer, n, inner, k int) error
	// Gather: dst[o,j,i] = src[o, idx[o,j,i], i]; idx and dst are [outer, k, inner].
	Gather(dst, src, idx Buffer, outer, n, inner, k int) error
	// ScatterAdd: dst[o, idx[o,j,i], i] += src[o,j,i]; accumulates into dst.
	ScatterAdd(dst, src, idx Buffer, outer, n, inner, k int) error

	// Conv family: NCHW, contiguous.

	// Im2Col unfolds src [N,C,H,W] into dst [N, C*KH*KW, OH*OW] (zero padding).
	Im2Col(dst, src Buffer, p ConvParams) error
	// Col2Im folds src [N, C*KH*KW, OH*OW] into dst [N,C,H,W], summing
	// overlapping windows; dst is overwritten.
	Col2Im(dst, src Buffer, p ConvParams) error
	// MaxPool writes dst [N,C,OH,OW] and idx (Int32, same shape: the
	// argmax position within its H*W plane; padding never wins, the first
	// maximum in window order and NaN do; a window entirely in padding
	// writes 0 and index -1).
	MaxPool(dst, idx, src Buffer, p ConvParams) error
	// MaxPoolBackward routes dy [N,C,OH,OW] to dx [N,C,H,W] through idx;
	// dx is overwritten.
	MaxPoolBackward(dx, dy, idx Buffer, p ConvParams) error
	// AvgPool averages each window, dividing by KH*KW (padding counts, as
	// PyTorch's default count_include_pad).
	AvgPool(dst, src Buffer, p ConvParams) error
	// AvgPoolBackward spreads dy evenly back over each window into dx
	// (overwritten).
	AvgPoolBackward(dx, dy Buffer, p ConvParams) error

	// Optim family: fused in-place updates of n contiguous elements.

	// SGD updates param (and the momentum buffer mom, nil when
	// Momentum == 0) from grad, as SGDParams defines.
	SGD(param, grad, mom Buffer, n int, h SGDParams) error
	// Adam updates param and its moments m and v from grad, as AdamParams
	// defines.
	Adam(param, grad, m, v Buffer, n int, h AdamParams) error

	// Random family.

	// Rand fills n contiguous elements of dst (a float dtype) from the
	// Philox4x32-10 stream (seed, offset) as PhiloxUniform and
	// PhiloxNormal define, so every backend gives the same numbers.
	Rand(dst Buffer, n int, dist Dist, seed, offset uint64, a, b float64) error
}

// GarbageCollected is implemented by backends whose buffers are ordinary
// Go memory that the garbage collector reclaims by itself (the CPU). The
// tensor layer sets no finalizer on their buffers: an object waiting on a
// finalizer stays live for one more collection and counts toward the heap
// the collector paces itself by, which let a training loop's heap ratchet
// up by a batch of garbage every cycle. Such a backend keeps its own
// counters right (e.g. with runtime.AddCleanup) and Free stays optional.
type GarbageCollected interface {
	GarbageCollected() bool
}

// Info describes a device for humans.
type Info struct {
	Name        string // e.g. "NVIDIA H100 80GB HBM3" or "cpu (8 threads)"
	TotalMemory int64  // bytes; 0 when unknown
	Compute     string // compute capability, e.g. "9.0"; empty for the CPU
	SMs         int    // multiprocessors; 0 for the CPU
	Note        string // anything else worth a line
}

// MemStats are an allocator's counters, in bytes.
type MemStats struct {
	Live   int64 // held by live buffers (on a GC-managed device: not yet collected)
	Cached int64 // freed by buffers but kept for reuse
	Peak   int64 // the largest Live seen

	// The rest is reported by caching allocators (zero elsewhere).

	// PeakReserved is the largest Live+Cached seen: what the process held
	// from the device at most.
	PeakReserved int64
	// Allocs counts allocation requests, CacheHits those the cache served
	// without asking the driver.
	Allocs, CacheHits int64
	// Collections counts the garbage collections the allocator ran to get
	// dead buffers back: when device garbage outgrew its pressure
	// threshold, or the device was full.
	Collections int64
}

// Reserved returns the bytes held from the device: live plus cached.
func (m MemStats) Reserved() int64 { return m.Live + m.Cached }

// MatMulArgs describes a batched row-major product
// C[b] = opA(A[b]) @ opB(B[b]) for b < Batch, with opA(A[b]) M×K and
// opB(B[b]) K×N. Element (i, k) of opA(A[b]) is at
// AOffset + b*AStride + i*LDA + k, or AOffset + b*AStride + k*LDA + i when
// TransA; likewise B with (k, j). A batch stride of 0 broadcasts. C is
// contiguous [Batch, M, N] and overwritten.
//
// A and B share a dtype. C has it too, or is Float32 when A and B are
// half (BFloat16 or Float16): the products of half inputs accumulate in
// float32 on every backend, and such a C receives the float32 sums
// unrounded (what tensor cores do, and what autocast uses).
type MatMulArgs struct {
	Batch, M, N, K int

	A                Buffer
	AOffset, AStride int
	LDA              int
	TransA           bool

	B                Buffer
	BOffset, BStride int
	LDB              int
	TransB           bool

	C Buffer

	// TF32 lets a Float32 product round A and B to TF32 (10 mantissa
	// bits, rounded to nearest with ties away from zero, as cvt.rna.tf32)
	// and accumulate in float32 on tensor cores: PyTorch's
	// torch.backends.cuda.matmul.allow_tf32. A backend without such a mode
	// ignores it and computes in full float32.
	TF32 bool
}

// ConvParams describes a 2-D convolution or pooling window over an NCHW
// input. DilationH and DilationW space the window's taps (zero means 1,
// so callers that predate dilation keep working): tap (kh, kw) of output
// (oh, ow) reads input (oh·StrideH - PadH + kh·DilationH, ow·StrideW -
// PadW + kw·DilationW). Im2Col and Col2Im honour dilation; the pooling
// kernels take only dilation 1.
type ConvParams struct {
	N, C, H, W           int
	KH, KW               int
	StrideH, StrideW     int
	PadH, PadW           int
	DilationH, DilationW int
}

// Dilation returns the dilations with zero read as 1.
func (p ConvParams) Dilation() (dh, dw int) {
	dh, dw = max(p.DilationH, 1), max(p.DilationW, 1)
	return dh, dw
}

// SpanH returns the height a dilated window covers: (KH-1)·DilationH+1.
func (p ConvParams) SpanH() int { dh, _ := p.Dilation(); return (p.KH-1)*dh + 1 }

// SpanW returns the width a dilated window covers: (KW-1)·DilationW+1.
func (p ConvParams) SpanW() int { _, dw := p.Dilation(); return (p.KW-1)*dw + 1 }

// OutH returns the output height.
func (p ConvParams) OutH() int { return (p.H+2*p.PadH-p.SpanH())/p.StrideH + 1 }

// OutW returns the output width.
func (p ConvParams) OutW() int { return (p.W+2*p.PadW-p.SpanW())/p.StrideW + 1 }

// SGDParams are the hyper-parameters of one SGD step, as PyTorch defines
// it with dampening 0 and the momentum buffer starting at zero:
//
//	g = grad + WeightDecay*param
//	mom = Momentum*mom + g             (when Momentum != 0)
//	g = Nesterov ? g + Momentum*mom : mom
//	param -= LR*g
type SGDParams struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool
}

// AdamParams are the hyper-parameters of one Adam or AdamW step; Step is
// the 1-based step count used for bias correction:
//
//	if Decoupled: param *= 1 - LR*WeightDecay   (AdamW)
//	else:         g = grad + WeightDecay*param  (Adam's L2)
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g²
//	param -= LR * (m/(1-Beta1^Step)) / (sqrt(v/(1-Beta2^Step)) + Eps)
type AdamParams struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                          bool
	Step                               int
}

// FMAProber is implemented by backends that can run a compute-bound probe:
// independent chains of fused multiply-adds with no memory traffic, the
// tightest loop the device runs. The bench package times it between two
// Syncs to measure the device's peak FMA throughput, the ceiling that
// compute-bound rows are a percentage of.
type FMAProber interface {
	// FMAProbe queues a probe of about work fused multiply-adds in dtype dt
	// (Float32 or Float64) spread over the whole device (every core, every
	// multiprocessor) and returns the exact count it queued; a FLOP count
	// is twice that. The result of the chains is written to out, a buffer
	// of dt with at least one element, so no compiler can drop the loop.
	FMAProbe(dt DType, work int64, out Buffer) (fmas int64, err error)
}
