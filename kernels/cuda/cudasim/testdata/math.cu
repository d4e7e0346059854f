// Transcendental functions as nvcc lowers them (libdevice sequences).
// out[k*n+i] = f_k(x[i]).

extern "C" __global__ void math_f32(float* out, const float* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float p = fabsf(v) + 0.5f;
    int k = 0;
    out[k++ * n + i] = expf(v);
    out[k++ * n + i] = logf(p);
    out[k++ * n + i] = tanhf(v);
    out[k++ * n + i] = sqrtf(p);
    out[k++ * n + i] = rsqrtf(p);
    out[k++ * n + i] = sinf(v);
    out[k++ * n + i] = cosf(v);
    out[k++ * n + i] = powf(p, 1.7f);
    out[k++ * n + i] = v / p;
    out[k++ * n + i] = __fdividef(v, p);
    out[k++ * n + i] = __expf(v);
    out[k++ * n + i] = 1.f / (1.f + expf(-v));
    out[k++ * n + i] = fminf(v, 0.25f);
    out[k++ * n + i] = fmaxf(v, 0.25f);
    out[k++ * n + i] = floorf(v * 3.f);
    out[k++ * n + i] = ceilf(v * 3.f);
    out[k++ * n + i] = truncf(v * 3.f);
    out[k++ * n + i] = rintf(v * 3.f);
    out[k++ * n + i] = (float)__float2int_rn(v * 100.f);
    out[k++ * n + i] = __saturatef(v);
    out[k++ * n + i] = erff(v);
    out[k++ * n + i] = log1pf(p);
    out[k++ * n + i] = fmaf(v, p, -1.f);
}

extern "C" __global__ void math_f64(double* out, const double* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double v = x[i];
    double p = fabs(v) + 0.5;
    int k = 0;
    out[k++ * n + i] = exp(v);
    out[k++ * n + i] = log(p);
    out[k++ * n + i] = tanh(v);
    out[k++ * n + i] = sqrt(p);
    out[k++ * n + i] = rsqrt(p);
    out[k++ * n + i] = sin(v);
    out[k++ * n + i] = cos(v);
    out[k++ * n + i] = pow(p, 1.7);
    out[k++ * n + i] = v / p;
    out[k++ * n + i] = 1.0 / (1.0 + exp(-v));
    out[k++ * n + i] = fmin(v, 0.25);
    out[k++ * n + i] = fmax(v, 0.25);
    out[k++ * n + i] = floor(v * 3.0);
    out[k++ * n + i] = (double)(float)v;
    out[k++ * n + i] = (double)(long long)(v * 1e6);
    out[k++ * n + i] = fma(v, p, -1.0);
}
