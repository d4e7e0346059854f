// Indexing family over contiguous [outer, n, inner] / [outer, k, inner]
// blocks with int32 indices. An index outside [0, n) is recorded in the
// status word (common.cuh), which the host reads at the next Sync or Read
// (checking on the host would copy the indices back and stall the GPU);
// its element is skipped (select and gather write 0).
// One thread per element of the k-sized side, 1-D grid-stride, 256
// threads per block; consecutive threads take consecutive inner
// positions, so reads and writes are coalesced along inner. The
// accumulating ops use atomicAdd (float, double on sm_60+, int), so their
// float sums may round in any order when indices repeat.
#include "common.cuh"

// atomic_add is *p += v: the hardware atomic for float, double and int.
template <typename T>
__device__ __forceinline__ void atomic_add(T* p, T v) {
    atomicAdd(p, v);
}

// half_bits and half_from_bits reinterpret a half as its 16 bits.
__device__ __forceinline__ unsigned short half_bits(__nv_bfloat16 x) { return __nv_bfloat16_raw(x).x; }
__device__ __forceinline__ unsigned short half_bits(__half x) { return __half_raw(x).x; }

template <typename H>
__device__ __forceinline__ H half_from_bits(unsigned short b);

template <>
__device__ __forceinline__ __nv_bfloat16 half_from_bits<__nv_bfloat16>(unsigned short b) {
    __nv_bfloat16_raw r;
    r.x = b;
    return __nv_bfloat16(r);
}

template <>
__device__ __forceinline__ __half half_from_bits<__half>(unsigned short b) {
    __half_raw r;
    r.x = b;
    return __half(r);
}

// atomic_add_half is *p += v for a half: a compare-and-swap loop on the
// aligned 32-bit word that holds it, the sum computed in float and
// rounded to the half. It needs no 16-bit atomics (atom.add.noftz.f16 is
// sm_70+, .bf16 sm_90+), so it runs on every GPU and in cudasim.
template <typename H>
__device__ __forceinline__ void atomic_add_half(H* p, H v) {
    unsigned* word = reinterpret_cast<unsigned*>(reinterpret_cast<unsigned long long>(p) & ~3ull);
    unsigned shift = (reinterpret_cast<unsigned long long>(p) & 2) * 8;
    float add = widen(v);
    unsigned old = *word;
    unsigned assumed;
    do {
        assumed = old;
        H cur = half_from_bits<H>((unsigned short)(assumed >> shift));
        unsigned short sum = half_bits(narrow<H>(widen(cur) + add));
        unsigned next = (assumed & ~(0xffffu << shift)) | ((unsigned)sum << shift);
        old = atomicCAS(word, assumed, next);
    } while (old != assumed);
}

template <>
__device__ __forceinline__ void atomic_add(__nv_bfloat16* p, __nv_bfloat16 v) {
    atomic_add_half(p, v);
}

template <>
__device__ __forceinline__ void atomic_add(__half* p, __half v) {
    atomic_add_half(p, v);
}

// IndexDims are the block sizes of a call.
struct IndexDims {
    long long outer, n, inner, k;
};

// index_select: dst[o,j,i] = src[o, idx[j], i]
template <typename T>
__device__ void index_select(T* __restrict__ dst, const T* __restrict__ src, const int* __restrict__ idx,
                             IndexDims d, int* status) {
    long long total = d.outer * d.k * d.inner;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long i = e % d.inner;
        long long oj = e / d.inner;
        long long j = oj % d.k;
        long long o = oj / d.k;
        int x = idx[j];
        if ((unsigned)x >= (unsigned long long)d.n) {
            flag_error(status, TG_ST_INDEX_SELECT, x, (int)d.n, j);
            dst[e] = zero<T>();
            continue;
        }
        dst[e] = src[(o * d.n + x) * d.inner + i];
    }
}

// index_add: dst[o, idx[j], i] += src[o,j,i]
template <typename T>
__device__ void index_add(T* dst, const T* __restrict__ src, const int* __restrict__ idx, IndexDims d,
                          int* status) {
    long long total = d.outer * d.k * d.inner;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long i = e % d.inner;
        long long oj = e / d.inner;
        long long j = oj % d.k;
        long long o = oj / d.k;
        int x = idx[j];
        if ((unsigned)x >= (unsigned long long)d.n) {
            flag_error(status, TG_ST_INDEX_ADD, x, (int)d.n, j);
            continue;
        }
        atomic_add(&dst[(o * d.n + x) * d.inner + i], src[e]);
    }
}

// gather: dst[o,j,i] = src[o, idx[o,j,i], i]
template <typename T>
__device__ void gather(T* __restrict__ dst, const T* __restrict__ src, const int* __restrict__ idx, IndexDims d,
                       int* status) {
    long long total = d.outer * d.k * d.inner;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long i = e % d.inner;
        long long o = e / (d.k * d.inner);
        int x = idx[e];
        if ((unsigned)x >= (unsigned long long)d.n) {
            flag_error(status, TG_ST_GATHER, x, (int)d.n, e);
            dst[e] = zero<T>();
            continue;
        }
        dst[e] = src[(o * d.n + x) * d.inner + i];
    }
}

// scatter_add: dst[o, idx[o,j,i], i] += src[o,j,i]
template <typename T>
__device__ void scatter_add(T* dst, const T* __restrict__ src, const int* __restrict__ idx, IndexDims d,
                            int* status) {
    long long total = d.outer * d.k * d.inner;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long i = e % d.inner;
        long long o = e / (d.k * d.inner);
        int x = idx[e];
        if ((unsigned)x >= (unsigned long long)d.n) {
            flag_error(status, TG_ST_SCATTER_ADD, x, (int)d.n, e);
            continue;
        }
        atomic_add(&dst[(o * d.n + x) * d.inner + i], src[e]);
    }
}

#define INDEX_KERNELS(T, S)                                                                                \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        index_select_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                 \
        index_select<T>(dst, src, idx, d, status);                                                         \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        index_add_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                    \
        index_add<T>(dst, src, idx, d, status);                                                            \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        gather_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                       \
        gather<T>(dst, src, idx, d, status);                                                               \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        scatter_add_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                  \
        scatter_add<T>(dst, src, idx, d, status);                                                          \
    }

INDEX_KERNELS(float, f32)
INDEX_KERNELS(double, f64)
INDEX_KERNELS(int, i32)
INDEX_KERNELS(__nv_bfloat16, bf16)
INDEX_KERNELS(__half, f16)
