// Conv family over contiguous NCHW tensors: im2col/col2im and max/avg
// pooling, forward and backward. One thread per output element, 1-D
// grid-stride, 256 threads per block; the fastest-varying output index is
// the innermost memory index, so stores are coalesced. The backward
// passes are gathers (each input pixel sums the windows that cover it),
// so they need no atomics and sum in a fixed order. BFloat16 and Float16
// compute (compare, sum, scale) in float and round on store.
#include "common.cuh"

// ConvDesc is device.ConvParams plus the output size (56 bytes, align 4).
// The dilations dh, dw are at least 1 (the host reads 0 as 1); only
// im2col and col2im use them, the pooling kernels get 1.
struct ConvDesc {
    int n, c, h, w;
    int kh, kw;
    int sh, sw;
    int ph, pw;
    int oh, ow;
    int dh, dw;
};

// split divides a flat index by the size of a plane: e = nc*plane + rem,
// with one 64-bit division and the rest left to 32-bit arithmetic.
__device__ __forceinline__ int split(long long e, int plane, long long& nc) {
    nc = e / plane;
    return int(e - nc * plane);
}

// Span is the range [lo, hi] of outputs o whose window reaches input x:
// 0 <= x + pad - o*stride < k, clipped to [0, out).
struct Span {
    int lo, hi;
};

__device__ __forceinline__ Span span(int x, int pad, int k, int stride, int out) {
    int t = x + pad;
    Span s;
    s.lo = t < k ? 0 : (t - k) / stride + 1;
    s.hi = min(t / stride, out - 1);
    return s;
}

// im2col: dst[n, (c*KH+kh)*KW+kw, oh*OW+ow] = src[n, c, oh*sh-ph+kh*dh, ow*sw-pw+kw*dw],
// 0 where that falls in the padding.
template <typename T>
__device__ void im2col(T* __restrict__ dst, const T* __restrict__ src, ConvDesc d) {
    long long total = (long long)d.n * d.c * d.kh * d.kw * d.oh * d.ow;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.kh * d.kw * d.oh * d.ow, nc);
        int ow = rem % d.ow;
        rem /= d.ow;
        int oh = rem % d.oh;
        rem /= d.oh;
        int kw = rem % d.kw;
        int kh = rem / d.kw;
        int h = oh * d.sh - d.ph + kh * d.dh;
        int w = ow * d.sw - d.pw + kw * d.dw;
        bool in = h >= 0 && h < d.h && w >= 0 && w < d.w;
        dst[e] = in ? src[(nc * d.h + h) * d.w + w] : zero<T>();
    }
}

// tap returns the output o whose tap k reaches input x (x + pad - k*dil =
// o*stride), or -1 when none does.
__device__ __forceinline__ int tap(int x, int pad, int k, int dil, int stride, int out) {
    int t = x + pad - k * dil;
    if (t < 0 || t % stride != 0 || t / stride >= out) {
        return -1;
    }
    return t / stride;
}

// col2im: dst[n,c,h,w] = Σ_{kh,kw covering} src[n, (c*KH+kh)*KW+kw, oh*OW+ow],
// summed in increasing (kh, kw) as the CPU backend sums. Each tap reaches
// (h, w) from at most one output, found by division, so dilation costs
// nothing extra.
template <typename T>
__device__ void col2im(T* __restrict__ dst, const T* __restrict__ src, ConvDesc d) {
    long long total = (long long)d.n * d.c * d.h * d.w;
    long long plane = (long long)d.oh * d.ow;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.h * d.w, nc);
        int h = rem / d.w;
        int w = rem - h * d.w;
        typename Compute<T>::type acc = 0;
        for (int kh = 0; kh < d.kh; kh++) {
            int oh = tap(h, d.ph, kh, d.dh, d.sh, d.oh);
            if (oh < 0) {
                continue;
            }
            for (int kw = 0; kw < d.kw; kw++) {
                int ow = tap(w, d.pw, kw, d.dw, d.sw, d.ow);
                if (ow >= 0) {
                    acc += widen(src[((nc * d.kh + kh) * d.kw + kw) * plane + oh * d.ow + ow]);
                }
            }
        }
        dst[e] = narrow<T>(acc);
    }
}

// maxpool: dst[n,c,oh,ow] = max over the window's in-bounds pixels, idx =
// its h*W+w (first maximum; a NaN wins, the first NaN among several). A
// window wholly in padding gives 0 and idx -1, as the CPU backend does.
template <typename T>
__device__ void maxpool(T* __restrict__ dst, int* __restrict__ idx, const T* __restrict__ src, ConvDesc d) {
    long long total = (long long)d.n * d.c * d.oh * d.ow;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.oh * d.ow, nc);
        int oh = rem / d.ow;
        int ow = rem - oh * d.ow;
        const T* plane = src + nc * d.h * d.w;
        typename Compute<T>::type best = 0;
        int at = -1;
        for (int kh = 0; kh < d.kh; kh++) {
            int h = oh * d.sh - d.ph + kh;
            if (h < 0 || h >= d.h) {
                continue;
            }
            for (int kw = 0; kw < d.kw; kw++) {
                int w = ow * d.sw - d.pw + kw;
                if (w < 0 || w >= d.w) {
                    continue;
                }
                typename Compute<T>::type v = widen(plane[h * d.w + w]);
                if (at < 0 || (!is_nan(best) && (v > best || is_nan(v)))) {
                    best = v;
                    at = h * d.w + w;
                }
            }
        }
        dst[e] = narrow<T>(best);
        idx[e] = at;
    }
}

