// Deliberately broken kernels: cudasim must report each with the right
// fault kind instead of returning garbage.

#include <assert.h>

// oob_write: writes one element past the end: out[n] for the last thread.
extern "C" __global__ void oob_write(float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) out[i] = 1.f;
}

// barrier_divergent: __syncthreads inside a branch only part of the block
// takes; the others wait at a different __syncthreads, so the two barriers
// would pair up unrelated code on a GPU.
extern "C" __global__ void barrier_divergent(float* out) {
    __shared__ float s[64];
    int t = threadIdx.x;
    s[t] = t;
    if (t < 16) {
        __syncthreads();
        out[t] = s[t + 1];
    }
    __syncthreads();
    out[t + 64] = s[63 - t];
}

// shared_race: every thread updates its own slot while a thread of the
// next warp reads it, with no barrier between the read and the write.
extern "C" __global__ void shared_race(float* out) {
    __shared__ float s[256];
    int t = threadIdx.x;
    s[t] = t;
    __syncthreads();
    s[t] = s[t] * 2.f;
    out[t] = s[(t + 32) % blockDim.x];
}

// misaligned: an int load through a pointer one byte past an aligned one.
extern "C" __global__ void misaligned(int* out, const char* in) {
    const int* p = (const int*)(in + 1 + threadIdx.x * 4);
    out[threadIdx.x] = *p;
}

// uninit_shared: reads a shared slot that no thread has written.
extern "C" __global__ void uninit_shared(float* out) {
    __shared__ float s[64];
    int t = threadIdx.x;
    if (t < 32) s[t] = t;
    __syncthreads();
    out[t] = s[63 - t];
}

// assert_positive: a device-side assert that fails for non-positive x[i].
extern "C" __global__ void assert_positive(const int* x) {
    assert(x[threadIdx.x] > 0);
}
