// Elementwise unary family: dst[i] = op(src[i]; p) for the ops of
// device.UnaryOp, in the dtype's precision. Two kernels per op and dtype:
// <op>_<dt> reads src through a Strided layout, <op>_vec_<dt> is the
// contiguous path with 16-byte vector loads and stores (the Go side picks
// it when every pointer is 16-byte aligned). Launch: 1-D grid-stride, 256
// threads per block. BFloat16 and Float16 (<op>_bf16, <op>_f16) compute
// in float and round to nearest even on store; their vector path moves
// 4 halves per 8-byte access (with 8 per access, ptxas spilled registers
// in the eight unrolled sin and cos calls).
#include "common.cuh"

enum UnaryOp { NEG, ABS, SIGN, EXP, LOG, SQRT, TANH, SIGMOID, RELU, LEAKY_RELU, GELU, POW, LOG1P, EXPM1, SIN, COS, ERF };

// Precision-matched math: the float overloads call the f-suffixed
// libdevice functions, never the double ones.
__device__ __forceinline__ float m_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double m_abs(double x) { return fabs(x); }
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }
__device__ __forceinline__ float m_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double m_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float m_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double m_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float m_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double m_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float m_expm1(float x) { return expm1f(x); }
__device__ __forceinline__ double m_expm1(double x) { return expm1(x); }
__device__ __forceinline__ float m_sin(float x) { return sinf(x); }
__device__ __forceinline__ double m_sin(double x) { return sin(x); }
__device__ __forceinline__ float m_cos(float x) { return cosf(x); }
__device__ __forceinline__ double m_cos(double x) { return cos(x); }
__device__ __forceinline__ float m_erf(float x) { return erff(x); }
__device__ __forceinline__ double m_erf(double x) { return erf(x); }
__device__ __forceinline__ float m_pow(float x, float p) { return powf(x, p); }
__device__ __forceinline__ double m_pow(double x, double p) { return pow(x, p); }

// sigmoid never evaluates exp of a positive argument, so it cannot
// overflow: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
template <typename T>
__device__ __forceinline__ T sigmoid(T x) {
    if (x >= T(0)) {
        return T(1) / (T(1) + m_exp(-x));
    }
    T e = m_exp(x);
    return e / (T(1) + e);
}

// gelu is the tanh approximation 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
template <typename T>
__device__ __forceinline__ T gelu(T x) {
    const T k = T(0.7978845608028654);
    return T(0.5) * x * (T(1) + m_tanh(k * (x + T(0.044715) * x * x * x)));
}

// unary is the reference definition of each op (device/ops.go).
template <int OP, typename T>
__device__ __forceinline__ T unary(T x, T p) {
    switch (OP) {
    case NEG:
        return -x;
    case ABS:
        return m_abs(x);
    case SIGN:
        return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    case EXP:
        return m_exp(x);
    case LOG:
        return m_log(x);
    case SQRT:
        return m_sqrt(x);
    case TANH:
        return m_tanh(x);
    case SIGMOID:
        return sigmoid(x);
    case RELU:
        return (x > T(0) || is_nan(x)) ? x : T(0);
    case LEAKY_RELU:
        return x > T(0) ? x : p * x;
    case GELU:
        return gelu(x);
    case LOG1P:
        return m_log1p(x);
    case EXPM1:
        return m_expm1(x);
    case SIN:
        return m_sin(x);
    case COS:
        return m_cos(x);
    case ERF:
        return m_erf(x);
    default:
        return m_pow(x, p);
    }
}

// apply_unary is op on one stored element: widened, computed, narrowed.
template <int OP, typename S>
__device__ __forceinline__ S apply_unary(S x, typename Compute<S>::type p) {
    return narrow<S>(unary<OP>(widen(x), p));
}

// unary_strided: for i in 0..n: dst[i] = op(src[sl.index(i)]; p)
template <int OP, typename S>
__device__ void unary_strided(S* __restrict__ dst, const S* __restrict__ src, const Strided& sl, long long n,
                              typename Compute<S>::type p) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[i] = apply_unary<OP>(src[strided_index(sl, i)], p);
    }
}

// unary_vec: for i in 0..n: dst[i] = op(src[i]; p), 16 bytes (8 for
// halves) at a time.
template <int OP, typename S>
__device__ void unary_vec(S* __restrict__ dst, const S* __restrict__ src, long long n, typename Compute<S>::type p) {
    const int B = sizeof(S) == 2 ? 8 : 16;
    typedef Pack<S, B> P;
    long long nv = vec_count<S, B>(n);
    const P* s = reinterpret_cast<const P*>(src);
    P* d = reinterpret_cast<P*>(dst);
    for (long long i = grid_start(); i < nv; i += grid_step()) {
        P v = s[i];
#pragma unroll
        for (int k = 0; k < P::N; k++) {
            v.v[k] = apply_unary<OP>(v.v[k], p);
        }
        d[i] = v;
    }
#pragma unroll 1
    for (long long i = nv * P::N + grid_start(); i < n; i += grid_step()) {
        dst[i] = apply_unary<OP>(src[i], p);
    }
}

#define UNARY_KERNELS(NAME, OP, T, S)                                                                   \
    extern "C" __global__ void __launch_bounds__(256) NAME##_##S(T* dst, const T* src, Strided sl,        \
                                                                 long long n, Compute<T>::type p) {     \
        unary_strided<OP, T>(dst, src, sl, n, p);                                                       \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) NAME##_vec_##S(T* dst, const T* src, long long n, \
                                                                     Compute<T>::type p) {              \
        unary_vec<OP, T>(dst, src, n, p);                                                               \
    }

#define UNARY_FLOAT(NAME, OP)                      \
    UNARY_KERNELS(NAME, OP, float, f32)            \
    UNARY_KERNELS(NAME, OP, double, f64)           \
    UNARY_KERNELS(NAME, OP, __nv_bfloat16, bf16)   \
    UNARY_KERNELS(NAME, OP, __half, f16)

UNARY_FLOAT(neg, NEG)
UNARY_FLOAT(abs, ABS)
UNARY_FLOAT(sign, SIGN)
UNARY_FLOAT(exp, EXP)
UNARY_FLOAT(log, LOG)
UNARY_FLOAT(sqrt, SQRT)
UNARY_FLOAT(tanh, TANH)
UNARY_FLOAT(sigmoid, SIGMOID)
UNARY_FLOAT(relu, RELU)
UNARY_FLOAT(leaky_relu, LEAKY_RELU)
UNARY_FLOAT(gelu, GELU)
UNARY_FLOAT(pow, POW)
UNARY_FLOAT(log1p, LOG1P)
UNARY_FLOAT(expm1, EXPM1)
UNARY_FLOAT(sin, SIN)
UNARY_FLOAT(cos, COS)
UNARY_FLOAT(erf, ERF)
