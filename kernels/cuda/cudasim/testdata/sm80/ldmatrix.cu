// ldmatrix as nvcc 11.8 emits it for compute_80 (addresses from
// __cvta_generic_to_shared): nvcc -arch=compute_80 -ptx ldmatrix.cu -o
// ldmatrix.ptx (in testdata/sm80, outside make ptx, which builds
// testdata/*.cu for compute_70).
#include <stdint.h>

// ldm copies 512 16-bit elements to shared memory, then one warp runs the
// ldmatrix variant v (0-2: .x1, .x2, .x4; 3-5: the same with .trans) with
// lane l giving the address of element off[l] and writes each lane's four
// registers to out[4l..4l+3] (unused ones stay 0).
extern "C" __global__ void ldm(const uint16_t* in, const int* off, uint32_t* out, int v) {
  __shared__ __align__(16) uint16_t s[512];
  int l = threadIdx.x;
  for (int i = l; i < 512; i += 32) s[i] = in[i];
  __syncthreads();
  uint32_t a = (uint32_t)__cvta_generic_to_shared(&s[off[l]]);
  uint32_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;
  switch (v) {
  case 0: asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];" : "=r"(r0) : "r"(a)); break;
  case 1: asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];" : "=r"(r0), "=r"(r1) : "r"(a)); break;
  case 2: asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a)); break;
  case 3: asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];" : "=r"(r0) : "r"(a)); break;
  case 4: asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(r0), "=r"(r1) : "r"(a)); break;
  default: asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared::cta.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a));
  }
  out[4 * l] = r0; out[4 * l + 1] = r1; out[4 * l + 2] = r2; out[4 * l + 3] = r3;
}
