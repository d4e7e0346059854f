// Softmax family over contiguous [rows, cols], along cols: softmax,
// log-softmax, fused softmax cross-entropy with int32 labels and label
// smoothing, and their backward passes. Every row is max-subtracted, so no
// exp overflows. Two kernels per op and dtype: <op>_<dt> gives each row a
// 256-thread block (long rows), <op>_warp_<dt> gives each row a warp of a
// 256-thread block (rows of at most a few thousand). Sums of f32 rows
// accumulate in f32 through the shuffle tree. BFloat16 and Float16 rows
// (and losses) are read as float, computed in float (f32 sums) and
// rounded to the half on store.
#include "common.cuh"

#define SOFTMAX_BLOCK 256

__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }

// Rows hands out rows to groups of threads: a warp each (WARP) or the
// whole block. Loop bounds are uniform within a group, so every
// shuffle and barrier is reached by all of its threads.
template <bool WARP>
struct Rows {
    long long first, step;
    int lane, width;
    __device__ Rows() {
        if (WARP) {
            first = grid_start() / TG_WARP;
            step = grid_step() / TG_WARP;
            lane = threadIdx.x & (TG_WARP - 1);
            width = TG_WARP;
        } else {
            first = blockIdx.x;
            step = gridDim.x;
            lane = threadIdx.x;
            width = blockDim.x;
        }
    }
};

template <bool WARP, typename T>
__device__ __forceinline__ T group_sum(T v, T* scratch) {
    return WARP ? warp_sum(v) : block_sum(v, scratch);
}

template <bool WARP, typename T>
__device__ __forceinline__ T group_max(T v, T* scratch) {
    return WARP ? warp_max(v) : block_max(v, scratch);
}

// row_max is the maximum of a row; NaNs are skipped here and reach the
// output through the exp of the next pass.
template <bool WARP, typename S, typename T = typename Compute<S>::type>
__device__ __forceinline__ T row_max(const S* __restrict__ x, long long cols, const Rows<WARP>& g, T* scratch) {
    T m = Limits<T>::lowest();
    for (long long c = g.lane; c < cols; c += g.width) {
        T v = widen(x[c]);
        m = v > m ? v : m;
    }
    return group_max<WARP>(m, scratch);
}

// row_sumexp is Σ exp(x - m) over a row.
template <bool WARP, typename S, typename T = typename Compute<S>::type>
__device__ __forceinline__ T row_sumexp(const S* __restrict__ x, long long cols, T m, const Rows<WARP>& g,
                                        T* scratch) {
    T s = T(0);
    for (long long c = g.lane; c < cols; c += g.width) {
        s += m_exp(widen(x[c]) - m);
    }
    return group_sum<WARP>(s, scratch);
}

// softmax: for each row, m = max x, s = Σ exp(x-m);
// y = exp(x-m)/s, or x - m - log s for log-softmax.
template <bool WARP, bool LOG, typename S>
__device__ void softmax(S* __restrict__ dst, const S* __restrict__ src, long long rows, long long cols) {
    typedef typename Compute<S>::type T;
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const S* x = src + r * cols;
        S* y = dst + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        if (LOG) {
            T shift = m + m_log(s);
            for (long long c = g.lane; c < cols; c += g.width) {
                y[c] = narrow<S>(widen(x[c]) - shift);
            }
        } else {
            T inv = T(1) / s;
            for (long long c = g.lane; c < cols; c += g.width) {
                y[c] = narrow<S>(m_exp(widen(x[c]) - m) * inv);
            }
        }
    }
}

// softmax_backward: for each row,
// softmax:     dx = y*(dy - Σ dy*y)
// log-softmax: dx = dy - exp(y)*Σ dy
template <bool WARP, bool LOG, typename S>
__device__ void softmax_backward(S* __restrict__ dx, const S* __restrict__ y, const S* __restrict__ dy,
                                 long long rows, long long cols) {
    typedef typename Compute<S>::type T;
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const S* yr = y + r * cols;
        const S* dyr = dy + r * cols;
        S* dxr = dx + r * cols;
        T s = T(0);
        for (long long c = g.lane; c < cols; c += g.width) {
            T d = widen(dyr[c]);
            s += LOG ? d : d * widen(yr[c]);
        }
        s = group_sum<WARP>(s, scratch);
        for (long long c = g.lane; c < cols; c += g.width) {
            T d = widen(dyr[c]);
            T v = widen(yr[c]);
            dxr[c] = narrow<S>(LOG ? d - m_exp(v) * s : v * (d - s));
        }
    }
}

