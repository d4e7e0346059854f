// Elementwise kernels with grid-stride loops: the shape of every
// elementwise op of the CUDA backend.

// saxpy_f32: for i in [0,n): y[i] = a*x[i] + y[i]
extern "C" __global__ void saxpy_f32(float* __restrict__ y, const float* __restrict__ x, float a, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
        y[i] = a * x[i] + y[i];
    }
}

// axpby_f64: for i in [0,n): y[i] = a*x[i] + b*y[i], with a 64-bit index.
extern "C" __global__ void axpby_f64(double* y, const double* x, double a, double b, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        y[i] = a * x[i] + b * y[i];
    }
}

// relu_vec4_f32: float4 loads and stores; for i in [0,n4): y[i] = max(x[i], 0) per lane.
extern "C" __global__ void relu_vec4_f32(float4* y, const float4* x, int n4) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n4) {
        float4 v = __ldg(&x[i]);
        y[i] = make_float4(fmaxf(v.x, 0.f), fmaxf(v.y, 0.f), fmaxf(v.z, 0.f), fmaxf(v.w, 0.f));
    }
}

// where_i32: 2-D launch; out[r*cols+c] = cond[..] != 0 ? a[..] : b[..].
extern "C" __global__ void where_i32(int* out, const int* cond, const int* a, const int* b, int rows, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    int r = blockIdx.y * blockDim.y + threadIdx.y;
    if (r < rows && c < cols) {
        int k = r * cols + c;
        out[k] = cond[k] != 0 ? a[k] : b[k];
    }
}