// maxpool_backward: dx[n,c,h,w] = Σ dy[n,c,oh,ow] over the windows
// covering (h, w) whose idx is h*W+w.
template <typename T>
__device__ void maxpool_backward(T* __restrict__ dx, const T* __restrict__ dy, const int* __restrict__ idx,
                                 ConvDesc d) {
    long long total = (long long)d.n * d.c * d.h * d.w;
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.h * d.w, nc);
        int h = rem / d.w;
        int w = rem - h * d.w;
        long long out = nc * d.oh * d.ow;
        int self = h * d.w + w;
        Span sh = span(h, d.ph, d.kh, d.sh, d.oh);
        Span sw = span(w, d.pw, d.kw, d.sw, d.ow);
        typename Compute<T>::type acc = 0;
        for (int oh = sh.lo; oh <= sh.hi; oh++) {
            for (int ow = sw.lo; ow <= sw.hi; ow++) {
                long long o = out + oh * d.ow + ow;
                if (idx[o] == self) {
                    acc += widen(dy[o]);
                }
            }
        }
        dx[e] = narrow<T>(acc);
    }
}

// avgpool: dst[n,c,oh,ow] = Σ window / (KH*KW), padding counting as 0.
template <typename T>
__device__ void avgpool(T* __restrict__ dst, const T* __restrict__ src, ConvDesc d) {
    typedef typename Compute<T>::type C;
    long long total = (long long)d.n * d.c * d.oh * d.ow;
    C scale = C(1) / C(d.kh * d.kw);
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.oh * d.ow, nc);
        int oh = rem / d.ow;
        int ow = rem - oh * d.ow;
        const T* plane = src + nc * d.h * d.w;
        C acc = C(0);
        for (int kh = 0; kh < d.kh; kh++) {
            int h = oh * d.sh - d.ph + kh;
            if (h < 0 || h >= d.h) {
                continue;
            }
            for (int kw = 0; kw < d.kw; kw++) {
                int w = ow * d.sw - d.pw + kw;
                if (w >= 0 && w < d.w) {
                    acc += widen(plane[h * d.w + w]);
                }
            }
        }
        dst[e] = narrow<T>(acc * scale);
    }
}

// avgpool_backward: dx[n,c,h,w] = Σ dy[n,c,oh,ow] / (KH*KW) over the
// windows covering (h, w).
template <typename T>
__device__ void avgpool_backward(T* __restrict__ dx, const T* __restrict__ dy, ConvDesc d) {
    typedef typename Compute<T>::type C;
    long long total = (long long)d.n * d.c * d.h * d.w;
    C scale = C(1) / C(d.kh * d.kw);
    for (long long e = grid_start(); e < total; e += grid_step()) {
        long long nc;
        int rem = split(e, d.h * d.w, nc);
        int h = rem / d.w;
        int w = rem - h * d.w;
        long long out = nc * d.oh * d.ow;
        Span sh = span(h, d.ph, d.kh, d.sh, d.oh);
        Span sw = span(w, d.pw, d.kw, d.sw, d.ow);
        C acc = C(0);
        for (int oh = sh.lo; oh <= sh.hi; oh++) {
            for (int ow = sw.lo; ow <= sw.hi; ow++) {
                acc += widen(dy[out + oh * d.ow + ow]);
            }
        }
        dx[e] = narrow<T>(acc * scale);
    }
}

#define CONV_KERNELS(T, S)                                                                                  \
    extern "C" __global__ void __launch_bounds__(256) im2col_##S(T* dst, const T* src, ConvDesc d) {        \
        im2col<T>(dst, src, d);                                                                             \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) col2im_##S(T* dst, const T* src, ConvDesc d) {        \
        col2im<T>(dst, src, d);                                                                             \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) maxpool_##S(T* dst, int* idx, const T* src,           \
                                                                  ConvDesc d) {                             \
        maxpool<T>(dst, idx, src, d);                                                                       \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) maxpool_backward_##S(T* dx, const T* dy,              \
                                                                           const int* idx, ConvDesc d) {    \
        maxpool_backward<T>(dx, dy, idx, d);                                                                \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) avgpool_##S(T* dst, const T* src, ConvDesc d) {       \
        avgpool<T>(dst, src, d);                                                                            \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) avgpool_backward_##S(T* dx, const T* dy, ConvDesc d) { \
        avgpool_backward<T>(dx, dy, d);                                                                     \
    }

CONV_KERNELS(float, f32)
CONV_KERNELS(double, f64)
CONV_KERNELS(__nv_bfloat16, bf16)
CONV_KERNELS(__half, f16)
