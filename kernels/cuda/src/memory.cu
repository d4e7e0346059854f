// Memory family: fill, strided copy, cast. Launch: 1-D grid-stride,
// 256 threads per block, grid capped by the Go side.
#include "common.cuh"

// fill sets every element the layout addresses.
//
//	for i in 0..n: dst[dl.index(i)] = v
template <typename T>
__device__ void fill(T* __restrict__ dst, const Strided& dl, long long n, T v) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[strided_index(dl, i)] = v;
    }
}

// fill_vec is fill for a contiguous, 16-byte aligned dst.
//
//	for i in 0..n: dst[i] = v
template <typename T>
__device__ void fill_vec(T* __restrict__ dst, long long n, T v) {
    Pack<T> p;
#pragma unroll
    for (int k = 0; k < Pack<T>::N; k++) {
        p.v[k] = v;
    }
    long long nv = vec_count<T>(n);
    Pack<T>* d = reinterpret_cast<Pack<T>*>(dst);
    for (long long i = grid_start(); i < nv; i += grid_step()) {
        d[i] = p;
    }
#pragma unroll 1
    for (long long i = nv * Pack<T>::N + grid_start(); i < n; i += grid_step()) {
        dst[i] = v;
    }
}

// copy moves elements between two layouts of one shape.
//
//	for i in 0..n: dst[dl.index(i)] = src[sl.index(i)]
template <typename T>
__device__ void copy(T* __restrict__ dst, const Strided& dl, const T* __restrict__ src, const Strided& sl, long long n) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[strided_index(dl, i)] = src[strided_index(sl, i)];
    }
}

// cast converts a strided src into a contiguous dst of another type;
// float to int truncates toward zero (cvt.rzi: NaN gives 0, out-of-range
// values saturate). Halves go through float both ways: a half widens
// exactly, and a double or int32 becomes a half as the CPU backend does
// it, rounded to float32 and then to the half (both to nearest even).
//
//	for i in 0..n: dst[i] = To(src[sl.index(i)])
template <typename From, typename To>
__device__ void cast(To* __restrict__ dst, const From* __restrict__ src, const Strided& sl, long long n) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[i] = narrow<To>(static_cast<typename Compute<To>::type>(widen(src[strided_index(sl, i)])));
    }
}

// The fill value arrives in the compute type (float for halves) and is
// rounded to the storage type once.
#define MEMORY_KERNELS(T, S)                                                                          \
    extern "C" __global__ void __launch_bounds__(256)                                                 \
        fill_##S(T* dst, Strided dl, long long n, Compute<T>::type v) {                               \
        fill<T>(dst, dl, n, narrow<T>(v));                                                            \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(256) fill_vec_##S(T* dst, long long n, Compute<T>::type v) { \
        fill_vec<T>(dst, n, narrow<T>(v));                                                            \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(256)                                                 \
        copy_##S(T* dst, Strided dl, const T* src, Strided sl, long long n) {                         \
        copy<T>(dst, dl, src, sl, n);                                                                 \
    }

MEMORY_KERNELS(float, f32)
MEMORY_KERNELS(double, f64)
MEMORY_KERNELS(int, i32)
MEMORY_KERNELS(__nv_bfloat16, bf16)
MEMORY_KERNELS(__half, f16)

#define CAST_KERNEL(A, SA, B, SB)                                                                        \
    extern "C" __global__ void __launch_bounds__(256) cast_##SA##_##SB(B* dst, const A* src, Strided sl, \
                                                                       long long n) {                    \
        cast<A, B>(dst, src, sl, n);                                                                     \
    }

CAST_KERNEL(float, f32, double, f64)
CAST_KERNEL(float, f32, int, i32)
CAST_KERNEL(double, f64, float, f32)
CAST_KERNEL(double, f64, int, i32)
CAST_KERNEL(int, i32, float, f32)
CAST_KERNEL(int, i32, double, f64)

// Every cast to or from a half, half to half included.
#define CAST_HALF(H, SH)                  \
    CAST_KERNEL(float, f32, H, SH)        \
    CAST_KERNEL(double, f64, H, SH)       \
    CAST_KERNEL(int, i32, H, SH)          \
    CAST_KERNEL(H, SH, float, f32)        \
    CAST_KERNEL(H, SH, double, f64)       \
    CAST_KERNEL(H, SH, int, i32)

CAST_HALF(__nv_bfloat16, bf16)
CAST_HALF(__half, f16)
CAST_KERNEL(__nv_bfloat16, bf16, __half, f16)
CAST_KERNEL(__half, f16, __nv_bfloat16, bf16)
