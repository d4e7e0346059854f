// Matmul family: batched row-major GEMM, C[b] = opA(A[b]) @ opB(B[b]),
// as device.MatMulArgs defines.
//
//	for b in 0..batch, i in 0..M, j in 0..N:
//	    acc = 0
//	    for k in 0..K: acc += opA(A[b])[i,k] * opB(B[b])[k,j]
//	    C[(b*M + i)*N + j] = acc
//
// Tiling: a 256-thread block (16x16) computes a BM x BN tile of C, each
// thread a TM x TN register block at rows ty+16*i, cols tx+16*j (so the
// shared reads are broadcasts or conflict-free and the C stores are
// coalesced). K advances BK at a time through two shared buffers: the
// next tile is fetched into registers while the current one is
// multiplied, so one barrier per k-step suffices. Tile loads are
// coalesced along whichever dimension of A or B is contiguous. Edges in
// M, N and K are zero-filled, so any shape (1, primes, K = 0) is exact.
//
// Kernels: matmul_f32 (128x128, 8x8 per thread, BK 8), matmul_small_f32
// (64x64, 4x4, BK 16), matmul_f64 (64x64, 4x4, BK 8), matmul_small_f64
// (32x32, 2x2, BK 16). Grid: x over N tiles, y over M tiles, z over the
// batch, each grid-strided so capped grids stay correct.
//
// Half inputs (the SIMT path every GPU and cudasim run; tensor cores are
// matmul_tc.cu's): A and B are BFloat16 or Float16, widened to float as
// the tiles are fetched, so the tiles, the products and the sums are the
// float32 kernel's; C is the half (rounded to nearest even once, at the
// end) or float32 (the sums as they are). Kernels matmul_<h> and
// matmul_<h>_f32 (128x128), matmul_small_<h> and matmul_small_<h>_f32
// (64x64), <h> = bf16 or f16.
#include "common.cuh"

// GemmDesc is device.MatMulArgs without the buffers (88 bytes, align 8).
struct GemmDesc {
    long long batch, m, n, k;
    long long a_offset, a_stride, lda;
    long long b_offset, b_stride, ldb;
    int trans_a, trans_b;
};

// TileLoader moves one operand's R x BK tiles (R rows of M for A, of N
// for B) from global memory (elements S) to registers and on to shared
// memory (elements T, S widened), stored k-major as tile[k][r]. Thread tid starts at (r0, k0) and takes 256/BK
// rows (k contiguous in memory, kcontig) or 256/R k-steps (rows
// contiguous) between its elements, so consecutive threads always read
// consecutive addresses.
template <typename S, int R, int BK, typename T = typename Compute<S>::type>
struct TileLoader {
    static const int PER = R * BK / 256;
    const S* p;            // element (r0, k0) of the current block's tile
    long long qstride;     // from one of this thread's elements to the next
    long long kstep;       // from one k-tile to the next
    long long rows_left;   // rows of the operand at and after r0
    int r0, k0, dr, dk;
    T reg[PER];

    __device__ TileLoader(const S* src, long long ld, bool kcontig, long long row0, long long rows) {
        int tid = threadIdx.x;
        r0 = kcontig ? tid / BK : tid % R;
        k0 = kcontig ? tid % BK : tid / R;
        dr = kcontig ? 256 / BK : 0;
        dk = kcontig ? 0 : 256 / R;
        p = src + (kcontig ? (row0 + r0) * ld + k0 : k0 * ld + row0 + r0);
        qstride = kcontig ? dr * ld : dk * ld;
        kstep = kcontig ? BK : BK * ld;
        rows_left = rows - row0 - r0;
    }

    // fetch loads k-tile kt into registers, zero outside the operand.
    __device__ __forceinline__ void fetch(long long kt, long long k) {
        const S* q0 = p + kt * kstep;
        long long kleft = k - kt * BK - k0;
#pragma unroll
        for (int q = 0; q < PER; q++) {
            bool ok = q * dr < rows_left && q * dk < kleft;
            reg[q] = ok ? widen(q0[q * qstride]) : T(0);
        }
    }

    // stash stores the fetched registers into tile[BK][R + pad].
    template <int LD>
    __device__ __forceinline__ void stash(T (*tile)[LD]) {
#pragma unroll
        for (int q = 0; q < PER; q++) {
            tile[k0 + q * dk][r0 + q * dr] = reg[q];
        }
    }
};

