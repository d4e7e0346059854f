// Sort and cumulative sum along contiguous [rows, n] data (device.Sorter,
// device.Scanner). Sorting is a bitonic network over (value, position)
// pairs padded to a power of two p: positions are distinct, so the order
// is total and the result is exactly the stable sort (padding slots are
// equal to each other and after every element; a network sorts a
// preorder too). Rows of at most SORT_SHARED get one 256-thread block
// each and sort in shared memory (sort_shared_<dt>). Longer rows keep an
// int32 position array [rows, p] in global memory: sort_tiles_<dt> runs
// every step of the network whose compared pairs lie within one
// SORT_SHARED tile (merge sizes up to SORT_SHARED) in shared memory, one
// launch; then for each larger merge size, the strides of at least
// SORT_SHARED are global steps (sort_step2_<dt> does two strides per
// launch, sort_step_<dt> a last odd one) and sort_merge_<dt> runs the
// strides below SORT_SHARED in shared memory, a launch for them all;
// sort_gather_<dt> writes the first k. A first k of at most TOPK_MAX
// (TopK) is selected instead: sort_topk_<dt> sorts chunks of SORT_SHARED
// candidates in shared memory and keeps the first k' (k rounded up to a
// power of two) of each, which the next launch takes as its candidates,
// until one chunk holds them all and gives the first k. Half rows
// compare as float and their running sums accumulate in float, rounded
// once per element. The cumulative sum gives each row a block that walks
// it in chunks, a fixed scan tree per chunk, so the sums are the same on
// every run.
#include "common.cuh"

#define SORT_BLOCK 256
#define SORT_SHARED 2048 // longest row sorted in shared memory, a power of two
#define SCAN_ITEMS 8     // consecutive elements per thread in a cumsum chunk

