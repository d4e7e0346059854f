// Reduce family: reduce the last dims of a strided layout. The Go side
// splits the layout into `outer` (the kept dims, with the offset) and
// `inner` (the reduced dims, offset 0), so row r, element j lives at
// outer.index(r) + inner.index(j); rows = outer's size, len = inner's.
//
// Reference loop, for every op:
//
//	for r in 0..rows:
//	    acc = identity
//	    for j in 0..len: acc = combine(acc, (src[outer.index(r) + inner.index(j)], j))
//	    dst[r] = finish(acc, len)
//
// Float sums accumulate in double (for f32 too: free next to the memory
// traffic, and within rounding of the CPU's float64 sums); int32 sums wrap
// like Go's int32 arithmetic. Max/Min propagate NaN; ArgMax/ArgMin write
// the first index on ties, and a NaN wins over every number (the first
// NaN among several), as NumPy does. BFloat16 and Float16 rows are read as
// float: sums and means accumulate in float and round to the half once,
// max and min are exact, and the accumulators in part[] are float ones.
//
// Four kernels per op and dtype, chosen by the Go side from the shape:
//   - reduce_<op>_<dt>:        a 256-thread block per (row, chunk), for long
//                              rows; with splits > 1 each block reduces one
//                              chunk of a row into part[], and
//   - reduce_<op>_final_<dt>:  a warp per row combines the splits partials;
//   - reduce_<op>_warp_<dt>:   a warp per row, for short contiguous rows;
//   - reduce_<op>_thread_<dt>: a thread per row, for reductions over a
//                              strided axis (consecutive threads read
//                              consecutive rows: coalesced).
#include "common.cuh"

enum ReduceOp { SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN };

#define REDUCE_BLOCK 256

// ArgAcc is a candidate position and its value. The double version
// names its padding, so copies to shared and global memory never move
// uninitialised bytes.
template <typename T>
struct ArgAcc {
    T v;
    int i;
};

template <>
struct ArgAcc<double> {
    double v;
    int i;
    int pad;
};

// shfl_xor exchanges an accumulator between lanes.
template <typename A>
__device__ __forceinline__ A shfl_xor(A a, int o) {
    return __shfl_xor_sync(TG_FULL_MASK, a, o);
}

template <>
__device__ __forceinline__ ArgAcc<float> shfl_xor(ArgAcc<float> a, int o) {
    return ArgAcc<float>{__shfl_xor_sync(TG_FULL_MASK, a.v, o), __shfl_xor_sync(TG_FULL_MASK, a.i, o)};
}

template <>
__device__ __forceinline__ ArgAcc<double> shfl_xor(ArgAcc<double> a, int o) {
    return ArgAcc<double>{__shfl_xor_sync(TG_FULL_MASK, a.v, o), __shfl_xor_sync(TG_FULL_MASK, a.i, o)};
}

template <>
__device__ __forceinline__ ArgAcc<int> shfl_xor(ArgAcc<int> a, int o) {
    return ArgAcc<int>{__shfl_xor_sync(TG_FULL_MASK, a.v, o), __shfl_xor_sync(TG_FULL_MASK, a.i, o)};
}

// SumAcc is the accumulator of a sum: double for float and double,
// float for the halves, unsigned (wrapping) for int32.
template <typename T>
struct SumAcc {
    typedef double type;
};

template <>
struct SumAcc<int> {
    typedef unsigned type;
};

template <>
struct SumAcc<__nv_bfloat16> {
    typedef float type;
};

template <>
struct SumAcc<__half> {
    typedef float type;
};

// Reducer<OP, T> defines identity, lift (element j with stored value v),
// combine and finish for one op. Out is dst's element type; C is the
// type T computes in (float for the halves).
template <int OP, typename T>
struct Reducer;

template <typename T>
struct Reducer<SUM, T> {
    typedef typename SumAcc<T>::type Acc;
    typedef typename Compute<T>::type C;
    typedef T Out;
    __device__ static Acc identity() { return Acc(0); }
    __device__ static Acc lift(T v, int) { return Acc(widen(v)); }
    __device__ static Acc combine(Acc a, Acc b) { return a + b; }
    __device__ static Out finish(Acc a, long long) { return narrow<T>(C(a)); }
};

template <typename T>
struct Reducer<MEAN, T> {
    typedef typename SumAcc<T>::type Acc;
    typedef typename Compute<T>::type C;
    typedef T Out;
    __device__ static Acc identity() { return Acc(0); }
    __device__ static Acc lift(T v, int) { return Acc(widen(v)); }
    __device__ static Acc combine(Acc a, Acc b) { return a + b; }
    __device__ static Out finish(Acc a, long long len) { return narrow<T>(C(a / Acc(len))); }
};

