// Tensor-core matmul family (compute_80 and newer): the batched row-major
// GEMM of matmul.cu, C[b] = opA(A[b]) @ opB(B[b]) as device.MatMulArgs
// defines, on mma.sync with float32 accumulation.
//
//	matmul_tc_bf16, matmul_tc_f16: bf16/f16 A and B, mma m16n8k16; C is
//	    float32 (c_half = 0, the sums unrounded) or the inputs' dtype
//	    (c_half = 1, rounded to nearest even).
//	matmul_tc_tf32: float32 A and B rounded to TF32 (cvt.rna.tf32.f32),
//	    mma m16n8k8; C float32.
//	matmul_tc_small_*: the same on 64x64 tiles, for products whose
//	    128x128 tiles would leave multiprocessors idle.
//
// Tiling: a 256-thread block (8 warps, 2 along M by 4 along N) computes a
// BM x BN tile of C; a warp a (BM/2) x (BN/4) tile as MT x NT mma tiles of
// 16x8, its accumulators in registers. K advances 64 bytes of each row at a
// time (32 halves or 16 floats) through STAGES shared-memory stages filled
// by cp.async: while the warps multiply stage kt, the copies of the next
// STAGES-1 k-tiles are in flight (commit_group / wait_group STAGES-2), and
// one bar.sync per k-tile both publishes the landed stage and frees the
// stage the next copy overwrites.
//
// Shared layout follows global memory: an operand whose k is contiguous
// (A not transposed, B transposed) is staged [R][KB + pad], the other
// [KB][R + pad], so that the 16-byte copies read consecutive addresses
// (coalesced) and write whole rows. The half kernels read fragments with
// ldmatrix.x4, .trans for the [KB][R] layouts; TF32 reads 32-bit elements
// directly (ldmatrix.trans moves 16-bit elements). The pads make every
// fragment read conflict-free: 16 bytes per [R][KB] row (rows 80 bytes
// apart: 8 rows hit 8 distinct 16-byte bank groups), and 8 elements per
// [KB][R] row (R+8 halves: rows 16 bytes apart mod 128; R+8 floats: rows
// 8 banks apart, so the 4 k-rows x 8 columns a TF32 fragment reads are 32
// distinct banks).
//
// Edges: a 16-byte chunk that crosses the end of K or of M/N copies only
// its bytes inside the operand (cp.async's src-size operand) and zero-fills
// the rest; chunks wholly outside copy nothing and zero-fill. So any M, N,
// K (1, primes, K = 0) is exact. Where the operand's address, leading
// dimension or batch stride is not a multiple of 16 bytes, the block loads
// the same chunks with plain loads element by element instead.
//
// Grid: x over N tiles, y over M tiles, z over the batch, each
// grid-strided so capped grids stay correct.

// GemmDesc is matmul.cu's GemmDesc (putGemmDesc writes it for both):
// device.MatMulArgs without the buffers (88 bytes, align 8).
struct GemmDesc {
    long long batch, m, n, k;
    long long a_offset, a_stride, lda;
    long long b_offset, b_stride, ldb;
    int trans_a, trans_b;
};

#define TC_THREADS 256
#define TC_WARPS_M 2
#define TC_WARPS_N 4

__device__ __forceinline__ unsigned smem_u32(const void* p) { return (unsigned)__cvta_generic_to_shared(p); }

// cp_async16 copies bytes (0..16) from global src to shared dst and zeroes
// the rest of the 16.
__device__ __forceinline__ void cp_async16(unsigned dst, const void* src, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(__cvta_generic_to_global(src)),
                 "r"(bytes)
                 : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], unsigned addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

