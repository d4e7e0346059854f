// Reductions and warp-level primitives.

// sum_f32: out[blockIdx.x] = sum of in[i] for i = blockIdx.x*blockDim.x*4 ...;
// each thread accumulates a grid-stride slice, warps reduce with
// __shfl_down_sync, warp sums meet in shared memory.
extern "C" __global__ void sum_f32(float* out, const float* in, int n) {
    __shared__ float warpSums[32];
    float v = 0.f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) v += in[i];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warpSums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        int nw = (blockDim.x + 31) >> 5;
        v = lane < nw ? warpSums[lane] : 0.f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0) out[blockIdx.x] = v;
    }
}

// max_f64: a classic shared-memory tree reduction with dynamic shared memory
// (blockDim.x doubles); out[blockIdx.x] = max over the block's slice.
extern "C" __global__ void max_f64(double* out, const double* in, int n) {
    extern __shared__ double sdata[];
    unsigned t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    sdata[t] = i < n ? in[i] : -1e300;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) sdata[t] = fmax(sdata[t], sdata[t + s]);
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = sdata[0];
}

// warpops: every warp primitive in divergent and convergent code.
// out has 12 ints per thread.
extern "C" __global__ void warpops(int* out, const int* in) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int lane = threadIdx.x & 31;
    int v = in[t];
    int* o = out + 12 * t;
    o[0] = __shfl_up_sync(0xffffffffu, v, 3);
    o[1] = __shfl_down_sync(0xffffffffu, v, 5, 16);
    o[2] = __shfl_xor_sync(0xffffffffu, v, 6, 8);
    o[3] = __shfl_sync(0xffffffffu, v, (lane * 7) & 31);
    o[4] = __shfl_sync(0xffffffffu, v, v, 4);
    o[5] = (int)__ballot_sync(0xffffffffu, v & 1);
    o[6] = __all_sync(0xffffffffu, v > -1000000) + 2 * __any_sync(0xffffffffu, v > 1000000);
    o[7] = __uni_sync(0xffffffffu, v & 0x80000000u);
    if (lane & 1) {
        o[8] = (int)__activemask();
        o[9] = __shfl_sync(0x55555555u << 1, v, 1);  // odd lanes read lane 1
        o[10] = (int)__ballot_sync(0xaaaaaaaau, v & 2);
    } else {
        o[8] = -(int)__activemask();
        o[9] = __shfl_down_sync(0x55555555u, v, 2);
        o[10] = (int)__ballot_sync(0x55555555u, v & 4);
    }
    __syncwarp();
    unsigned lt;
    asm("mov.u32 %0, %%lanemask_lt;" : "=r"(lt));
    o[11] = __popc(__ballot_sync(0xffffffffu, v & 8) & lt);
}

// block_count: __syncthreads_count/_and/_or; out[3*blockIdx.x + k].
extern "C" __global__ void block_count(int* out, const int* in) {
    int v = in[blockIdx.x * blockDim.x + threadIdx.x];
    int c = __syncthreads_count(v > 0);
    int a = __syncthreads_and(v > -50);
    int o = __syncthreads_or(v > 90);
    if (threadIdx.x == 0) { out[3 * blockIdx.x] = c; out[3 * blockIdx.x + 1] = a; out[3 * blockIdx.x + 2] = o; }
}