// cross_entropy: with lse = m + log Σ exp(x-m) and targets
// t = (1-sm)*onehot(label) + sm/cols (Σ t = 1),
// loss[r] = -Σ t*(x - lse) = lse - (1-sm)*x[label] - sm*Σx/cols.
// A label outside [0, cols) is recorded in the status word (common.cuh)
// and gives a NaN loss; the host reports it at the next Sync or Read.
template <bool WARP, typename S>
__device__ void cross_entropy(S* __restrict__ loss, const S* __restrict__ logits, const int* __restrict__ labels,
                              long long rows, long long cols, typename Compute<S>::type sm, int* status) {
    typedef typename Compute<S>::type T;
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const S* x = logits + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        T sx = T(0);
        for (long long c = g.lane; c < cols; c += g.width) {
            sx += widen(x[c]);
        }
        sx = group_sum<WARP>(sx, scratch);
        if (g.lane == 0) {
            int label = labels[r];
            if ((unsigned)label >= (unsigned long long)cols) {
                flag_error(status, TG_ST_CROSS_ENTROPY, label, (int)cols, r);
                loss[r] = narrow<S>(T(0) / T(0));
            } else {
                T lse = m + m_log(s);
                loss[r] = narrow<S>(lse - (T(1) - sm) * widen(x[label]) - sm * sx / T(cols));
            }
        }
    }
}

// cross_entropy_backward: dlogits[r,c] = dloss[r]*(exp(x-lse) - t[c]).
template <bool WARP, typename S>
__device__ void cross_entropy_backward(S* __restrict__ dlogits, const S* __restrict__ logits,
                                       const int* __restrict__ labels, const S* __restrict__ dloss, long long rows,
                                       long long cols, typename Compute<S>::type sm) {
    typedef typename Compute<S>::type T;
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const S* x = logits + r * cols;
        S* d = dlogits + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        T lse = m + m_log(s);
        T g0 = widen(dloss[r]);
        T off = sm / T(cols);
        int label = labels[r];
        for (long long c = g.lane; c < cols; c += g.width) {
            T t = c == label ? T(1) - sm + off : off;
            d[c] = narrow<S>(g0 * (m_exp(widen(x[c]) - lse) - t));
        }
    }
}

#define SOFTMAX_KERNELS(SUFFIX, WARP, T, S)                                                                   \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK)                                               \
        softmax##SUFFIX##_##S(T* dst, const T* src, long long rows, long long cols) {                         \
        softmax<WARP, false, T>(dst, src, rows, cols);                                                        \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK)                                               \
        log_softmax##SUFFIX##_##S(T* dst, const T* src, long long rows, long long cols) {                     \
        softmax<WARP, true, T>(dst, src, rows, cols);                                                         \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK)                                               \
        softmax_backward##SUFFIX##_##S(T* dx, const T* y, const T* dy, long long rows, long long cols) {      \
        softmax_backward<WARP, false, T>(dx, y, dy, rows, cols);                                              \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK)                                               \
        log_softmax_backward##SUFFIX##_##S(T* dx, const T* y, const T* dy, long long rows, long long cols) {  \
        softmax_backward<WARP, true, T>(dx, y, dy, rows, cols);                                               \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK) cross_entropy##SUFFIX##_##S(                  \
        T* loss, const T* logits, const int* labels, long long rows, long long cols, Compute<T>::type sm, int* status) {     \
        cross_entropy<WARP, T>(loss, logits, labels, rows, cols, sm, status);                                 \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK) cross_entropy_backward##SUFFIX##_##S(         \
        T* dlogits, const T* logits, const int* labels, const T* dloss, long long rows, long long cols, Compute<T>::type sm) { \
        cross_entropy_backward<WARP, T>(dlogits, logits, labels, dloss, rows, cols, sm);                      \
    }

SOFTMAX_KERNELS(, false, float, f32)
SOFTMAX_KERNELS(, false, double, f64)
SOFTMAX_KERNELS(_warp, true, float, f32)
SOFTMAX_KERNELS(_warp, true, double, f64)
SOFTMAX_KERNELS(, false, __nv_bfloat16, bf16)
SOFTMAX_KERNELS(, false, __half, f16)
SOFTMAX_KERNELS(_warp, true, __nv_bfloat16, bf16)
SOFTMAX_KERNELS(_warp, true, __half, f16)