template <typename T>
struct Reducer<MAX, T> {
    typedef typename Compute<T>::type Acc;
    typedef T Out;
    __device__ static Acc identity() { return Limits<Acc>::lowest(); }
    __device__ static Acc lift(T v, int) { return widen(v); }
    __device__ static Acc combine(Acc a, Acc b) { return is_nan(a) ? a : (is_nan(b) || b > a ? b : a); }
    __device__ static Out finish(Acc a, long long) { return narrow<T>(a); }
};

template <typename T>
struct Reducer<MIN, T> {
    typedef typename Compute<T>::type Acc;
    typedef T Out;
    __device__ static Acc identity() { return Limits<Acc>::highest(); }
    __device__ static Acc lift(T v, int) { return widen(v); }
    __device__ static Acc combine(Acc a, Acc b) { return is_nan(a) ? a : (is_nan(b) || b < a ? b : a); }
    __device__ static Out finish(Acc a, long long) { return narrow<T>(a); }
};

// arg_combine orders candidates: NaN first, then by value (greater when
// MAXIMISE), then by smaller index. It is associative and commutative, so
// any reduction tree finds the first best index.
template <bool MAXIMISE, typename T>
__device__ __forceinline__ ArgAcc<T> arg_combine(ArgAcc<T> a, ArgAcc<T> b) {
    bool an = is_nan(a.v);
    bool bn = is_nan(b.v);
    if (an != bn) {
        return an ? a : b;
    }
    if (!an && a.v != b.v) {
        return (MAXIMISE ? a.v > b.v : a.v < b.v) ? a : b;
    }
    return a.i < b.i ? a : b;
}

template <typename T>
struct Reducer<ARGMAX, T> {
    typedef typename Compute<T>::type C;
    typedef ArgAcc<C> Acc;
    typedef int Out;
    __device__ static Acc identity() { return Acc{Limits<C>::lowest(), 2147483647}; }
    __device__ static Acc lift(T v, int j) { return Acc{widen(v), j}; }
    __device__ static Acc combine(Acc a, Acc b) { return arg_combine<true>(a, b); }
    __device__ static Out finish(Acc a, long long) { return a.i; }
};

template <typename T>
struct Reducer<ARGMIN, T> {
    typedef typename Compute<T>::type C;
    typedef ArgAcc<C> Acc;
    typedef int Out;
    __device__ static Acc identity() { return Acc{Limits<C>::highest(), 2147483647}; }
    __device__ static Acc lift(T v, int j) { return Acc{widen(v), j}; }
    __device__ static Acc combine(Acc a, Acc b) { return arg_combine<false>(a, b); }
    __device__ static Out finish(Acc a, long long) { return a.i; }
};

// warp_reduce combines over a full warp; every lane gets the result.
template <typename R>
__device__ __forceinline__ typename R::Acc warp_reduce(typename R::Acc a) {
#pragma unroll
    for (int o = TG_WARP / 2; o > 0; o >>= 1) {
        a = R::combine(a, shfl_xor(a, o));
    }
    return a;
}

// load reads element j of the row starting at base.
template <typename T>
__device__ __forceinline__ T load(const T* __restrict__ src, long long base, const Strided& inner, long long j) {
    return src[base + strided_index(inner, j)];
}

// reduce_range folds elements lo+first, lo+first+step, ... below hi.
template <typename R, typename T>
__device__ __forceinline__ typename R::Acc reduce_range(const T* __restrict__ src, long long base,
                                                        const Strided& inner, long long first, long long hi,
                                                        long long step) {
    typename R::Acc a = R::identity();
    for (long long j = first; j < hi; j += step) {
        a = R::combine(a, R::lift(load(src, base, inner, j), int(j)));
    }
    return a;
}

// reduce_block: one block per (row, chunk) task, tasks = rows*splits.
template <int OP, typename T>
__device__ void reduce_block(typename Reducer<OP, T>::Out* __restrict__ dst, const T* __restrict__ src,
                             const Strided& outer, const Strided& inner, long long rows, long long len,
                             long long chunk, int splits, typename Reducer<OP, T>::Acc* __restrict__ part) {
    typedef Reducer<OP, T> R;
    typedef typename R::Acc Acc;
    __shared__ Acc scratch[REDUCE_BLOCK / TG_WARP];
    int lane = threadIdx.x & (TG_WARP - 1);
    int warp = threadIdx.x / TG_WARP;
    long long tasks = rows * splits;
    for (long long t = blockIdx.x; t < tasks; t += gridDim.x) {
        long long r = t / splits;
        long long lo = (t - r * splits) * chunk;
        long long hi = min(lo + chunk, len);
        long long base = strided_index(outer, r);
        Acc a = reduce_range<R>(src, base, inner, lo + threadIdx.x, hi, blockDim.x);
        a = warp_reduce<R>(a);
        if (lane == 0) {
            scratch[warp] = a;
        }
        __syncthreads();
        if (warp == 0) {
            a = lane < blockDim.x / TG_WARP ? scratch[lane] : R::identity();
            a = warp_reduce<R>(a);
            if (lane == 0) {
                if (splits == 1) {
                    dst[r] = R::finish(a, len);
                } else {
                    part[t] = a;
                }
            }
        }
        __syncthreads();
    }
}

