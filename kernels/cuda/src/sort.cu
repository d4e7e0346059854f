// Sort and cumulative sum along contiguous [rows, n] data (device.Sorter,
// device.Scanner). Sorting is a bitonic network over (value, position)
// pairs padded to a power of two p: positions are distinct, so the order
// is total and the result is exactly the stable sort. Rows of at most
// SORT_SHARED get one 256-thread block each and sort in shared memory
// (sort_shared_<dt>); longer rows run one launch per network step over
// an int32 position array in global memory (sort_init, sort_step_<dt>,
// then sort_gather_<dt>). Half rows compare as float and their running
// sums accumulate in float, rounded once per element. The cumulative sum gives each row a block that
// walks it in chunks, a fixed scan tree per chunk, so the sums are the
// same on every run.
#include "common.cuh"

#define SORT_BLOCK 256
#define SORT_SHARED 2048 // longest row sorted in shared memory, a power of two
#define SCAN_ITEMS 8     // consecutive elements per thread in a cumsum chunk

// sort_before reports whether (a at position ia) sorts before (b at ib)
// in a row of n: ascending or descending, NaN above every number, equal
// values (and NaNs) by position; positions past n are padding, after
// every element.
template <typename T>
__device__ __forceinline__ bool sort_before(T a, int ia, T b, int ib, int n, bool desc) {
    if (ia >= n || ib >= n) {
        return ia < ib;
    }
    bool an = is_nan(a), bn = is_nan(b);
    if (an || bn) {
        return an && bn ? ia < ib : (desc ? an : bn);
    }
    if (a != b) {
        return desc ? a > b : a < b;
    }
    return ia < ib;
}

// pow2 is the least power of two >= n (n >= 1).
__device__ __forceinline__ long long pow2(long long n) {
    long long p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

// sort_shared sorts rows of n <= SORT_SHARED in shared memory, a block
// per row, and writes the first k of each.
//
//	for r: p := stable order of src[r, :]; vals[r, j], idx[r, j] = src[r, p[j]], p[j] for j < k
//
// Keys are held widened (a half row as float: exact), so compares need
// no conversion and no two threads share a 32-bit word of key.
template <typename T>
__device__ void sort_shared(T* vals, int* idx, const T* src, long long rows, int n, int k, bool desc) {
    typedef typename Compute<T>::type K;
    __shared__ K key[SORT_SHARED];
    __shared__ int pos[SORT_SHARED];
    int p = (int)pow2(n);
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* x = src + r * n;
        for (int i = threadIdx.x; i < p; i += blockDim.x) {
            pos[i] = i;
            key[i] = i < n ? widen(x[i]) : K(0);
        }
        __syncthreads();
        for (int size = 2; size <= p; size <<= 1) {
            for (int stride = size >> 1; stride > 0; stride >>= 1) {
                for (int i = threadIdx.x; i < p / 2; i += blockDim.x) {
                    int lo = 2 * i - (i & (stride - 1)), hi = lo + stride;
                    K a = key[lo], b = key[hi];
                    int ia = pos[lo], ib = pos[hi];
                    bool up = (lo & size) == 0;
                    if (up ? sort_before(b, ib, a, ia, n, desc) : sort_before(a, ia, b, ib, n, desc)) {
                        key[lo] = b;
                        key[hi] = a;
                        pos[lo] = ib;
                        pos[hi] = ia;
                    }
                }
                __syncthreads();
            }
        }
        for (int j = threadIdx.x; j < k; j += blockDim.x) {
            vals[r * k + j] = narrow<T>(key[j]); // exact: key[j] came from a T
            idx[r * k + j] = pos[j];
        }
        __syncthreads();
    }
}

// sort_step is one compare-exchange step (merge size, stride) of the
// network over pos, [rows, p] positions into rows of n of src.
template <typename T>
__device__ void sort_step(int* pos, const T* src, long long rows, int n, long long p, long long size, long long stride, bool desc) {
    long long pairs = rows * (p / 2);
    for (long long t = grid_start(); t < pairs; t += grid_step()) {
        long long r = t / (p / 2), i = t % (p / 2);
        long long lo = 2 * i - (i & (stride - 1)), hi = lo + stride;
        int* q = pos + r * p;
        const T* x = src + r * (long long)n;
        int ia = q[lo], ib = q[hi];
        typename Compute<T>::type a = ia < n ? widen(x[ia]) : 0, b = ib < n ? widen(x[ib]) : 0;
        bool up = (lo & size) == 0;
        if (up ? sort_before(b, ib, a, ia, n, desc) : sort_before(a, ia, b, ib, n, desc)) {
            q[lo] = ib;
            q[hi] = ia;
        }
    }
}