// sort_before reports whether (a at position ia) sorts before (b at ib)
// in a row of n: ascending or descending, NaN above every number, equal
// values (and NaNs) by position; positions of n or more are padding,
// equal to each other and after every element.
template <typename T>
__device__ __forceinline__ bool sort_before(T a, int ia, T b, int ib, int n, bool desc) {
    if (ia >= n || ib >= n) {
        return ia < n;
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

// bitonic runs the steps of merge sizes lo..hi (powers of two) of the
// network over the len (a power of two) pairs in shared key/pos, which
// sit at index base of the whole network (its directions depend on the
// index): within a size, every stride below both size and len.
//
//	for size: for stride = min(size, len)/2 .. 1: for i: compare-exchange
//	(lo, lo+stride), ascending where (base+lo) & size == 0
template <typename K>
__device__ void bitonic(K* key, int* pos, int len, long long base, long long lo_size, long long hi_size, int n, bool desc) {
    for (long long size = lo_size; size <= hi_size; size <<= 1) {
        for (int stride = (int)(size < len ? size : len) >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < len / 2; i += blockDim.x) {
                int lo = 2 * i - (i & (stride - 1)), hi = lo + stride;
                K a = key[lo], b = key[hi];
                int ia = pos[lo], ib = pos[hi];
                bool up = ((base + lo) & size) == 0;
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
        bitonic(key, pos, p, 0, 2, p, n, desc);
        for (int j = threadIdx.x; j < k; j += blockDim.x) {
            vals[r * k + j] = narrow<T>(key[j]); // exact: key[j] came from a T
            idx[r * k + j] = pos[j];
        }
        __syncthreads();
    }
}

// sort_tile is the block-wide part of sort_tiles and sort_merge: tile t
// of every row of pos ([rows, p], p/SORT_SHARED tiles a row) is loaded
// into shared memory, with the keys it points at (or, when init, the
// positions it starts with), runs the merge sizes lo..hi of the network
// at strides below SORT_SHARED, and is written back.
template <typename T>
__device__ void sort_tile(int* pos, const T* src, long long rows, int n, long long p, long long lo_size, long long hi_size, bool desc, bool init) {
    typedef typename Compute<T>::type K;
    __shared__ K key[SORT_SHARED];
    __shared__ int tp[SORT_SHARED];
    long long tiles = p / SORT_SHARED;
    for (long long b = blockIdx.x; b < rows * tiles; b += gridDim.x) {
        long long r = b / tiles, base = (b % tiles) * SORT_SHARED;
        int* q = pos + r * p + base;
        const T* x = src + r * (long long)n;
        if (init && base >= n) { // padding only: nothing to order
            for (int i = threadIdx.x; i < SORT_SHARED; i += blockDim.x) {
                q[i] = (int)(base + i);
            }
            continue;
        }
        for (int i = threadIdx.x; i < SORT_SHARED; i += blockDim.x) {
            int at = init ? (int)(base + i) : q[i];
            tp[i] = at;
            key[i] = at < n ? widen(x[at]) : K(0);
        }
        __syncthreads();
        bitonic(key, tp, SORT_SHARED, base, lo_size, hi_size, n, desc);
        for (int i = threadIdx.x; i < SORT_SHARED; i += blockDim.x) {
            q[i] = tp[i];
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

// sort_step2 is two consecutive steps (size, stride) and (size,
// stride/2) of the network: each thread owns the four slots lo, lo+s/2,
// lo+s, lo+3s/2 (s = stride), which the two steps compare only among
// themselves, so one launch does both.
template <typename T>
__device__ void sort_step2(int* pos, const T* src, long long rows, int n, long long p, long long size, long long stride, bool desc) {
    typedef typename Compute<T>::type K;
    long long quads = rows * (p / 4), h = stride / 2;
    for (long long t = grid_start(); t < quads; t += grid_step()) {
        long long r = t / (p / 4), i = t % (p / 4);
        long long lo = 4 * i - 3 * (i & (h - 1)); // i's slot: i/h blocks of 2s, then i mod h
        int* q = pos + r * p;
        const T* x = src + r * (long long)n;
        int ix[4];
        K v[4];
        for (int j = 0; j < 4; j++) {
            ix[j] = q[lo + j * h];
            v[j] = ix[j] < n ? widen(x[ix[j]]) : K(0);
        }
        bool up = (lo & size) == 0;
        for (int j = 0; j < 4; j++) { // (0, 2), (1, 3), then (0, 1), (2, 3)
            int a = j < 2 ? j : 2 * (j - 2), b = j < 2 ? j + 2 : a + 1;
            if (up ? sort_before(v[b], ix[b], v[a], ix[a], n, desc) : sort_before(v[a], ix[a], v[b], ix[b], n, desc)) {
                K tv = v[a];
                v[a] = v[b];
                v[b] = tv;
                int ti = ix[a];
                ix[a] = ix[b];
                ix[b] = ti;
            }
        }
        for (int j = 0; j < 4; j++) {
            q[lo + j * h] = ix[j];
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

// sort_topk is one round of TopK's selection: row r's m candidate
// positions (cand[r, :], or 0..n-1 when cand is null) in chunks of
// SORT_SHARED, each sorted in shared memory by a block; the first kk of
// chunk c go to out[r, c*kk ..] (padding, n, where the chunk had fewer),
// or, when the row is one chunk, the first k to vals and idx. The first
// k of a row are among the first kk of the chunk they are in, so each
// round keeps them.
//
//	chunk := sorted cand[r, c*S : (c+1)*S]; out[r, c*kk+j] = chunk[j]
template <typename T>
__device__ void sort_topk(int* out, T* vals, int* idx, const int* cand, const T* src, long long rows, int n, long long m, int kk, int k, bool desc) {
    typedef typename Compute<T>::type K;
    __shared__ K key[SORT_SHARED];
    __shared__ int tp[SORT_SHARED];
    long long chunks = (m + SORT_SHARED - 1) / SORT_SHARED;
    for (long long b = blockIdx.x; b < rows * chunks; b += gridDim.x) {
        long long r = b / chunks, c = b % chunks, base = c * SORT_SHARED;
        int len = (int)(m - base < SORT_SHARED ? m - base : SORT_SHARED), p = (int)pow2(len);
        const T* x = src + r * (long long)n;
        for (int i = threadIdx.x; i < p; i += blockDim.x) {
            int at = i >= len ? n : cand ? cand[r * m + base + i] : (int)(base + i);
            tp[i] = at;
            key[i] = at < n ? widen(x[at]) : K(0);
        }
        __syncthreads();
        bitonic(key, tp, p, 0, 2, p, n, desc);
        if (chunks == 1) {
            for (int j = threadIdx.x; j < k; j += blockDim.x) {
                vals[r * k + j] = x[tp[j]];
                idx[r * k + j] = tp[j];
            }
        } else {
            for (int j = threadIdx.x; j < kk; j += blockDim.x) {
                out[(r * chunks + c) * kk + j] = j < p ? tp[j] : n;
            }
        }
        __syncthreads();
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
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK)                                                     \
        sort_tiles_##S(int* pos, const T* src, long long rows, int n, long long p, int desc) {                   \
        sort_tile<T>(pos, src, rows, n, p, 2, SORT_SHARED, desc != 0, true);                                     \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK)                                                     \
        sort_merge_##S(int* pos, const T* src, long long rows, int n, long long p, long long size, int desc) {   \
        sort_tile<T>(pos, src, rows, n, p, size, size, desc != 0, false);                                        \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) sort_step_##S(                                      \
        int* pos, const T* src, long long rows, int n, long long p, long long size, long long stride, int desc) { \
        sort_step<T>(pos, src, rows, n, p, size, stride, desc != 0);                                             \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) sort_step2_##S(                                     \
        int* pos, const T* src, long long rows, int n, long long p, long long size, long long stride, int desc) { \
        sort_step2<T>(pos, src, rows, n, p, size, stride, desc != 0);                                            \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK)                                                     \
        sort_gather_##S(T* vals, int* idx, const int* pos, const T* src, long long rows, int n, long long p, int k) { \
        sort_gather<T>(vals, idx, pos, src, rows, n, p, k);                                                      \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) sort_topk_##S(int* out, T* vals, int* idx,           \
        const int* cand, const T* src, long long rows, int n, long long m, int kk, int k, int desc) {            \
        sort_topk<T>(out, vals, idx, cand, src, rows, n, m, kk, k, desc != 0);                                   \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(SORT_BLOCK) cumsum_##S(T* dst, const T* src, long long rows, long long n) { \
        cumsum<T, A>(dst, src, rows, n);                                                                         \
    }

SORT_KERNELS(float, float, f32)
SORT_KERNELS(double, double, f64)
SORT_KERNELS(int, unsigned, i32)
SORT_KERNELS(__nv_bfloat16, float, bf16) // compared and summed in float
SORT_KERNELS(__half, float, f16)
