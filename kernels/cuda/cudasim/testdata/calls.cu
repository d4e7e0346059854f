// Device calls, by-value descriptors, local arrays, constant and global
// module data: the shapes the backend's strided kernels take.

struct Desc {
    int ndim;
    int shape[6];
    long long stride[6];
};

__constant__ float c_scale[4] = {1.f, 2.f, 0.5f, -1.f};
__device__ int d_counter;

// gather_strided: dst[i] = src[offset(i)] * c_scale[i % 4], where offset(i)
// unravels i over d.shape (row-major) and dots it with d.stride.
extern "C" __global__ void gather_strided(float* dst, const float* src, Desc d, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
        int rem = i;
        long long off = 0;
        for (int k = d.ndim - 1; k >= 0; k--) {
            int c = rem % d.shape[k];
            rem /= d.shape[k];
            off += c * d.stride[k];
        }
        dst[i] = src[off] * c_scale[i & 3];
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) atomicAdd(&d_counter, 1);
}

__device__ __noinline__ float poly(float x, int deg, const float* coef) {
    float r = 0.f;
    for (int k = deg; k >= 0; k--) r = r * x + coef[k];
    return r;
}

__device__ __noinline__ void sort4(float* v) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j + 1 < 4 - i; j++)
            if (v[j] > v[j + 1]) { float t = v[j]; v[j] = v[j + 1]; v[j + 1] = t; }
}

// calls: out[4*i..4*i+3] = sorted {poly(x[i]), x[i], -x[i], x[i]*x[i]} using
// a non-inlined device function and a local array passed by pointer.
extern "C" __global__ void calls(float* out, const float* x, const float* coef, int deg, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v[4];
    v[0] = poly(x[i], deg, coef);
    v[1] = x[i];
    v[2] = -x[i];
    v[3] = x[i] * x[i];
    sort4(v);
    for (int k = 0; k < 4; k++) out[4 * i + k] = v[k];
}

// read_counter: out[0] = d_counter.
extern "C" __global__ void read_counter(int* out) { out[0] = d_counter; }

// debug_print: device printf, as users debug kernels.
extern "C" __global__ void debug_print(const float* x, const char* name) {
    printf("%s[%d] = %.3f (%x, %lld)\n", name, threadIdx.x, x[threadIdx.x], threadIdx.x * 255, -5ll);
}
