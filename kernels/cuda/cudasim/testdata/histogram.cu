// Histograms and atomics.

// histogram_u32: bins[in[i] % nbins]++ with a shared-memory privatized
// histogram merged into the global one with atomicAdd. nbins <= 1024.
extern "C" __global__ void histogram_u32(unsigned* bins, const unsigned* in, int n, int nbins) {
    extern __shared__ unsigned local[];
    for (int b = threadIdx.x; b < nbins; b += blockDim.x) local[b] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        atomicAdd(&local[in[i] % nbins], 1u);
    __syncthreads();
    for (int b = threadIdx.x; b < nbins; b += blockDim.x)
        if (local[b] != 0) atomicAdd(&bins[b], local[b]);
}

// histogram_global_f32: weighted histogram straight into global memory;
// bins[idx[i]] += w[i] for i < n.
extern "C" __global__ void histogram_global_f32(float* bins, const int* idx, const float* w, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) atomicAdd(&bins[idx[i]], w[i]);
}

__device__ float atomicMaxFloat(float* addr, float v) {
    int* a = (int*)addr;
    int old = *a, assumed;
    do {
        assumed = old;
        if (__int_as_float(assumed) >= v) break;
        old = atomicCAS(a, assumed, __float_as_int(v));
    } while (old != assumed);
    return __int_as_float(old);
}

// atomics: every atomic operation once per thread on a handful of cells.
// ints: [0]add [1]min [2]max [3]inc(17) [4]dec(17) [5]and [6]or [7]xor
// [8]exch [9]cas-counter; u64s: [0]add [1]max; floats: [0]add [1]max via CAS;
// doubles: [0]add. sharedOut gets the shared-memory versions of ints[0..2].
extern "C" __global__ void atomics(int* ints, unsigned long long* u64s, float* floats, double* doubles,
                                   int* sharedOut, const int* in) {
    __shared__ int s[3];
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int v = in[t];
    if (threadIdx.x == 0) { s[0] = 0; s[1] = 1 << 30; s[2] = -(1 << 30); }
    __syncthreads();
    atomicAdd(&ints[0], v);
    atomicMin(&ints[1], v);
    atomicMax(&ints[2], v);
    atomicInc((unsigned*)&ints[3], 17u);
    atomicDec((unsigned*)&ints[4], 17u);
    atomicAnd(&ints[5], v | 0x0f0f0f0f);
    atomicOr(&ints[6], v & 0x01010101);
    atomicXor(&ints[7], v);
    int old = atomicExch(&ints[8], v);
    (void)old;
    // Start from a guess rather than a plain read: other blocks update the
    // counter concurrently, and a plain read of it would be a data race.
    int c = 0;
    for (;;) { int prev = atomicCAS(&ints[9], c, c + 1); if (prev == c) break; c = prev; }
    atomicAdd(&u64s[0], (unsigned long long)(unsigned)v);
    atomicMax(&u64s[1], (unsigned long long)(long long)v * 3);
    atomicAdd(&floats[0], (float)v * 0.5f);
    atomicMaxFloat(&floats[1], (float)v);
    atomicAdd(&doubles[0], (double)v * 0.25);
    atomicAdd(&s[0], v);
    atomicMin(&s[1], v);
    atomicMax(&s[2], v);
    __syncthreads();
    if (threadIdx.x < 3) atomicAdd(&sharedOut[threadIdx.x], s[threadIdx.x]);
}
