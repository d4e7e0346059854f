// Elementwise binary family, including the fused VJP ops and where.
// dst[i] = op(a[i], b[i]; p) for the ops of device.BinaryOp. Broadcasting
// arrives as stride-0 dims of the Strided layouts. Two kernels per op and
// dtype: <op>_<dt> (strided) and <op>_vec_<dt> (contiguous, 16-byte
// aligned, vector loads). Launch: 1-D grid-stride, 256 threads per block.
//
// Int32 division by zero cannot be reported per launch without a
// synchronisation, so div_i32 and div_vec_i32 write 0 for that element and
// record it in the status word (common.cuh); the Go side reads the word at
// the next Sync or Read and returns the error there.
//
// BFloat16 and Float16 (<op>_bf16, <op>_f16) compute in float and round
// to nearest even on store; their vector path moves 8 halves per access.
#include "common.cuh"

enum BinaryOp {
    ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE,
    RELU_GRAD, LEAKY_RELU_GRAD, SIGMOID_GRAD, TANH_GRAD, GELU_GRAD
};

__device__ __forceinline__ float m_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double m_tanh(double x) { return tanh(x); }

// gelu_grad is g * d/dx of 0.5x(1+tanh(u)), u = √(2/π)(x+0.044715x³):
// g * (0.5(1+t) + 0.5x(1-t²)·√(2/π)(1+3·0.044715x²)), t = tanh(u).
template <typename T>
__device__ __forceinline__ T gelu_grad(T x, T g) {
    const T k = T(0.7978845608028654);
    const T c = T(0.044715);
    T t = m_tanh(k * (x + c * x * x * x));
    T d = T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
    return g * d;
}

// maximum and minimum are Go's max and min: NaN if either is NaN, and
// -0 below +0.
template <typename T>
__device__ __forceinline__ T maximum(T a, T b) {
    if (is_nan(a) || is_nan(b)) {
        return a + b;
    }
    if (a == b) {
        return signbit(a) ? b : a;
    }
    return a > b ? a : b;
}

template <typename T>
__device__ __forceinline__ T minimum(T a, T b) {
    if (is_nan(a) || is_nan(b)) {
        return a + b;
    }
    if (a == b) {
        return signbit(a) ? a : b;
    }
    return a < b ? a : b;
}

__device__ __forceinline__ int maximum(int a, int b) { return max(a, b); }
__device__ __forceinline__ int minimum(int a, int b) { return min(a, b); }

// int_div is Go's truncated int32 division: x / -1 wraps like -x, and
// division by zero flags the status word and gives 0.
__device__ __forceinline__ int int_div(int a, int b, int* status) {
    if (b == 0) {
        flag_error(status, TG_ST_DIV_ZERO, a, 0, -1);
        return 0;
    }
    if (b == -1) {
        return (int)(0u - (unsigned)a);
    }
    return a / b;
}

// Op<OP>::apply is the reference definition of each op (device/ops.go);
// one specialisation per op, so the float-only VJP ops are never
// instantiated for int.
template <int OP>
struct Op;

#define BINARY_OP(OP, EXPR)                                          \
    template <>                                                      \
    struct Op<OP> {                                                  \
        template <typename T>                                        \
        __device__ __forceinline__ static T apply(T a, T b, T p) {   \
            return EXPR;                                             \
        }                                                            \
    };

BINARY_OP(ADD, a + b)
BINARY_OP(SUB, a - b)
BINARY_OP(MUL, a * b)
BINARY_OP(DIV, a / b)
BINARY_OP(MAXIMUM, maximum(a, b))
BINARY_OP(MINIMUM, minimum(a, b))
BINARY_OP(EQ, a == b ? T(1) : T(0))
BINARY_OP(NE, a != b ? T(1) : T(0))
BINARY_OP(LT, a < b ? T(1) : T(0))
BINARY_OP(LE, a <= b ? T(1) : T(0))
BINARY_OP(GT, a > b ? T(1) : T(0))
BINARY_OP(GE, a >= b ? T(1) : T(0))
BINARY_OP(RELU_GRAD, a > T(0) ? b : T(0))
BINARY_OP(LEAKY_RELU_GRAD, a > T(0) ? b : p * b)
BINARY_OP(SIGMOID_GRAD, b * a * (T(1) - a))
BINARY_OP(TANH_GRAD, b * (T(1) - a * a))
BINARY_OP(GELU_GRAD, gelu_grad(a, b))