// reduce_final: a warp per row folds its splits partials.
template <int OP, typename T>
__device__ void reduce_final(typename Reducer<OP, T>::Out* __restrict__ dst,
                             const typename Reducer<OP, T>::Acc* __restrict__ part, long long rows, int splits,
                             long long len) {
    typedef Reducer<OP, T> R;
    int lane = threadIdx.x & (TG_WARP - 1);
    long long warps = grid_step() / TG_WARP;
    for (long long r = grid_start() / TG_WARP; r < rows; r += warps) {
        typename R::Acc a = R::identity();
        for (int s = lane; s < splits; s += TG_WARP) {
            a = R::combine(a, part[r * splits + s]);
        }
        a = warp_reduce<R>(a);
        if (lane == 0) {
            dst[r] = R::finish(a, len);
        }
    }
}

// reduce_warp: a warp per row.
template <int OP, typename T>
__device__ void reduce_warp(typename Reducer<OP, T>::Out* __restrict__ dst, const T* __restrict__ src,
                            const Strided& outer, const Strided& inner, long long rows, long long len) {
    typedef Reducer<OP, T> R;
    int lane = threadIdx.x & (TG_WARP - 1);
    long long warps = grid_step() / TG_WARP;
    for (long long r = grid_start() / TG_WARP; r < rows; r += warps) {
        typename R::Acc a = reduce_range<R>(src, strided_index(outer, r), inner, lane, len, TG_WARP);
        a = warp_reduce<R>(a);
        if (lane == 0) {
            dst[r] = R::finish(a, len);
        }
    }
}

// reduce_thread: a thread per row.
template <int OP, typename T>
__device__ void reduce_thread(typename Reducer<OP, T>::Out* __restrict__ dst, const T* __restrict__ src,
                              const Strided& outer, const Strided& inner, long long rows, long long len) {
    typedef Reducer<OP, T> R;
    for (long long r = grid_start(); r < rows; r += grid_step()) {
        dst[r] = R::finish(reduce_range<R>(src, strided_index(outer, r), inner, 0, len, 1), len);
    }
}

#define REDUCE_KERNELS(NAME, OP, T, S)                                                                        \
    extern "C" __global__ void __launch_bounds__(REDUCE_BLOCK)                                                \
        reduce_##NAME##_##S(Reducer<OP, T>::Out* dst, const T* src, Strided outer, Strided inner,             \
                            long long rows, long long len, long long chunk, int splits,                       \
                            Reducer<OP, T>::Acc* part) {                                                      \
        reduce_block<OP, T>(dst, src, outer, inner, rows, len, chunk, splits, part);                          \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) reduce_##NAME##_final_##S(                              \
        Reducer<OP, T>::Out* dst, const Reducer<OP, T>::Acc* part, long long rows, int splits, long long len) { \
        reduce_final<OP, T>(dst, part, rows, splits, len);                                                    \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(256)                                                         \
        reduce_##NAME##_warp_##S(Reducer<OP, T>::Out* dst, const T* src, Strided outer, Strided inner,        \
                                 long long rows, long long len) {                                             \
        reduce_warp<OP, T>(dst, src, outer, inner, rows, len);                                                \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(256)                                                         \
        reduce_##NAME##_thread_##S(Reducer<OP, T>::Out* dst, const T* src, Strided outer, Strided inner,      \
                                   long long rows, long long len) {                                           \
        reduce_thread<OP, T>(dst, src, outer, inner, rows, len);                                              \
    }

#define REDUCE_FLOAT(NAME, OP)                      \
    REDUCE_KERNELS(NAME, OP, float, f32)            \
    REDUCE_KERNELS(NAME, OP, double, f64)           \
    REDUCE_KERNELS(NAME, OP, __nv_bfloat16, bf16)   \
    REDUCE_KERNELS(NAME, OP, __half, f16)

#define REDUCE_ALL(NAME, OP)                \
    REDUCE_FLOAT(NAME, OP)                  \
    REDUCE_KERNELS(NAME, OP, int, i32)

REDUCE_ALL(sum, SUM)
REDUCE_FLOAT(mean, MEAN)
REDUCE_ALL(max, MAX)
REDUCE_ALL(min, MIN)
REDUCE_ALL(argmax, ARGMAX)
REDUCE_ALL(argmin, ARGMIN)
