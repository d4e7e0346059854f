// Integer semantics: one output row per operation so a Go reference can
// check each. n elements per row.

extern "C" __global__ void intops_i32(int* out, const int* a, const int* b, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int x = a[i], y = b[i];
    unsigned ux = (unsigned)x, uy = (unsigned)y;
    int k = 0;
    out[k++ * n + i] = x + y;
    out[k++ * n + i] = x - y;
    out[k++ * n + i] = x * y;
    out[k++ * n + i] = __mulhi(x, y);
    out[k++ * n + i] = (int)__umulhi(ux, uy);
    out[k++ * n + i] = y != 0 ? x / y : 0;
    out[k++ * n + i] = y != 0 ? x % y : 0;
    out[k++ * n + i] = uy != 0 ? (int)(ux / uy) : 0;
    out[k++ * n + i] = uy != 0 ? (int)(ux % uy) : 0;
    out[k++ * n + i] = min(x, y);
    out[k++ * n + i] = max(x, y);
    out[k++ * n + i] = (int)min(ux, uy);
    out[k++ * n + i] = (int)max(ux, uy);
    out[k++ * n + i] = x & y;
    out[k++ * n + i] = x | y;
    out[k++ * n + i] = x ^ y;
    out[k++ * n + i] = ~x;
    out[k++ * n + i] = x << (y & 31);
    out[k++ * n + i] = x >> (y & 31);
    out[k++ * n + i] = (int)(ux >> (uy & 31));
    out[k++ * n + i] = __popc(ux);
    out[k++ * n + i] = __clz(x);
    out[k++ * n + i] = (int)__brev(ux);
    out[k++ * n + i] = __ffs(x);
    out[k++ * n + i] = (int)__byte_perm(ux, uy, 0x5140);
    out[k++ * n + i] = abs(x);
    out[k++ * n + i] = (x >> 3) & 0x1f;            // bfe
    out[k++ * n + i] = (x & ~0xff0) | ((y & 0xff) << 4); // bfi
    out[k++ * n + i] = (int)(signed char)x;        // sign-extend 8
    out[k++ * n + i] = (int)(short)y;              // sign-extend 16
    out[k++ * n + i] = (int)(unsigned short)x;     // zero-extend 16
    out[k++ * n + i] = __sad(x, y, 7);
    out[k++ * n + i] = x < y;
    out[k++ * n + i] = ux < uy;
    out[k++ * n + i] = __funnelshift_l(ux, uy, y);
    out[k++ * n + i] = __funnelshift_r(ux, uy, y);
    out[k++ * n + i] = __hadd(x, y);
    out[k++ * n + i] = __rhadd(x, y);
}

extern "C" __global__ void intops_i64(long long* out, const long long* a, const long long* b, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long x = a[i], y = b[i];
    unsigned long long ux = x, uy = y;
    int k = 0;
    out[k++ * n + i] = x + y;
    out[k++ * n + i] = x - y;
    out[k++ * n + i] = x * y;
    out[k++ * n + i] = __mul64hi(x, y);
    out[k++ * n + i] = (long long)__umul64hi(ux, uy);
    out[k++ * n + i] = y != 0 ? x / y : 0;
    out[k++ * n + i] = y != 0 ? x % y : 0;
    out[k++ * n + i] = uy != 0 ? (long long)(ux / uy) : 0;
    out[k++ * n + i] = uy != 0 ? (long long)(ux % uy) : 0;
    out[k++ * n + i] = min(x, y);
    out[k++ * n + i] = max(x, y);
    out[k++ * n + i] = x << (y & 63);
    out[k++ * n + i] = x >> (y & 63);
    out[k++ * n + i] = (long long)(ux >> (uy & 63));
    out[k++ * n + i] = __popcll(ux);
    out[k++ * n + i] = __clzll(x);
    out[k++ * n + i] = (long long)__brevll(ux);
    out[k++ * n + i] = (long long)(int)x * (long long)(int)y; // mul.wide.s32
    out[k++ * n + i] = (long long)(unsigned)x * (unsigned)y;  // mul.wide.u32
    out[k++ * n + i] = (long long)(x < y) + 2 * (long long)(ux < uy);
}