// BinaryFn adapts Op<OP> to the kernels below; the int32 division
// specialisation carries the status word.
template <int OP, typename T>
struct BinaryFn {
    T p;
    __device__ T operator()(T a, T b) const { return Op<OP>::apply(a, b, p); }
};

struct IntDivFn {
    int* status;
    __device__ int operator()(int a, int b) const { return int_div(a, b, status); }
};

// binary_strided: for i in 0..n: dst[i] = f(a[al.index(i)], b[bl.index(i)]),
// f computing in Compute<S>::type.
template <typename S, typename F>
__device__ void binary_strided(S* __restrict__ dst, const S* __restrict__ a, const Strided& al,
                               const S* __restrict__ b, const Strided& bl, long long n, F f) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[i] = narrow<S>(f(widen(a[strided_index(al, i)]), widen(b[strided_index(bl, i)])));
    }
}

// binary_vec: for i in 0..n: dst[i] = f(a[i], b[i]), 16 bytes at a time.
template <typename S, typename F>
__device__ void binary_vec(S* __restrict__ dst, const S* __restrict__ a, const S* __restrict__ b, long long n,
                           F f) {
    long long nv = vec_count<S>(n);
    const Pack<S>* pa = reinterpret_cast<const Pack<S>*>(a);
    const Pack<S>* pb = reinterpret_cast<const Pack<S>*>(b);
    Pack<S>* pd = reinterpret_cast<Pack<S>*>(dst);
    for (long long i = grid_start(); i < nv; i += grid_step()) {
        Pack<S> va = pa[i];
        Pack<S> vb = pb[i];
#pragma unroll
        for (int k = 0; k < Pack<S>::N; k++) {
            va.v[k] = narrow<S>(f(widen(va.v[k]), widen(vb.v[k])));
        }
        pd[i] = va;
    }
#pragma unroll 1
    for (long long i = nv * Pack<S>::N + grid_start(); i < n; i += grid_step()) {
        dst[i] = narrow<S>(f(widen(a[i]), widen(b[i])));
    }
}

#define BINARY_KERNELS(NAME, OP, T, S)                                                                     \
    extern "C" __global__ void __launch_bounds__(256) NAME##_##S(                                          \
        T* dst, const T* a, Strided al, const T* b, Strided bl, long long n, Compute<T>::type p) {         \
        binary_strided<T>(dst, a, al, b, bl, n, BinaryFn<OP, Compute<T>::type>{p});                        \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        NAME##_vec_##S(T* dst, const T* a, const T* b, long long n, Compute<T>::type p) {                  \
        binary_vec<T>(dst, a, b, n, BinaryFn<OP, Compute<T>::type>{p});                                    \
    }

#define BINARY_FLOAT(NAME, OP)                     \
    BINARY_KERNELS(NAME, OP, float, f32)           \
    BINARY_KERNELS(NAME, OP, double, f64)          \
    BINARY_KERNELS(NAME, OP, __nv_bfloat16, bf16)  \
    BINARY_KERNELS(NAME, OP, __half, f16)

#define BINARY_ALL(NAME, OP)   \
    BINARY_FLOAT(NAME, OP)     \
    BINARY_KERNELS(NAME, OP, int, i32)