// gemm reads A and B as S, computes in T and writes C as O.
template <typename S, typename O, int TM, int TN, int BK>
__device__ void gemm(O* __restrict__ C, const S* __restrict__ A, const S* __restrict__ B, const GemmDesc& d) {
    typedef typename Compute<S>::type T;
    const int BM = 16 * TM;
    const int BN = 16 * TN;
    const int PAD = 16 / sizeof(T);  // breaks bank conflicts of the tile stores
    __shared__ T As[2][BK][BM + PAD];
    __shared__ T Bs[2][BK][BN + PAD];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const long long ktiles = (d.k + BK - 1) / BK;

    for (long long bz = blockIdx.z; bz < d.batch; bz += gridDim.z) {
        const S* a = A + d.a_offset + bz * d.a_stride;
        const S* b = B + d.b_offset + bz * d.b_stride;
        O* c = C + bz * d.m * d.n;
        for (long long row0 = (long long)blockIdx.y * BM; row0 < d.m; row0 += (long long)gridDim.y * BM) {
            for (long long col0 = (long long)blockIdx.x * BN; col0 < d.n; col0 += (long long)gridDim.x * BN) {
                TileLoader<S, BM, BK> la(a, d.lda, !d.trans_a, row0, d.m);
                TileLoader<S, BN, BK> lb(b, d.ldb, d.trans_b, col0, d.n);
                T acc[TM][TN];
#pragma unroll
                for (int i = 0; i < TM; i++) {
#pragma unroll
                    for (int j = 0; j < TN; j++) {
                        acc[i][j] = T(0);
                    }
                }
                if (ktiles > 0) {
                    la.fetch(0, d.k);
                    lb.fetch(0, d.k);
                    la.stash(As[0]);
                    lb.stash(Bs[0]);
                    __syncthreads();
                }
                for (long long kt = 0; kt < ktiles; kt++) {
                    int cur = kt & 1;
                    if (kt + 1 < ktiles) {
                        la.fetch(kt + 1, d.k);
                        lb.fetch(kt + 1, d.k);
                    }
#pragma unroll
                    for (int k = 0; k < BK; k++) {
                        T fa[TM];
                        T fb[TN];
#pragma unroll
                        for (int i = 0; i < TM; i++) {
                            fa[i] = As[cur][k][ty + 16 * i];
                        }
#pragma unroll
                        for (int j = 0; j < TN; j++) {
                            fb[j] = Bs[cur][k][tx + 16 * j];
                        }
#pragma unroll
                        for (int i = 0; i < TM; i++) {
#pragma unroll
                            for (int j = 0; j < TN; j++) {
                                acc[i][j] += fa[i] * fb[j];
                            }
                        }
                    }
                    if (kt + 1 < ktiles) {
                        la.stash(As[cur ^ 1]);
                        lb.stash(Bs[cur ^ 1]);
                    }
                    __syncthreads();
                }
#pragma unroll
                for (int i = 0; i < TM; i++) {
                    long long gi = row0 + ty + 16 * i;
#pragma unroll
                    for (int j = 0; j < TN; j++) {
                        long long gj = col0 + tx + 16 * j;
                        if (gi < d.m && gj < d.n) {
                            c[gi * d.n + gj] = narrow<O>(acc[i][j]);
                        }
                    }
                }
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) matmul_f32(float* C, const float* A, const float* B, GemmDesc d) {
    gemm<float, float, 8, 8, 8>(C, A, B, d);
}

extern "C" __global__ void __launch_bounds__(256)
    matmul_small_f32(float* C, const float* A, const float* B, GemmDesc d) {
    gemm<float, float, 4, 4, 16>(C, A, B, d);
}

extern "C" __global__ void __launch_bounds__(256)
    matmul_f64(double* C, const double* A, const double* B, GemmDesc d) {
    gemm<double, double, 4, 4, 8>(C, A, B, d);
}

extern "C" __global__ void __launch_bounds__(256)
    matmul_small_f64(double* C, const double* A, const double* B, GemmDesc d) {
    gemm<double, double, 2, 2, 16>(C, A, B, d);
}

// The half kernels use the float32 tilings. The 128x128 ones with a half
// C say one block per multiprocessor (as their ~200 registers give
// anyway): with the rounding of 64 results in the epilogue, ptxas
// otherwise aimed at 128 registers for matmul_bf16 on sm_80/sm_90 and
// spilled.
#define MATMUL_HALF(H, SH)                                                                                 \
    extern "C" __global__ void __launch_bounds__(256, 1)                                                   \
        matmul_##SH(H* C, const H* A, const H* B, GemmDesc d) {                                            \
        gemm<H, H, 8, 8, 8>(C, A, B, d);                                                                   \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        matmul_small_##SH(H* C, const H* A, const H* B, GemmDesc d) {                                      \
        gemm<H, H, 4, 4, 16>(C, A, B, d);                                                                  \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        matmul_##SH##_f32(float* C, const H* A, const H* B, GemmDesc d) {                                  \
        gemm<H, float, 8, 8, 8>(C, A, B, d);                                                               \
    }                                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        matmul_small_##SH##_f32(float* C, const H* A, const H* B, GemmDesc d) {                            \
        gemm<H, float, 4, 4, 16>(C, A, B, d);                                                              \
    }

MATMUL_HALF(__nv_bfloat16, bf16)
MATMUL_HALF(__half, f16)