// sort_gather writes the first k of each sorted row of pos.
//
//	vals[r, j], idx[r, j] = src[r, pos[r, j]], pos[r, j] for j < k
template <typename T>
__device__ void sort_gather(T* vals, int* idx, const int* pos, const T* src, long long rows, int n, long long p, int k) {
    long long total = rows * k;
    for (long long t = grid_start(); t < total; t += grid_step()) {
        long long r = t / k, j = t % k;
        int q = pos[r * p + j];
        idx[t] = q;
        vals[t] = src[r * n + q];
    }
}

// sort_init sets pos[r, i] = i for [rows, p] positions (total = rows*p).
extern "C" __global__ void __launch_bounds__(SORT_BLOCK) sort_init(int* pos, long long total, long long p) {
    for (long long t = grid_start(); t < total; t += grid_step()) {
        pos[t] = (int)(t % p);
    }
}

// cumsum writes the running sums of each row, accumulating in A: a
// block per row, chunks of SORT_BLOCK*SCAN_ITEMS elements, each thread
// summing SCAN_ITEMS consecutive ones, a Hillis-Steele scan of the thread
// sums, then each thread's run from the carry.
//
//	for r: s := 0; for j in 0..n: s += src[r, j]; dst[r, j] = s
template <typename T, typename A>
__device__ void cumsum(T* dst, const T* src, long long rows, long long n) {
    __shared__ A part[SORT_BLOCK];
    int t = threadIdx.x;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* x = src + r * n;
        T* y = dst + r * n;
        A carry = A(0);
        for (long long base = 0; base < n; base += SORT_BLOCK * SCAN_ITEMS) {
            long long lo = base + (long long)t * SCAN_ITEMS;
            A s = A(0);
            for (int e = 0; e < SCAN_ITEMS; e++) {
                if (lo + e < n) {
                    s += A(widen(x[lo + e]));
                }
            }
            part[t] = s;
            __syncthreads();
            for (int o = 1; o < SORT_BLOCK; o <<= 1) {
                A v = t >= o ? part[t - o] : A(0);
                __syncthreads();
                part[t] += v;
                __syncthreads();
            }
            A run = carry + (t > 0 ? part[t - 1] : A(0));
            for (int e = 0; e < SCAN_ITEMS; e++) {
                if (lo + e < n) {
                    run += A(widen(x[lo + e]));
                    y[lo + e] = narrow<T>(run);
                }
            }
            carry += part[SORT_BLOCK - 1];
            __syncthreads();
        }
    }
}

#define SORT_KERNELS(T, A, S)                                                                                    \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK)                                                     \
        sort_shared_##S(T* vals, int* idx, const T* src, long long rows, int n, int k, int desc) {               \
        sort_shared<T>(vals, idx, src, rows, n, k, desc != 0);                                                   \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) sort_step_##S(                                      \
        int* pos, const T* src, long long rows, int n, long long p, long long size, long long stride, int desc) { \
        sort_step<T>(pos, src, rows, n, p, size, stride, desc != 0);                                             \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK)                                                     \
        sort_gather_##S(T* vals, int* idx, const int* pos, const T* src, long long rows, int n, long long p, int k) { \
        sort_gather<T>(vals, idx, pos, src, rows, n, p, k);                                                      \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) cumsum_##S(T* dst, const T* src, long long rows, long long n) { \
        cumsum<T, A>(dst, src, rows, n);                                                                         \
    }

SORT_KERNELS(float, float, f32)
SORT_KERNELS(double, double, f64)
SORT_KERNELS(int, unsigned, i32)
SORT_KERNELS(__nv_bfloat16, float, bf16) // compared and summed in float
SORT_KERNELS(__half, float, f16)
