// Package cudasim is a driver.Driver that runs CUDA kernels without a GPU by
// interpreting PTX: the subset below, which covers what nvcc 11.8 emits
// for tapegrad's kernels and for ordinary f32/f64/integer CUDA C (SIMT
// code, shared memory, atomics, warp intrinsics) for compute_70 up to
// compute_90.
//
// It exists so that every kernel of the CUDA backend can be checked against
// the CPU reference in CI, and so that a user can select the "cudasim"
// device to debug a kernel: where a GPU returns garbage or hangs, cudasim
// stops the launch with a *Fault that names the kernel, the PTX line (and
// the CUDA file and line, when the PTX was built with -lineinfo or -G),
// the thread, the block and the address. Fault kinds:
//
//   - OutOfBounds: a global, shared, local or parameter access outside its
//     allocation, block, frame or buffer (including use after Free and
//     writes to .const data);
//   - Misaligned: an address that is not a multiple of the access size;
//   - UninitRead: a read of shared memory no thread of the block wrote in
//     this launch; a load or atomic reading device memory from Alloc that
//     neither the host (CopyHtoD, Memset, CopyDtoD of written bytes) nor a
//     kernel has written, as compute-sanitizer's initcheck reports it
//     (WithInitCheck); or an uninitialised value used as an address, a
//     branch or guard predicate, or data stored to global or shared memory;
//   - Race: two threads touching one shared word between the same two
//     barriers, at least one writing (atomics, and lanes of one warp in one
//     instruction, never race). A read of a word that no thread has
//     written yet is judged when the barrier interval ends: a race if
//     another warp writes the word later in the interval, an uninitialised
//     read otherwise. Any access to the destination of a cp.async still in
//     flight (before the issuing thread's cp.async.wait_group or wait_all
//     that covers it) is a race too, even with race checking off;
//   - BarrierDivergence and Deadlock: threads waiting at different
//     bar.sync instructions, or at barriers and warp-synchronous
//     instructions that the others never reach;
//   - Trap (trap, a failed device assert), StepLimit (a block that runs
//     past its time limit, 5 s of wall-clock time by default, or its step
//     limit; the fault names a thread that was spinning, not one waiting
//     after the loop) and Unsupported (an internal simulator error).
//
// # Supported PTX
//
// Types: .b8 to .b64, .u8 to .u64, .s8 to .s64, .f32, .f64 and .pred;
// .f16, .bf16, their pairs .f16x2 and .bf16x2, and .tf32 as .b16/.b32
// data and in cvt. Instructions:
//
//   - integer: add, sub, mul, mad (.lo, .hi, .wide, .sat, .cc), addc,
//     subc, madc, mul24, mad24, div, rem, min, max, abs, neg, not, cnot,
//     popc, clz, brev, bfind, bfe, bfi, prmt, sad, shf, shl, shr, and, or,
//     xor;
//   - f32 and f64 (.rn, .rz, .rm, .rp, .ftz, .sat, .approx, .full): add,
//     sub, mul, fma, mad, div, min, max (.NaN), abs, neg, rcp, sqrt, rsqrt,
//     ex2, lg2, sin, cos, tanh, copysign, testp;
//   - setp (with .and, .or, .xor), selp, slct, mov (with vector packing,
//     as nvcc packs and unpacks half pairs), cvt between those types (.rni
//     and friends, .sat, .ftz), cvta, isspacep;
//   - cvt to .f16, .bf16 (.rn, .rz, .rm, .rp, .relu, .satfinite) and
//     .tf32 (.rna, .rn, .rz, .satfinite) from floats and integers, rounded
//     once from the exact source; .f16x2 and .bf16x2 from two .f32 (the
//     first to the upper half); from .f16 and .bf16 to floats (exactly) and
//     integers. A NaN becomes the canonical NaN (0x7fff, or 0x7fffffff for
//     tf32), as on the hardware, where device.F16FromFloat32 keeps the payload;
//   - on .f16, .bf16, .f16x2 and .bf16x2 (pairs: each half on its own):
//     add, sub, mul, fma (.rn, .ftz, .sat, .relu), min, max (.NaN), neg,
//     abs, ex2.approx and setp (pairs set p from the low halves and q from
//     the high ones). Each result is the exact result rounded once to
//     nearest even (fma is not rounded through float64 first), a NaN result
//     is 0x7fff, and ex2.approx is correctly rounded;
//   - ld, ldu, st (.v2, .v4; global, shared, local, param, const and
//     generic addresses; cache and ordering qualifiers are accepted and
//     have no effect), atom and red (integer; f32 and f64 add), prefetch;
//   - bra, call (direct, non-recursive, to device functions with .param
//     arguments, and the vprintf and __assertfail builtins), ret, exit,
//     trap, brkpt;
//   - mma.sync.aligned.row.col: m16n8k16 and m16n8k8 with .f16 or .bf16
//     inputs and .f32 accumulators (.f16 inputs also with .f16 ones), and
//     m16n8k8 and m16n8k4 with .tf32 inputs (the low 13 bits of a tf32
//     register are ignored: truncated, as the PTX ISA states for wgmma's
//     tf32 inputs), with the fragment layouts of the PTX ISA. All 32 lanes of the warp must execute
//     it together (a divergent mma is a BarrierDivergence fault). Each
//     output element is C plus its k products, exact in float64, summed in
//     float64 and rounded once to nearest (a NaN is the canonical NaN;
//     float64 sums of widely spread terms can round before that final
//     rounding). Real tensor cores differ in the
//     last bits: they align the products to the largest exponent and
//     truncate the bits shifted out, normalising and rounding (toward zero
//     on some GPUs) only once per group of products, so a result can differ
//     from cudasim's by a few float32 ulps of the largest term; tests of
//     tensor-core kernels should compare with a tolerance of that size;
//   - ldmatrix.sync.aligned.m8n8.{x1,x2,x4}{.trans}{.shared{::cta}}.b16,
//     with the lane layout of the PTX ISA, executed by all 32 lanes
//     together; each 16-byte row is a shared-memory read of the lane that
//     gave its address, checked like ld.shared (alignment, bounds,
//     initialisation, races);
//   - cp.async.{ca,cg}.shared{::cta}.global [d], [s], 4|8|16 with an
//     optional src-size (the rest zero-filled) or ignore-src predicate (and
//     cache hints, with createpolicy, which have no effect),
//     cp.async.commit_group, cp.async.wait_group N and cp.async.wait_all.
//     The copy is asynchronous: the source is read when it is issued, but
//     the bytes land only at the issuing thread's wait that covers the
//     copy's group, as writes of that thread at the wait, so other threads
//     need a bar.sync after it before they read them;
//   - bar.sync and barrier.sync without a thread count, bar.red (.popc,
//     .and, .or), bar.warp.sync, shfl.sync, vote.sync, match.sync,
//     activemask, membar, fence, nanosleep;
//   - the special registers %tid, %ntid, %ctaid, %nctaid, %laneid,
//     %warpid, %nwarpid, %smid, %nsmid, %gridid, %lanemask_*, %clock,
//     %clock64, %total_smem_size and %dynamic_smem_size.
//
// Not supported, and rejected by Load with a *ParseError that names the
// line and the feature: half-precision instructions other than those
// above (sqrt, rcp, tanh, set, min.xorsign.abs, directed rounding); cvt
// from .f16x2, .bf16x2 or .tf32 and any fp8, fp6 or fp4 type
// (cvt.rn.satfinite.e4m3x2.f32); other mma shapes and types (integer,
// fp8, fp64, sparse mma.sp), wmma, ldmatrix of other shapes, stmatrix;
// cp.async.bulk and mbarrier; redux.sync, elect.sync, dp4a, dp2a and lop3;
// barriers with a thread count and bar.arrive; set; textures, surfaces,
// alloca, cluster instructions and registers, %globaltimer; indirect and
// recursive calls; any other instruction or modifier not listed above.
// Nothing unsupported is ever skipped silently at run time.
//
// Register definedness is tracked like valgrind's memcheck: a result is
// defined where its operands are, and only the uses above fault, because
// nvcc itself copies undefined registers harmlessly along some paths.
//
// A module is parsed once into a pre-decoded program (typed operations,
// register slots, resolved branch targets, immediates and symbol addresses
// turned into constant slots), so execution never looks at a string.
// Blocks run in parallel over a pool of goroutines (WithWorkers); a block
// runs on one goroutine, its warps executing 32 lanes in lock step under
// an active mask. Lanes that diverge form groups with their own PC; the
// warp runs the group with the lowest PC, so groups meet again at the
// first instruction both paths reach, where they merge. A warp that stays
// diverged gives its other groups turns of 1024 instructions, as Volta's
// independent thread scheduling lets every lane progress, so that a lane
// holding a spin lock releases it while the rest of its warp spins.
// Warp-synchronous instructions (shfl, vote, match, bar.warp.sync) wait
// for the live lanes of their member mask; bar.sync waits for every
// thread of the block that has not exited. Global memory is shared
// between blocks and accessed with host atomics, so kernels that
// communicate through atomics (atomicCAS loops included) are race-free
// under Go's race detector too.
//
// Floating point follows PTX rather than Go where they differ: min/max NaN
// rules, canonical f32 NaNs, .ftz, .sat, the .rz/.rm/.rp rounding modes,
// saturating float-to-integer conversion, unordered comparisons, and
// integer division by zero (no panic). By default (ModeExact) every
// instruction is rounded as PTX defines it and the .approx functions
// return the correctly rounded value. ModeGPU (WithMode, or
// TAPEGRAD_CUDASIM_MODE=gpu) computes as ptxas-compiled code may on a
// GPU: a float mul (f32, f64, f16, bf16 or a pair) followed by an add or
// sub of its result, neither with a rounding modifier, becomes one fused
// multiply-add, and f32
// .approx results (and div.full) are moved, a few ulps at most, to the
// edge of the PTX ISA's error bound, in a direction fixed by a hash of the
// operands so that every run gives the same numbers. The bounds, from
// the PTX ISA: rcp 1 ulp and div.approx/div.full 2 ulp of the exact
// result; ex2 2 ulp of the correctly rounded result (exact at integers,
// as the hardware is and libdevice assumes); sqrt 2^-23, rsqrt 2^-22.9
// and tanh 2^-11 relative; lg2 2^-22 absolute on (0.5, 2) and relative
// elsewhere; sin and cos 2^-20.5 absolute on [-2pi, 2pi] and 2^-14.7 on
// [-100pi, 100pi] (beyond, where the ISA promises nothing, the result is
// kept). Zero, infinite, NaN and subnormal results are kept, and f64
// .approx results stay correctly rounded.
//
// Launch runs the kernel to completion before it returns, so its error is
// the kernel's fault, and Sync has nothing left to wait for.
package cudasim