BINARY_ALL(add, ADD)
BINARY_ALL(sub, SUB)
BINARY_ALL(mul, MUL)
BINARY_FLOAT(div, DIV)
BINARY_ALL(maximum, MAXIMUM)
BINARY_ALL(minimum, MINIMUM)
BINARY_ALL(eq, EQ)
BINARY_ALL(ne, NE)
BINARY_ALL(lt, LT)
BINARY_ALL(le, LE)
BINARY_ALL(gt, GT)
BINARY_ALL(ge, GE)
BINARY_FLOAT(relu_grad, RELU_GRAD)
BINARY_FLOAT(leaky_relu_grad, LEAKY_RELU_GRAD)
BINARY_FLOAT(sigmoid_grad, SIGMOID_GRAD)
BINARY_FLOAT(tanh_grad, TANH_GRAD)
BINARY_FLOAT(gelu_grad, GELU_GRAD)

// div_i32 and div_vec_i32 take the status word in place of p.
extern "C" __global__ void __launch_bounds__(256)
    div_i32(int* dst, const int* a, Strided al, const int* b, Strided bl, long long n, int* status) {
    binary_strided<int>(dst, a, al, b, bl, n, IntDivFn{status});
}

extern "C" __global__ void __launch_bounds__(256)
    div_vec_i32(int* dst, const int* a, const int* b, long long n, int* status) {
    binary_vec<int>(dst, a, b, n, IntDivFn{status});
}

// nonzero is the condition of where: true for NaN, false for ±0.
template <typename T>
__device__ __forceinline__ bool nonzero(T c) {
    return widen(c) != typename Compute<T>::type(0);
}

// where selects by a condition of the output's dtype.
//
//	for i in 0..n: dst[i] = c[cl.index(i)] != 0 ? a[al.index(i)] : b[bl.index(i)]
template <typename T>
__device__ void where_strided(T* __restrict__ dst, const T* __restrict__ c, const Strided& cl,
                              const T* __restrict__ a, const Strided& al, const T* __restrict__ b,
                              const Strided& bl, long long n) {
#pragma unroll 1
    for (long long i = grid_start(); i < n; i += grid_step()) {
        dst[i] = nonzero(c[strided_index(cl, i)]) ? a[strided_index(al, i)] : b[strided_index(bl, i)];
    }
}

// where_vec is where over contiguous, 16-byte aligned operands.
template <typename T>
__device__ void where_vec(T* __restrict__ dst, const T* __restrict__ c, const T* __restrict__ a,
                          const T* __restrict__ b, long long n) {
    long long nv = vec_count<T>(n);
    const Pack<T>* pc = reinterpret_cast<const Pack<T>*>(c);
    const Pack<T>* pa = reinterpret_cast<const Pack<T>*>(a);
    const Pack<T>* pb = reinterpret_cast<const Pack<T>*>(b);
    Pack<T>* pd = reinterpret_cast<Pack<T>*>(dst);
    for (long long i = grid_start(); i < nv; i += grid_step()) {
        Pack<T> vc = pc[i];
        Pack<T> va = pa[i];
        Pack<T> vb = pb[i];
#pragma unroll
        for (int k = 0; k < Pack<T>::N; k++) {
            va.v[k] = nonzero(vc.v[k]) ? va.v[k] : vb.v[k];
        }
        pd[i] = va;
    }
#pragma unroll 1
    for (long long i = nv * Pack<T>::N + grid_start(); i < n; i += grid_step()) {
        dst[i] = nonzero(c[i]) ? a[i] : b[i];
    }
}

#define WHERE_KERNELS(T, S)                                                                                 \
    extern "C" __global__ void __launch_bounds__(256) where_##S(T* dst, const T* c, Strided cl, const T* a, \
                                                                Strided al, const T* b, Strided bl,         \
                                                                long long n) {                              \
        where_strided<T>(dst, c, cl, a, al, b, bl, n);                                                      \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) where_vec_##S(T* dst, const T* c, const T* a,         \
                                                                    const T* b, long long n) {              \
        where_vec<T>(dst, c, a, b, n);                                                                      \
    }

WHERE_KERNELS(float, f32)
WHERE_KERNELS(double, f64)
WHERE_KERNELS(int, i32)
WHERE_KERNELS(__nv_bfloat16, bf16)
WHERE_KERNELS(__half, f16)
