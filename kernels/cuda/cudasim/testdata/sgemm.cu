// Tiled SGEMM with shared memory and 4x4 register blocking.
// C[m][n] = alpha * sum_k A[m][k]*B[k][n] + beta*C[m][n], all row-major.
// Launch: block (16,16), grid (ceil(N/64), ceil(M/64)).
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

extern "C" __global__ void sgemm_tiled(float* C, const float* A, const float* B,
                                       int M, int N, int K, float alpha, float beta) {
    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BN];
    int tx = threadIdx.x, ty = threadIdx.y;
    int tid = ty * 16 + tx;
    int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    float acc[TM][TN] = {};
    for (int k0 = 0; k0 < K; k0 += BK) {
        // 64x16 of A and 16x64 of B, 4 elements each per thread.
#pragma unroll
        for (int l = 0; l < 4; l++) {
            int e = tid + l * 256;
            int ar = e / BK, ac = e % BK;
            int gr = row0 + ar, gc = k0 + ac;
            As[ac][ar] = (gr < M && gc < K) ? A[gr * K + gc] : 0.f;
            int br = e / BN, bc = e % BN;
            gr = k0 + br; gc = col0 + bc;
            Bs[br][bc] = (gr < K && gc < N) ? B[gr * N + gc] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; i++) a[i] = As[kk][ty * TM + i];
#pragma unroll
            for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx * TN + j];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int r = row0 + ty * TM + i;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            int c = col0 + tx * TN + j;
            if (r < M && c < N) C[r * N + c] = alpha * acc[i][j] + beta * C[r * N + c];
        }
    }
}
