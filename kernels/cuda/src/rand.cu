// Random family: the Philox4x32-10 streams of device.PhiloxUniform and
// device.PhiloxNormal. Word w of stream (seed, 0) is lane w%4 of the
// Philox block with counter (w/4 as 64 bits, 0, 0) and key (seed lo, hi).
// One thread per Philox block (four words), 1-D grid-stride, 256 threads
// per block. A BFloat16 or Float16 element is the float32 value rounded
// to the half (to nearest even), as the CPU backend makes it.
#include "common.cuh"

// from_double rounds a double to storage type S: to float first for the
// halves.
template <typename S>
__device__ __forceinline__ S from_double(double x) {
    return narrow<S>(typename Compute<S>::type(x));
}

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// philox is device.Philox4x32 for counter (blk lo, blk hi, 0, 0).
__device__ __forceinline__ uint4 philox(unsigned long long blk, unsigned long long seed) {
    unsigned c0 = unsigned(blk), c1 = unsigned(blk >> 32), c2 = 0, c3 = 0;
    unsigned k0 = unsigned(seed), k1 = unsigned(seed >> 32);
#pragma unroll
    for (int r = 0; r < 10; r++) {
        unsigned hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        unsigned hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return make_uint4(c0, c1, c2, c3);
}

__device__ __forceinline__ unsigned lane_of(uint4 x, int l) {
    return l == 0 ? x.x : l == 1 ? x.y : l == 2 ? x.z : x.w;
}

// uniform24 maps a word to ((x >> 8) + 0.5) / 2^24, exact in double.
__device__ __forceinline__ double uniform24(unsigned x) {
    return (double(x >> 8) + 0.5) * (1.0 / 16777216.0);
}

// rand_uniform: dst[i] = T(a + (b-a)*uniform24(word(offset+i))), the
// affine map in double and one rounding. The _rn intrinsics keep nvcc
// from contracting it into an fma, so the bits match Go's two roundings.
template <typename T>
__device__ void rand_uniform(T* __restrict__ dst, long long n, unsigned long long seed, unsigned long long offset,
                             double a, double b) {
    unsigned long long first = offset / 4;
    long long blocks = (long long)((offset + n + 3) / 4 - first);
    for (long long t = grid_start(); t < blocks; t += grid_step()) {
        unsigned long long blk = first + t;
        uint4 x = philox(blk, seed);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            long long i = (long long)(blk * 4 + l - offset);
            if (i >= 0 && i < n) {
                dst[i] = from_double<T>(__dadd_rn(a, __dmul_rn(__dsub_rn(b, a), uniform24(lane_of(x, l)))));
            }
        }
    }
}

// rand_normal: element i reads words w = offset+2i and w+1:
// dst[i] = T(a + b*sqrt(-2 ln u1)*cos(2π u2)) with u1 = uniform24(word(w)),
// u2 = uniform24(word(w+1)), in double. Thread t takes the elements whose
// first word lies in block blk = offset/4 + t; with an odd offset the
// second word of the last one is lane 0 of block blk+1.
template <typename T>
__device__ void rand_normal(T* __restrict__ dst, long long n, unsigned long long seed, unsigned long long offset,
                            double a, double b) {
    unsigned long long first = offset / 4;
    long long blocks = (long long)((offset + 2 * (unsigned long long)n - 2) / 4 - first + 1);
    for (long long t = grid_start(); t < blocks; t += grid_step()) {
        unsigned long long blk = first + t;
        uint4 x = philox(blk, seed);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            unsigned long long w = blk * 4 + l;
            if (w < offset || (w - offset) % 2 != 0) {
                continue;
            }
            long long i = (long long)((w - offset) / 2);
            if (i >= n) {
                continue;
            }
            unsigned w2 = l < 3 ? lane_of(x, l + 1) : philox(blk + 1, seed).x;
            double u1 = uniform24(lane_of(x, l));
            double u2 = uniform24(w2);
            double z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.141592653589793 * u2);
            dst[i] = from_double<T>(__dadd_rn(a, __dmul_rn(b, z)));
        }
    }
}

#define RAND_KERNELS(T, S)                                                                                \
    extern "C" __global__ void __launch_bounds__(256)                                                     \
        rand_uniform_##S(T* dst, long long n, unsigned long long seed, unsigned long long offset, double a, \
                         double b) {                                                                      \
        rand_uniform<T>(dst, n, seed, offset, a, b);                                                      \
    }                                                                                                     \
    extern "C" __global__ void __launch_bounds__(256)                                                     \
        rand_normal_##S(T* dst, long long n, unsigned long long seed, unsigned long long offset, double a,  \
                        double b) {                                                                       \
        rand_normal<T>(dst, n, seed, offset, a, b);                                                       \
    }

RAND_KERNELS(float, f32)
RAND_KERNELS(double, f64)
RAND_KERNELS(__nv_bfloat16, bf16)
RAND_KERNELS(__half, f16)
