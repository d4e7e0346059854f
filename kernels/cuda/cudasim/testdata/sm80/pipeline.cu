// cp.async pipelines as nvcc 11.8 emits them for compute_80 (inline PTX,
// addresses from __cvta_generic_to_shared): nvcc -arch=compute_80 -ptx
// pipeline.cu -o pipeline.ptx (in testdata/sm80, outside make ptx, which
// builds testdata/*.cu for compute_70).
#include <stdint.h>

__device__ __forceinline__ void cp16(void* dst, const void* src) {
  uint32_t d = (uint32_t)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(d), "l"(src));
}
__device__ __forceinline__ void commit() { asm volatile("cp.async.commit_group;"); }

// stage_sum sums x (n floats, n a multiple of 256) in tiles of 256 with a
// two-stage cp.async pipeline of 64 threads, each copying 16 bytes of a
// tile; out[t] is thread t's sum of its column over all tiles. mode 0 is
// correct; mode 1 plants the fault the pipeline must not have (waiting
// for all but 2 groups, so the tile read next is still in flight); mode 2
// waits correctly but skips the barrier after the wait, so threads read
// words another thread's copy delivered without ordering.
extern "C" __global__ void stage_sum(const float* x, float* out, int n, int mode) {
  __shared__ __align__(16) float s[2][256];
  int t = threadIdx.x, tiles = n / 256;
  cp16(&s[0][4 * t], x + 4 * t);
  commit();
  float acc = 0;
  for (int i = 0; i < tiles; i++) {
    if (i + 1 < tiles) cp16(&s[(i + 1) & 1][4 * t], x + (i + 1) * 256 + 4 * t);
    commit();
    if (mode == 1)
      asm volatile("cp.async.wait_group 2;");
    else
      asm volatile("cp.async.wait_group 1;");
    if (mode != 2) __syncthreads();
    acc += s[i & 1][(t + 1) % 64] + s[i & 1][64 + t] + s[i & 1][128 + t] + s[i & 1][192 + t];
    __syncthreads();
  }
  out[t] = acc;
}

// zfill copies 16 bytes per thread with a src-size of t % 17 bytes
// (the rest zero-filled), waits with wait_all, and writes the shared
// bytes back out.
extern "C" __global__ void zfill(const uint8_t* x, uint8_t* out) {
  __shared__ __align__(16) uint8_t s[16 * 32];
  int t = threadIdx.x;
  uint32_t d = (uint32_t)__cvta_generic_to_shared(&s[16 * t]);
  asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;" ::"r"(d), "l"(x + 16 * t), "r"(t % 17));
  asm volatile("cp.async.wait_all;");
  for (int i = 0; i < 16; i++) out[16 * t + i] = s[16 * t + i];
}

// tc_gemm computes C (M x N, float32) = A (M x K) * B (K x N), A and B
// bfloat16, A row-major and B given as Bt (N x K row-major), with one warp
// per 16x8 tile of C: a two-stage cp.async pipeline stages 16x16 tiles of
// A and 8x16 tiles of Bt in shared memory, ldmatrix loads the mma
// fragments, and mma.m16n8k16 accumulates in float32.
extern "C" __global__ void tc_gemm(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) {
  __shared__ __align__(16) uint16_t as[2][16 * 16];
  __shared__ __align__(16) uint16_t bs[2][8 * 16];
  int l = threadIdx.x, i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  // thread l copies row l/2, half l%2 of the A tile (8 elements), and
  // threads 0-15 row l/2, half l%2 of the Bt tile
  const uint16_t* ga = A + (i0 + l / 2) * K + 8 * (l % 2);
  const uint16_t* gb = Bt + (j0 + l / 2 % 8) * K + 8 * (l % 2);
  cp16(&as[0][8 * l], ga);
  if (l < 16) cp16(&bs[0][8 * l], gb);
  commit();
  float d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  for (int k0 = 0, st = 0; k0 < K; k0 += 16, st ^= 1) {
    if (k0 + 16 < K) {
      cp16(&as[st ^ 1][8 * l], ga + k0 + 16);
      if (l < 16) cp16(&bs[st ^ 1][8 * l], gb + k0 + 16);
    }
    commit();
    asm volatile("cp.async.wait_group 1;");
    __syncthreads();
    uint32_t a0, a1, a2, a3, b0, b1;
    uint32_t pa = (uint32_t)__cvta_generic_to_shared(&as[st][(l % 8 + 8 * (l / 8 % 2)) * 16 + 8 * (l / 16)]);
    uint32_t pb = (uint32_t)__cvta_generic_to_shared(&bs[st][(l % 8) * 16 + 8 * (l / 8 % 2)]);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(a0), "=r"(a1), "=r"(a2), "=r"(a3) : "r"(pa));
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];" : "=r"(b0), "=r"(b1) : "r"(pb));
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    __syncthreads();
  }
  int g = l / 4, t = l % 4;
  float* c = C + (i0 + g) * N + j0 + 2 * t;
  c[0] = d0; c[1] = d1; c[8 * N] = d2; c[8 * N + 1] = d3;
}

// cp_generic issues its copy from a device function that gets a generic
// shared pointer, so nvcc converts it with cvta.to.shared (as
// __cvta_generic_to_shared does wherever the pointer's space is unknown);
// the shared memory is dynamic. out[t] = the word thread t+1 copied.
__device__ __noinline__ void cp_from(void* dst, const void* src) {
  uint32_t d = (uint32_t)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.ca.shared.global.L2::128B [%0], [%1], 16;" ::"r"(d), "l"(src));
}

extern "C" __global__ void cp_generic(const float4* g, float* out) {
  extern __shared__ float4 dyn[];
  cp_from(&dyn[threadIdx.x], &g[threadIdx.x]);
  asm volatile("cp.async.wait_all;");
  __syncthreads();
  out[threadIdx.x] = dyn[(threadIdx.x + 1) % blockDim.x].y;
}
