// Half-precision conversions and arithmetic as nvcc 11.8 emits them for
// compute_80 from cuda_fp16.h and cuda_bf16.h (inline assembly included):
// nvcc -arch=compute_80 -ptx half.cu -o half.ptx (in testdata/sm80, outside
// make ptx, which builds testdata/*.cu for compute_70)
#include <cuda_fp16.h>
#include <cuda_bf16.h>

// half_ops writes 8 results per element: f16 and bf16 fma, f16 mul, bf16
// add, both halves of an f16x2 mul, a bf16+f16 sum rounded to f16, and an
// f16 comparison.
extern "C" __global__ void half_ops(const float* x, unsigned short* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float a = x[i], b = x[(i + 1) % n], c = x[(i + 2) % n];
  __half ha = __float2half(a), hb = __float2half(b), hc = __float2half(c);
  __nv_bfloat16 ba = __float2bfloat16(a), bb = __float2bfloat16(b), bc = __float2bfloat16(c);
  unsigned short* o = out + 8 * i;
  o[0] = __half_as_ushort(__hfma(ha, hb, hc));
  o[1] = __bfloat16_as_ushort(__hfma(ba, bb, bc));
  o[2] = __half_as_ushort(__hmul(ha, hb));
  o[3] = __bfloat16_as_ushort(__hadd(ba, bb));
  __half2 p = __hmul2(__halves2half2(ha, hb), __halves2half2(hc, ha));
  o[4] = __half_as_ushort(__low2half(p));
  o[5] = __half_as_ushort(__high2half(p));
  o[6] = __half_as_ushort(__float2half(__bfloat162float(ba) + __half2float(hb)));
  o[7] = __hlt(ha, hb) ? 1 : 0;
}