__device__ __forceinline__ void ldsm_x4_trans(unsigned (&r)[4], unsigned addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

// The three input kinds: storage type T, k elements per stage KB (64
// bytes), k per mma KSTEP, the mma itself, and how C rounds to T.
struct Bf16 {
    typedef unsigned short T;
    static const int KB = 32, KSTEP = 16;
    static __device__ __forceinline__ void mma(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
            "{%0, %1, %2, %3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
    static __device__ __forceinline__ unsigned short round(float x) {
        unsigned short h;
        asm("cvt.rn.bf16.f32 %0, %1;\n" : "=h"(h) : "f"(x));
        return h;
    }
};

struct F16 {
    typedef unsigned short T;
    static const int KB = 32, KSTEP = 16;
    static __device__ __forceinline__ void mma(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
            "{%0, %1, %2, %3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
    static __device__ __forceinline__ unsigned short round(float x) {
        unsigned short h;
        asm("cvt.rn.f16.f32 %0, %1;\n" : "=h"(h) : "f"(x));
        return h;
    }
};

struct Tf32 {
    typedef float T;
    static const int KB = 16, KSTEP = 8;
    static __device__ __forceinline__ void mma(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
        asm volatile(
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
            "{%0, %1, %2, %3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

__device__ __forceinline__ unsigned to_tf32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
}

// Stage is one operand's k-tile in shared memory: R rows (of M for A, of
// N for B) by KB k, laid out [R][LDK] when k is contiguous in global
// memory (kc) and [KB][LDR] otherwise.
template <typename T, int R, int KB>
struct Stage {
    static const int EPC = 16 / sizeof(T);  // elements per 16-byte chunk
    static const int LDK = KB + EPC;
    static const int LDR = R + 8;
    static const int SIZE = R * LDK > KB * LDR ? R * LDK : KB * LDR;
    static const int CHUNKS = R * KB / EPC / TC_THREADS;  // per thread and k-tile
    static_assert(CHUNKS >= 1 && R * KB % (EPC * TC_THREADS) == 0, "tile does not split into chunks");

    // offset is where element (r, k) of the tile lives.
    static __device__ __forceinline__ int offset(bool kc, int r, int k) { return kc ? r * LDK + k : k * LDR + r; }
};

// Loader copies one operand's k-tiles to shared memory: thread t takes
// chunks t, t+256, ... of the tile, numbered along the contiguous
// dimension first, so a warp's copies read consecutive addresses.
template <typename T, int R, int KB>
struct Loader {
    typedef Stage<T, R, KB> S;
    const T* base;  // the operand of this batch element
    long long ld;
    long long rows;  // M or N
    long long k;
    long long row0;  // first row of the block's tile
    bool kc;         // k contiguous in global memory
    bool vec;        // 16-byte aligned: cp.async, else plain loads

    __device__ __forceinline__ void load(T* s, long long k0) const {
#pragma unroll
        for (int q = 0; q < S::CHUNKS; q++) {
            int c = threadIdx.x + q * TC_THREADS;
            int o, i;  // outer (strided) and inner (contiguous) index in the tile
            if (kc) {
                o = c / (KB / S::EPC);
                i = c % (KB / S::EPC) * S::EPC;
            } else {
                o = c / (R / S::EPC);
                i = c % (R / S::EPC) * S::EPC;
            }
            long long go = (kc ? row0 : k0) + o;
            long long gi = (kc ? k0 : row0) + i;
            long long olim = kc ? rows : k;
            long long ilim = kc ? k : rows;
            long long left = ilim - gi;
            int n = go < olim && left > 0 ? (left < S::EPC ? (int)left : S::EPC) : 0;
            T* dst = s + (kc ? o * S::LDK + i : o * S::LDR + i);
            const T* src = base + go * ld + gi;
            if (vec) {
                cp_async16(smem_u32(dst), n > 0 ? src : base, n * (int)sizeof(T));
            } else {
#pragma unroll
                for (int e = 0; e < S::EPC; e++) {
                    dst[e] = e < n ? src[e] : T(0);
                }
            }
        }
    }
};

// aligned16 reports whether every chunk of an operand starts on 16 bytes:
// its first element, its leading dimension and (when the batch has more
// than one element) its batch stride.
template <typename T>
__device__ __forceinline__ bool aligned16(const T* p, long long ld, long long stride, long long batch) {
    unsigned long long bits = (unsigned long long)p | (unsigned long long)(ld * (long long)sizeof(T));
    if (batch > 1) {
        bits |= (unsigned long long)(stride * (long long)sizeof(T));
    }
    return (bits & 15) == 0;
}

// Fragments of one k-step of KSTEP for the half kernels: ldmatrix.x4 gives
// an A tile of 16x16 (lane l names row l%16 at k 8*(l/16) of [R][KB], or
// k-row l%8 + 8*(l/16) at column 8*((l/8)%2) of [KB][R] for .trans) and
// two B tiles of 16x8 (n-row l%8 + 8*(l/16) at k 8*((l/8)%2), or k-row
// l%8 + 8*((l/8)%2) at column 8*(l/16)), in the register order of the
// mma's fragments.
template <class P, int BM, int BN, int MT, int NT>
struct Frags {
    typedef typename P::T T;
    typedef Stage<T, BM, P::KB> SA;
    typedef Stage<T, BN, P::KB> SB;

    static __device__ __forceinline__ void load(unsigned (&a)[MT][4], unsigned (&b)[NT][2], const T* sa, const T* sb,
                                                bool akc, bool bkc, int wm, int wn, int ks) {
        const int lane = threadIdx.x % 32;
#pragma unroll
        for (int i = 0; i < MT; i++) {
            int m = wm + i * 16;
            if (akc) {
                ldsm_x4(a[i], smem_u32(sa + SA::offset(true, m + lane % 16, ks + 8 * (lane / 16))));
            } else {
                ldsm_x4_trans(a[i], smem_u32(sa + SA::offset(false, m + 8 * (lane / 8 % 2), ks + lane % 8 + 8 * (lane / 16))));
            }
        }
#pragma unroll
        for (int j = 0; j < NT; j += 2) {
            int n = wn + j * 8;
            unsigned r[4];
            if (bkc) {
                ldsm_x4(r, smem_u32(sb + SB::offset(true, n + lane % 8 + 8 * (lane / 16), ks + 8 * (lane / 8 % 2))));
            } else {
                ldsm_x4_trans(r, smem_u32(sb + SB::offset(false, n + 8 * (lane / 16), ks + lane % 8 + 8 * (lane / 8 % 2))));
            }
            b[j][0] = r[0];
            b[j][1] = r[1];
            b[j + 1][0] = r[2];
            b[j + 1][1] = r[3];
        }
    }
};

// The TF32 fragments of m16n8k8, read element by element (g = lane/4,
// c = lane%4): A (g, c), (g+8, c), (g, c+4), (g+8, c+4); B (k c, n g),
// (k c+4, n g); each rounded with cvt.rna.tf32.f32.
template <int BM, int BN, int MT, int NT>
struct Frags<Tf32, BM, BN, MT, NT> {
    typedef Stage<float, BM, Tf32::KB> SA;
    typedef Stage<float, BN, Tf32::KB> SB;

    static __device__ __forceinline__ void load(unsigned (&a)[MT][4], unsigned (&b)[NT][2], const float* sa,
                                                const float* sb, bool akc, bool bkc, int wm, int wn, int ks) {
        const int g = threadIdx.x % 32 / 4;
        const int c = threadIdx.x % 4;
#pragma unroll
        for (int i = 0; i < MT; i++) {
#pragma unroll
            for (int r = 0; r < 4; r++) {
                a[i][r] = to_tf32(sa[SA::offset(akc, wm + i * 16 + g + 8 * (r % 2), ks + c + 4 * (r / 2))]);
            }
        }
#pragma unroll
        for (int j = 0; j < NT; j++) {
#pragma unroll
            for (int r = 0; r < 2; r++) {
                b[j][r] = to_tf32(sb[SB::offset(bkc, wn + j * 8 + g, ks + c + 4 * r)]);
            }
        }
    }
};

// store_f32 writes C[at] = v0 and, when second, C[at+1] = v1: one 8-byte
// store when pair (both in range, at even).
__device__ __forceinline__ void store_f32(float* C, long long at, bool pair, bool second, float v0, float v1) {
    if (pair) {
        *(float2*)(C + at) = make_float2(v0, v1);
    } else {
        C[at] = v0;
        if (second) {
            C[at + 1] = v1;
        }
    }
}

// store_c writes two adjacent outputs of a half product: float32, or
// rounded to the inputs' dtype when c_half.
template <class P>
__device__ __forceinline__ void store_c(P, void* Cv, int c_half, long long at, bool pair, bool second, float v0,
                                        float v1) {
    if (!c_half) {
        store_f32((float*)Cv, at, pair, second, v0, v1);
        return;
    }
    unsigned short* C = (unsigned short*)Cv;
    if (pair) {
        *(unsigned*)(C + at) = (unsigned)P::round(v0) | (unsigned)P::round(v1) << 16;
    } else {
        C[at] = P::round(v0);
        if (second) {
            C[at + 1] = P::round(v1);
        }
    }
}

// A TF32 product's C is float32.
__device__ __forceinline__ void store_c(Tf32, void* Cv, int, long long at, bool pair, bool second, float v0, float v1) {
    store_f32((float*)Cv, at, pair, second, v0, v1);
}

template <class P, int BM, int BN, int STAGES>
__device__ __forceinline__ void tc_gemm(void* Cv, const typename P::T* __restrict__ A,
                                        const typename P::T* __restrict__ B, const GemmDesc& d, int c_half) {
    typedef typename P::T T;
    const int KB = P::KB;
    const int WM = BM / TC_WARPS_M, WN = BN / TC_WARPS_N;
    const int MT = WM / 16, NT = WN / 8;
    typedef Stage<T, BM, KB> SA;
    typedef Stage<T, BN, KB> SB;
    __shared__ __align__(16) T smem[STAGES][SA::SIZE + SB::SIZE];

    const int warp = threadIdx.x / 32;
    const int wm = warp / TC_WARPS_N * WM;
    const int wn = warp % TC_WARPS_N * WN;
    const int g = threadIdx.x % 32 / 4;
    const int c2 = threadIdx.x % 4 * 2;
    const long long ktiles = (d.k + KB - 1) / KB;

    for (long long bz = blockIdx.z; bz < d.batch; bz += gridDim.z) {
        Loader<T, BM, KB> la;
        la.base = A + d.a_offset + bz * d.a_stride;
        la.ld = d.lda;
        la.rows = d.m;
        la.k = d.k;
        la.kc = !d.trans_a;
        la.vec = aligned16(A + d.a_offset, d.lda, d.a_stride, d.batch);
        Loader<T, BN, KB> lb;
        lb.base = B + d.b_offset + bz * d.b_stride;
        lb.ld = d.ldb;
        lb.rows = d.n;
        lb.k = d.k;
        lb.kc = d.trans_b;
        lb.vec = aligned16(B + d.b_offset, d.ldb, d.b_stride, d.batch);
        for (long long row0 = (long long)blockIdx.y * BM; row0 < d.m; row0 += (long long)gridDim.y * BM) {
            la.row0 = row0;
            for (long long col0 = (long long)blockIdx.x * BN; col0 < d.n; col0 += (long long)gridDim.x * BN) {
                lb.row0 = col0;
                float acc[MT][NT][4];
#pragma unroll
                for (int i = 0; i < MT; i++) {
#pragma unroll
                    for (int j = 0; j < NT; j++) {
#pragma unroll
                        for (int r = 0; r < 4; r++) {
                            acc[i][j][r] = 0.f;
                        }
                    }
                }
                // Prologue: k-tiles 0..STAGES-2 in flight, one group each
                // (empty groups keep the count uniform).
#pragma unroll
                for (int s = 0; s < STAGES - 1; s++) {
                    if (s < ktiles) {
                        la.load(smem[s], (long long)s * KB);
                        lb.load(smem[s] + SA::SIZE, (long long)s * KB);
                    }
                    cp_async_commit();
                }
                for (long long kt = 0; kt < ktiles; kt++) {
                    // Groups 0..kt have landed for this thread; the barrier
                    // makes every thread's copies visible and says that all
                    // warps are done with stage (kt-1) % STAGES.
                    cp_async_wait<STAGES - 2>();
                    __syncthreads();
                    long long next = kt + STAGES - 1;
                    if (next < ktiles) {
                        T* s = smem[next % STAGES];
                        la.load(s, next * KB);
                        lb.load(s + SA::SIZE, next * KB);
                    }
                    cp_async_commit();
                    const T* sa = smem[kt % STAGES];
                    const T* sb = sa + SA::SIZE;
#pragma unroll
                    for (int ks = 0; ks < KB; ks += P::KSTEP) {
                        unsigned a[MT][4];
                        unsigned b[NT][2];
                        Frags<P, BM, BN, MT, NT>::load(a, b, sa, sb, la.kc, lb.kc, wm, wn, ks);
#pragma unroll
                        for (int i = 0; i < MT; i++) {
#pragma unroll
                            for (int j = 0; j < NT; j++) {
                                P::mma(acc[i][j], a[i], b[j]);
                            }
                        }
                    }
                }
                // No copy is pending (the groups after the last k-tile are
                // empty); the barrier keeps the next tile's prologue from
                // overwriting stages other warps still read.
                cp_async_wait<0>();
                __syncthreads();
                long long cbase = bz * d.m * d.n;
#pragma unroll
                for (int i = 0; i < MT; i++) {
#pragma unroll
                    for (int h = 0; h < 2; h++) {
                        long long gi = row0 + wm + i * 16 + g + 8 * h;
                        if (gi >= d.m) {
                            continue;
                        }
#pragma unroll
                        for (int j = 0; j < NT; j++) {
                            long long gj = col0 + wn + j * 8 + c2;
                            long long at = cbase + gi * d.n + gj;
                            bool pair = gj + 1 < d.n && (at & 1) == 0;
                            if (gj < d.n) {
                                store_c(P(), Cv, c_half, at, pair, gj + 1 < d.n, acc[i][j][2 * h], acc[i][j][2 * h + 1]);
                            }
                        }
                    }
                }
            }
        }
    }
}

// Tilings: 128x128 (warp tile 64x32, 64 accumulators a thread) with two
// stages, 40 KiB of shared memory; 64x64 (warp tile 32x16) with three
// stages, 30 KiB. Both stay under the 48 KiB of static shared memory.
#define TC_BIG 128, 128, 2
#define TC_SMALL 64, 64, 3

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_bf16(void* C, const unsigned short* A, const unsigned short* B, GemmDesc d, int c_half) {
    tc_gemm<Bf16, TC_BIG>(C, A, B, d, c_half);
}

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_small_bf16(void* C, const unsigned short* A, const unsigned short* B, GemmDesc d, int c_half) {
    tc_gemm<Bf16, TC_SMALL>(C, A, B, d, c_half);
}

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_f16(void* C, const unsigned short* A, const unsigned short* B, GemmDesc d, int c_half) {
    tc_gemm<F16, TC_BIG>(C, A, B, d, c_half);
}

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_small_f16(void* C, const unsigned short* A, const unsigned short* B, GemmDesc d, int c_half) {
    tc_gemm<F16, TC_SMALL>(C, A, B, d, c_half);
}

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_tf32(float* C, const float* A, const float* B, GemmDesc d) {
    tc_gemm<Tf32, TC_BIG>(C, A, B, d, 0);
}

extern "C" __global__ void __launch_bounds__(TC_THREADS)
    matmul_tc_small_tf32(float* C, const float* A, const float* B, GemmDesc d) {
    tc_gemm<Tf32, TC_SMALL>(C, A, B, d, 0);
}
