// Softmax family over contiguous [rows, cols], along cols: softmax,
// log-softmax, fused softmax cross-entropy with int32 labels and label
// smoothing, and their backward passes. Every row is max-subtracted, so no
// exp overflows. Two kernels per op and dtype: <op>_<dt> gives each row a
// 256-thread block (long rows), <op>_warp_<dt> gives each row a warp of a
// 256-thread block (rows of at most a few thousand). Sums of f32 rows
// accumulate in f32 through the shuffle tree.
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
template <bool WARP, typename T>
__device__ __forceinline__ T row_max(const T* __restrict__ x, long long cols, const Rows<WARP>& g, T* scratch) {
    T m = Limits<T>::lowest();
    for (long long c = g.lane; c < cols; c += g.width) {
        m = x[c] > m ? x[c] : m;
    }
    return group_max<WARP>(m, scratch);
}

// row_sumexp is Σ exp(x - m) over a row.
template <bool WARP, typename T>
__device__ __forceinline__ T row_sumexp(const T* __restrict__ x, long long cols, T m, const Rows<WARP>& g,
                                        T* scratch) {
    T s = T(0);
    for (long long c = g.lane; c < cols; c += g.width) {
        s += m_exp(x[c] - m);
    }
    return group_sum<WARP>(s, scratch);
}

// softmax: for each row, m = max x, s = Σ exp(x-m);
// y = exp(x-m)/s, or x - m - log s for log-softmax.
template <bool WARP, bool LOG, typename T>
__device__ void softmax(T* __restrict__ dst, const T* __restrict__ src, long long rows, long long cols) {
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const T* x = src + r * cols;
        T* y = dst + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        if (LOG) {
            T shift = m + m_log(s);
            for (long long c = g.lane; c < cols; c += g.width) {
                y[c] = x[c] - shift;
            }
        } else {
            T inv = T(1) / s;
            for (long long c = g.lane; c < cols; c += g.width) {
                y[c] = m_exp(x[c] - m) * inv;
            }
        }
    }
}

// softmax_backward: for each row,
// softmax:     dx = y*(dy - Σ dy*y)
// log-softmax: dx = dy - exp(y)*Σ dy
template <bool WARP, bool LOG, typename T>
__device__ void softmax_backward(T* __restrict__ dx, const T* __restrict__ y, const T* __restrict__ dy,
                                 long long rows, long long cols) {
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const T* yr = y + r * cols;
        const T* dyr = dy + r * cols;
        T* dxr = dx + r * cols;
        T s = T(0);
        for (long long c = g.lane; c < cols; c += g.width) {
            s += LOG ? dyr[c] : dyr[c] * yr[c];
        }
        s = group_sum<WARP>(s, scratch);
        for (long long c = g.lane; c < cols; c += g.width) {
            dxr[c] = LOG ? dyr[c] - m_exp(yr[c]) * s : yr[c] * (dyr[c] - s);
        }
    }
}

// cross_entropy: with lse = m + log Σ exp(x-m) and targets
// t = (1-sm)*onehot(label) + sm/cols (Σ t = 1),
// loss[r] = -Σ t*(x - lse) = lse - (1-sm)*x[label] - sm*Σx/cols.
// A label outside [0, cols) is recorded in the status word (common.cuh)
// and gives a NaN loss; the host reports it at the next Sync or Read.
template <bool WARP, typename T>
__device__ void cross_entropy(T* __restrict__ loss, const T* __restrict__ logits, const int* __restrict__ labels,
                              long long rows, long long cols, T sm, int* status) {
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const T* x = logits + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        T sx = T(0);
        for (long long c = g.lane; c < cols; c += g.width) {
            sx += x[c];
        }
        sx = group_sum<WARP>(sx, scratch);
        if (g.lane == 0) {
            int label = labels[r];
            if ((unsigned)label >= (unsigned long long)cols) {
                flag_error(status, TG_ST_CROSS_ENTROPY, label, (int)cols, r);
                loss[r] = T(0) / T(0);
            } else {
                T lse = m + m_log(s);
                loss[r] = lse - (T(1) - sm) * x[label] - sm * sx / T(cols);
            }
        }
    }
}

// cross_entropy_backward: dlogits[r,c] = dloss[r]*(exp(x-lse) - t[c]).
template <bool WARP, typename T>
__device__ void cross_entropy_backward(T* __restrict__ dlogits, const T* __restrict__ logits,
                                       const int* __restrict__ labels, const T* __restrict__ dloss, long long rows,
                                       long long cols, T sm) {
    __shared__ T scratch[SOFTMAX_BLOCK / TG_WARP];
    Rows<WARP> g;
    for (long long r = g.first; r < rows; r += g.step) {
        const T* x = logits + r * cols;
        T* d = dlogits + r * cols;
        T m = row_max<WARP>(x, cols, g, scratch);
        T s = row_sumexp<WARP>(x, cols, m, g, scratch);
        T lse = m + m_log(s);
        T g0 = dloss[r];
        T off = sm / T(cols);
        int label = labels[r];
        for (long long c = g.lane; c < cols; c += g.width) {
            T t = c == label ? T(1) - sm + off : off;
            d[c] = g0 * (m_exp(x[c] - lse) - t);
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
        T* loss, const T* logits, const int* labels, long long rows, long long cols, T sm, int* status) {     \
        cross_entropy<WARP, T>(loss, logits, labels, rows, cols, sm, status);                                 \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(SOFTMAX_BLOCK) cross_entropy_backward##SUFFIX##_##S(         \
        T* dlogits, const T* logits, const int* labels, const T* dloss, long long rows, long long cols, T sm) { \
        cross_entropy_backward<WARP, T>(dlogits, logits, labels, dloss, rows, cols, sm);                      \
    }

SOFTMAX_KERNELS(, false, float, f32)
SOFTMAX_KERNELS(, false, double, f64)
SOFTMAX_KERNELS(_warp, true, float, f32)
SOFTMAX_KERNELS(_warp, true, double, f64)
