// Tensor-core GEMMs with mma.sync written as inline PTX, one warp per 16x8
// tile of C, fragments loaded straight from global memory with the PTX
// ISA's fragment layouts: nvcc -arch=compute_80 -ptx mma.cu -o mma.ptx (in
// testdata/sm80, outside make ptx, which builds testdata/*.cu for
// compute_70).
//
// Reference loop: C[i][j] = sum_k A[i][k] * B[k][j], A row-major (M x K),
// B given transposed (Bt: N x K row-major), C row-major float32 (or f16).
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

__device__ __forceinline__ uint32_t ld32(const void* p) { return *(const uint32_t*)p; }

// gemm_h16 runs m16n8k16 for f16 (BF = 0) or bf16 (BF = 1) inputs.
template <int BF>
__device__ void gemm_h16(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) {
  int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  float d[4] = {0, 0, 0, 0};
  for (int k0 = 0; k0 < K; k0 += 16) {
    const uint16_t* a = A + (i0 + g) * K + k0 + 2 * t;
    uint32_t a0 = ld32(a), a1 = ld32(a + 8 * K), a2 = ld32(a + 8), a3 = ld32(a + 8 * K + 8);
    const uint16_t* b = Bt + (j0 + g) * K + k0 + 2 * t;
    uint32_t b0 = ld32(b), b1 = ld32(b + 8);
    if (BF)
      asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                   : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    else
      asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                   : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  float* c = C + (i0 + g) * N + j0 + 2 * t;
  c[0] = d[0]; c[1] = d[1]; c[8 * N] = d[2]; c[8 * N + 1] = d[3];
}

extern "C" __global__ void gemm_f16_k16(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) { gemm_h16<0>(A, Bt, C, N, K); }
extern "C" __global__ void gemm_bf16_k16(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) { gemm_h16<1>(A, Bt, C, N, K); }

// gemm_h8 runs m16n8k8 for f16 (BF = 0) or bf16 (BF = 1) inputs.
template <int BF>
__device__ void gemm_h8(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) {
  int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  float d[4] = {0, 0, 0, 0};
  for (int k0 = 0; k0 < K; k0 += 8) {
    const uint16_t* a = A + (i0 + g) * K + k0 + 2 * t;
    uint32_t a0 = ld32(a), a1 = ld32(a + 8 * K);
    uint32_t b0 = ld32(Bt + (j0 + g) * K + k0 + 2 * t);
    if (BF)
      asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                   : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(b0));
    else
      asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                   : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(b0));
  }
  float* c = C + (i0 + g) * N + j0 + 2 * t;
  c[0] = d[0]; c[1] = d[1]; c[8 * N] = d[2]; c[8 * N + 1] = d[3];
}

extern "C" __global__ void gemm_f16_k8(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) { gemm_h8<0>(A, Bt, C, N, K); }
extern "C" __global__ void gemm_bf16_k8(const uint16_t* A, const uint16_t* Bt, float* C, int N, int K) { gemm_h8<1>(A, Bt, C, N, K); }

// gemm_f16acc is m16n8k16 with f16 inputs and f16 accumulators; C is f16.
extern "C" __global__ void gemm_f16acc(const uint16_t* A, const uint16_t* Bt, uint16_t* C, int N, int K) {
  int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  uint32_t d0 = 0, d1 = 0;
  for (int k0 = 0; k0 < K; k0 += 16) {
    const uint16_t* a = A + (i0 + g) * K + k0 + 2 * t;
    uint32_t a0 = ld32(a), a1 = ld32(a + 8 * K), a2 = ld32(a + 8), a3 = ld32(a + 8 * K + 8);
    const uint16_t* b = Bt + (j0 + g) * K + k0 + 2 * t;
    uint32_t b0 = ld32(b), b1 = ld32(b + 8);
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};"
                 : "+r"(d0), "+r"(d1) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  uint16_t* c = C + (i0 + g) * N + j0 + 2 * t;
  *(uint32_t*)c = d0;
  *(uint32_t*)(c + 8 * N) = d1;
}

__device__ __forceinline__ uint32_t tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

// gemm_tf32_k8 and gemm_tf32_k4 take float32 A and Bt, rounded to tf32.
extern "C" __global__ void gemm_tf32_k8(const float* A, const float* Bt, float* C, int N, int K) {
  int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  float d[4] = {0, 0, 0, 0};
  for (int k0 = 0; k0 < K; k0 += 8) {
    const float* a = A + (i0 + g) * K + k0 + t;
    uint32_t a0 = tf32(a[0]), a1 = tf32(a[8 * K]), a2 = tf32(a[4]), a3 = tf32(a[8 * K + 4]);
    const float* b = Bt + (j0 + g) * K + k0 + t;
    uint32_t b0 = tf32(b[0]), b1 = tf32(b[4]);
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  float* c = C + (i0 + g) * N + j0 + 2 * t;
  c[0] = d[0]; c[1] = d[1]; c[8 * N] = d[2]; c[8 * N + 1] = d[3];
}

extern "C" __global__ void gemm_tf32_k4(const float* A, const float* Bt, float* C, int N, int K) {
  int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int i0 = blockIdx.y * 16, j0 = blockIdx.x * 8;
  float d[4] = {0, 0, 0, 0};
  for (int k0 = 0; k0 < K; k0 += 4) {
    const float* a = A + (i0 + g) * K + k0 + t;
    uint32_t a0 = tf32(a[0]), a1 = tf32(a[8 * K]);
    uint32_t b0 = tf32(Bt[(j0 + g) * K + k0 + t]);
    asm volatile("mma.sync.aligned.m16n8k4.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a0), "r"(a1), "r"(b0));
  }
  float* c = C + (i0 + g) * N + j0 + 2 * t;
  c[0] = d[0]; c[1] = d[1]; c[8 * N] = d[2]; c[8 * N + 1] = d[3];
}
