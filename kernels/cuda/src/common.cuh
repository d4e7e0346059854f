// Shared helpers of the tapegrad CUDA kernels: the strided-layout
// descriptor, grid-stride loop bounds, and the reductions every family
// uses. Kernels index with 64-bit integers: tensors past 2^31 elements are
// routine on an 80 GB device.
#pragma once

// The half types come from CUDA's headers with their implicit conversions
// and operators switched off: a kernel that forgot to widen a half
// (widen/narrow below) fails to compile instead of computing in half.
#define __CUDA_NO_HALF_CONVERSIONS__
#define __CUDA_NO_HALF_OPERATORS__
#define __CUDA_NO_HALF2_OPERATORS__
#define __CUDA_NO_BFLOAT16_CONVERSIONS__
#define __CUDA_NO_BFLOAT16_OPERATORS__
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define TG_MAX_RANK 8
#define TG_WARP 32
#define TG_FULL_MASK 0xffffffffu

// Strided is a device.Layout passed by value: element i (row-major over
// shape) lives at offset + Σ_d idx_d*strides[d]. The Go side collapses
// mergeable dims first, so rank is usually 1 or 2. C layout (144 bytes,
// align 8): rank at 0, shape at 8, strides at 72, offset at 136.
struct Strided {
    int rank;
    long long shape[TG_MAX_RANK];
    long long strides[TG_MAX_RANK];
    long long offset;
};

// strided_index maps row-major position i to a buffer index.
//
//	off = s.offset
//	for d = rank-1 .. 0: off += (i % shape[d]) * strides[d]; i /= shape[d]
__device__ __forceinline__ long long strided_index(const Strided& s, long long i) {
    if (s.rank == 1) {
        return s.offset + i * s.strides[0];
    }
    long long off = s.offset;
#pragma unroll
    for (int d = TG_MAX_RANK - 1; d >= 0; d--) {
        if (d < s.rank) {
            long long n = s.shape[d];
            long long q = i / n;
            off += (i - q * n) * s.strides[d];
            i = q;
        }
    }
    return off;
}

// The status word: four int32s the Go side allocates once per backend and
// reads at the next Sync or Read after a kernel that may set it. Kernels
// that meet bad input they cannot report synchronously (an int32 division
// by zero, an index or label out of range) record the first such error:
// [0] its code (TG_ST_*), [1] the bad value, [2] the bound it broke,
// [3] its position (low 32 bits). Later errors leave it as it is.
#define TG_ST_DIV_ZERO 1
#define TG_ST_INDEX_SELECT 2
#define TG_ST_INDEX_ADD 3
#define TG_ST_GATHER 4
#define TG_ST_SCATTER_ADD 5
#define TG_ST_CROSS_ENTROPY 6

__device__ __forceinline__ void flag_error(int* status, int code, int value, int bound, long long pos) {
    if (atomicCAS(status, 0, code) == 0) {
        status[1] = value;
        status[2] = bound;
        status[3] = (int)pos;
    }
}

// grid_start and grid_step give a 1-D grid-stride loop over n elements:
// for (i = grid_start(); i < n; i += grid_step()).
__device__ __forceinline__ long long grid_start() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_step() {
    return (long long)gridDim.x * blockDim.x;
}

// is_nan is true for NaN of any float type and false for integers.
template <typename T>
__device__ __forceinline__ bool is_nan(T x) {
    return x != x;
}

// Float-typed constants without narrowing surprises.
template <typename T>
struct Limits;

template <>
struct Limits<float> {
    __device__ static float lowest() { return -__int_as_float(0x7f800000); }
    __device__ static float highest() { return __int_as_float(0x7f800000); }
};

template <>
struct Limits<double> {
    __device__ static double lowest() { return -__longlong_as_double(0x7ff0000000000000LL); }
    __device__ static double highest() { return __longlong_as_double(0x7ff0000000000000LL); }
};

template <>
struct Limits<int> {
    __device__ static int lowest() { return -2147483647 - 1; }
    __device__ static int highest() { return 2147483647; }
};

