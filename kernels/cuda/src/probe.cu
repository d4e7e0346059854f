// Probe family: fma_probe_<dt>, the compute-bound loop the bench package
// times for the device's peak FMA throughput. Every thread keeps
// PROBE_CHAINS independent chains in registers, enough for a warp to hide
// the FMA latency on its own, and the kernel touches memory once. Launch:
// a fixed grid that fills every multiprocessor, 256 threads per block.
#include "common.cuh"

#define PROBE_CHAINS 8

// fma_probe runs, in every thread,
//
//	x[c] = -c for c < PROBE_CHAINS
//	for iters steps: for each c: x[c] = fma(x[c], a, b)
//
// and thread 0 of block 0 writes x[0] to out[0]. a, b and iters are
// parameters so that nvcc cannot fold the loop, and the chains start apart
// so that it cannot merge them. Every other thread stores only when one of
// its chains equals sentinel (the Go side passes NaN, which equals
// nothing): the compiler must keep every chain of every thread.
template <typename T>
__device__ void fma_probe(T* out, int iters, T a, T b, T sentinel) {
    T x[PROBE_CHAINS];
#pragma unroll
    for (int c = 0; c < PROBE_CHAINS; c++) {
        x[c] = T(-c);
    }
    for (int i = 0; i < iters; i++) {
#pragma unroll
        for (int c = 0; c < PROBE_CHAINS; c++) {
            x[c] = fma(x[c], a, b);
        }
    }
    bool hit = false;
#pragma unroll
    for (int c = 0; c < PROBE_CHAINS; c++) {
        hit |= x[c] == sentinel;
    }
    if (hit || (blockIdx.x == 0 && threadIdx.x == 0)) {
        out[0] = x[0];
    }
}

#define PROBE_KERNELS(T, S)                                      \
    extern "C" __global__ void __launch_bounds__(256)            \
        fma_probe_##S(T* out, int iters, T a, T b, T sentinel) { \
        fma_probe<T>(out, iters, a, b, sentinel);                \
    }

PROBE_KERNELS(float, f32)
PROBE_KERNELS(double, f64)
