// Indexing family over contiguous [outer, n, inner] / [outer, k, inner]
// blocks with int32 indices. An index outside [0, n) is recorded in the
// status word (common.cuh), which the host reads at the next Sync or Read
// (checking on the host would copy the indices back and stall the GPU);
// its element is skipped (select and gather write 0).
// One thread per element of the k-sized side, 1-D grid-stride, 256
// threads per block; consecutive threads take consecutive inner
// positions, so reads and writes are coalesced along inner. The
// accumulating ops use atomicAdd (float, double on sm_60+, int), so their
// float sums may round in any order when indices repeat. For BFloat16 and
// Float16 they add the half src into a float32 dst: the host widens the
// half dst into float32 scratch before and rounds it back after, so each
// element is rounded once, as on the CPU (atomics on the halves would
// round at every add, and need sm_70 for f16, sm_90 for bf16).
#include "common.cuh"

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
template <typename D, typename T>
__device__ void index_add(D* dst, const T* __restrict__ src, const int* __restrict__ idx, IndexDims d,
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
        atomicAdd(&dst[(o * d.n + x) * d.inner + i], widen(src[e]));
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
template <typename D, typename T>
__device__ void scatter_add(D* dst, const T* __restrict__ src, const int* __restrict__ idx, IndexDims d,
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
        atomicAdd(&dst[(o * d.n + x) * d.inner + i], widen(src[e]));
    }
}

// D is the accumulating ops' dst type: T, or float for the halves.
#define INDEX_KERNELS(T, D, S)                                                                             \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        index_select_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                 \
        index_select<T>(dst, src, idx, d, status);                                                         \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        index_add_##S(D* dst, const T* src, const int* idx, IndexDims d, int* status) {                    \
        index_add(dst, src, idx, d, status);                                                               \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        gather_##S(T* dst, const T* src, const int* idx, IndexDims d, int* status) {                       \
        gather<T>(dst, src, idx, d, status);                                                               \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        scatter_add_##S(D* dst, const T* src, const int* idx, IndexDims d, int* status) {                  \
        scatter_add(dst, src, idx, d, status);                                                             \
    }

INDEX_KERNELS(float, float, f32)
INDEX_KERNELS(double, double, f64)
INDEX_KERNELS(int, int, i32)
INDEX_KERNELS(__nv_bfloat16, float, bf16)
INDEX_KERNELS(__half, float, f16)