// warp_sum adds v over the 32 lanes of a full warp; every lane gets the total.
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = TG_WARP / 2; o > 0; o >>= 1) {
        v += __shfl_xor_sync(TG_FULL_MASK, v, o);
    }
    return v;
}

// warp_max is the NaN-ignoring maximum over a full warp (callers feed it
// finite or infinite values only); every lane gets it.
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
#pragma unroll
    for (int o = TG_WARP / 2; o > 0; o >>= 1) {
        T w = __shfl_xor_sync(TG_FULL_MASK, v, o);
        v = w > v ? w : v;
    }
    return v;
}

// block_sum adds v over the block (blockDim.x a multiple of 32, at most
// 1024); every thread gets the total. It ends with a barrier so the
// scratch can be reused by the next call.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    int lane = threadIdx.x & (TG_WARP - 1);
    int warp = threadIdx.x / TG_WARP;
    v = warp_sum(v);
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int nwarps = blockDim.x / TG_WARP;
    v = lane < nwarps ? scratch[lane] : T(0);
    v = warp_sum(v);
    __syncthreads();
    return v;
}

// block_max is warp_max over the block, as block_sum.
template <typename T>
__device__ __forceinline__ T block_max(T v, T* scratch) {
    int lane = threadIdx.x & (TG_WARP - 1);
    int warp = threadIdx.x / TG_WARP;
    v = warp_max(v);
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int nwarps = blockDim.x / TG_WARP;
    v = lane < nwarps ? scratch[lane] : Limits<T>::lowest();
    v = warp_max(v);
    __syncthreads();
    return v;
}

// Pack is BYTES (16 unless a kernel says otherwise) bytes of T, loaded
// and stored as one vector access (ld.global.v4.f32, v2.f64, v4.s32,
// v4.u32 for 8 halves). Only used where the Go side has checked that
// every pointer involved is 16-byte aligned.
template <typename T, int BYTES = 16>
struct alignas(BYTES) Pack {
    static const int N = BYTES / sizeof(T);
    T v[N];
};

// vec_count is how many whole Packs n elements hold; the tail
// [vec_count*N, n) is handled element by element.
template <typename T, int BYTES = 16>
__device__ __forceinline__ long long vec_count(long long n) {
    return n / Pack<T, BYTES>::N;
}

// Half storage (BFloat16, Float16): elements are 16 bits in memory and
// float in registers. Compute<S>::type is the type a kernel computes in
// for storage type S; widen loads an element into it exactly and
// narrow<S> stores it, rounding to nearest even: cvt.rn.f16.f32 for
// float16, bf16_rn for bfloat16. Both are the identity for float, double
// and int, so the other dtypes' kernels compile as before.
template <typename S>
struct Compute {
    typedef S type;
};

template <>
struct Compute<__nv_bfloat16> {
    typedef float type;
};

template <>
struct Compute<__half> {
    typedef float type;
};

template <typename S>
__device__ __forceinline__ S widen(S x) {
    return x;
}

__device__ __forceinline__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float widen(__half x) { return __half2float(x); }

template <typename S>
__device__ __forceinline__ S narrow(typename Compute<S>::type x) {
    return x;
}

// bf16_rn is cvt.rn.bf16.f32 in integer arithmetic, without branches,
// bit for bit device.BF16FromFloat32 (a NaN keeps its sign and is made
// quiet). The header's __float2bfloat16_rn emulates it at compute_70 with
// branches per element, which made ptxas spill in the 64 stores of the
// 128x128 matmul epilogue; this one is a few integer operations on every
// GPU, and gives the same bits on every GPU and in cudasim.
__device__ __forceinline__ __nv_bfloat16 bf16_rn(float x) {
    unsigned u = __float_as_uint(x);
    unsigned r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    __nv_bfloat16_raw h;
    h.x = (unsigned short)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : r);
    return __nv_bfloat16(h);
}

template <>
__device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float x) {
    return bf16_rn(x);
}

template <>
__device__ __forceinline__ __half narrow<__half>(float x) {
    return __float2half_rn(x);
}

// zero is +0 of any storage type.
template <typename S>
__device__ __forceinline__ S zero() {
    return narrow<S>(typename Compute<S>::type(0));
}
