// Optim family: fused in-place parameter updates over n contiguous
// elements, one thread per element, 1-D grid-stride, 256 threads per
// block. The math runs in the dtype's precision (double for f64); the
// Adam bias corrections 1-β1^t and 1-β2^t come precomputed from Go.
// BFloat16 and Float16 buffers (param, grad and the moments alike) are
// read into float, updated in float and rounded to nearest even on store.
#include "common.cuh"

// sgd, as device.SGDParams defines (mom is unused when momentum == 0):
//
//	g = grad[i] + wd*param[i]
//	if momentum != 0: mom[i] = momentum*mom[i] + g; g = nesterov ? g + momentum*mom[i] : mom[i]
//	param[i] -= lr*g
template <typename S, typename T = typename Compute<S>::type>
__device__ void sgd(S* __restrict__ param, const S* __restrict__ grad, S* __restrict__ mom, long long n, T lr,
                    T momentum, T wd, int nesterov) {
    for (long long i = grid_start(); i < n; i += grid_step()) {
        T p = widen(param[i]);
        T g = widen(grad[i]) + wd * p;
        if (momentum != T(0)) {
            T m = momentum * widen(mom[i]) + g;
            mom[i] = narrow<S>(m);
            g = nesterov ? g + momentum * m : m;
        }
        param[i] = narrow<S>(p - lr * g);
    }
}

// adam, as device.AdamParams defines, with bc1 = 1-β1^step, bc2 = 1-β2^step:
//
//	if decoupled: param[i] *= 1 - lr*wd  else: g = grad[i] + wd*param[i]
//	m[i] = β1*m[i] + (1-β1)*g
//	v[i] = β2*v[i] + (1-β2)*g²
//	param[i] -= lr * (m[i]/bc1) / (sqrt(v[i]/bc2) + eps)
template <typename S, typename T = typename Compute<S>::type>
__device__ void adam(S* __restrict__ param, const S* __restrict__ grad, S* __restrict__ m, S* __restrict__ v,
                     long long n, T lr, T beta1, T beta2, T eps, T wd, T bc1, T bc2, int decoupled) {
    for (long long i = grid_start(); i < n; i += grid_step()) {
        T p = widen(param[i]);
        T g = widen(grad[i]);
        if (decoupled) {
            p *= T(1) - lr * wd;
        } else {
            g += wd * p;
        }
        T mi = beta1 * widen(m[i]) + (T(1) - beta1) * g;
        T vi = beta2 * widen(v[i]) + (T(1) - beta2) * g * g;
        m[i] = narrow<S>(mi);
        v[i] = narrow<S>(vi);
        param[i] = narrow<S>(p - lr * (mi / bc1) / (sqrt(vi / bc2) + eps));
    }
}

// C is the type the scalars arrive in: T, or float for the halves.
#define OPTIM_KERNELS(T, C, S)                                                                                \
    extern "C" __global__ void __launch_bounds__(256) sgd_##S(T* param, const T* grad, T* mom, long long n,   \
                                                              C lr, C momentum, C wd, int nesterov) {         \
        sgd<T>(param, grad, mom, n, lr, momentum, wd, nesterov);                                              \
    }                                                                                                         \
    extern "C" __global__ void __launch_bounds__(256)                                                         \
        adam_##S(T* param, const T* grad, T* m, T* v, long long n, C lr, C beta1, C beta2, C eps, C wd, C bc1, \
                 C bc2, int decoupled) {                                                                      \
        adam<T>(param, grad, m, v, n, lr, beta1, beta2, eps, wd, bc1, bc2, decoupled);                        \
    }

OPTIM_KERNELS(float, float, f32)
OPTIM_KERNELS(double, double, f64)
OPTIM_KERNELS(__nv_bfloat16, float, bf16)
OPTIM_KERNELS(__half, float, f16)
