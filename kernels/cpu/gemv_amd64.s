//go:build !purego

#include "textflag.h"

// sdotRowsAVX512: out[i] = Σ_p a[i*lda+p]·x[p] for i < m, p < k, where
// k = 32*k32 + the lanes of m0 and m1 (a tail of under 32: m0 the first
// 16 lanes, m1 the next 16). Each row sums in 32 lanes, lane p%32 taking
// element p by FMA in order of p, then the lanes fold in a fixed order
// (lane j+16 into j, then halves of 8, 4, 2 and 1), so the result depends
// on the row and x alone. Rows go four at a time (x loaded once for the
// four), then one at a time.
//
// Registers: DI the row group, BX lda in bytes, SI x, DX out, R8-R11 the
// four rows, CX the 32-element steps left, R12 the rows left, R13 k32;
// Z0-Z7 the accumulators (row r in Z2r, Z2r+1), Z8 Z9 x, K1 K2 the tail
// masks.

// HSUM folds the 32 lanes of za, zb into the float32 at out: lane j+16
// into j, then the upper half of what is left into the lower, down to one.
#define HSUM(za, zb, ya, out) \
	VADDPS zb, za, za; \
	VEXTRACTF64X4 $1, za, Y12; \
	VADDPS Y12, ya, Y12; \
	VEXTRACTF128 $1, Y12, X13; \
	VADDPS X13, X12, X12; \
	VPERMILPS $0x4e, X12, X13; \
	VADDPS X13, X12, X12; \
	VMOVSHDUP X12, X13; \
	VADDSS X13, X12, X12; \
	VMOVSS X12, out

// func sdotRowsAVX512(m, k32 int, a *float32, lda int, x *float32, out *float32, m0, m1 uint16)
TEXT ·sdotRowsAVX512(SB), NOSPLIT, $0-52
	MOVQ m+0(FP), R12
	MOVQ k32+8(FP), R13
	MOVQ a+16(FP), DI
	MOVQ lda+24(FP), BX
	SHLQ $2, BX
	MOVQ out+40(FP), DX
	KMOVW m0+48(FP), K1
	KMOVW m1+50(FP), K2

four:
	CMPQ R12, $4
	JLT one
	MOVQ x+32(FP), SI
	MOVQ DI, R8
	LEAQ (DI)(BX*1), R9
	LEAQ (DI)(BX*2), R10
	LEAQ (R9)(BX*2), R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ R13, CX
	TESTQ CX, CX
	JZ fourtail

fourloop:
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VFMADD231PS (R8), Z8, Z0
	VFMADD231PS 64(R8), Z9, Z1
	VFMADD231PS (R9), Z8, Z2
	VFMADD231PS 64(R9), Z9, Z3
	VFMADD231PS (R10), Z8, Z4
	VFMADD231PS 64(R10), Z9, Z5
	VFMADD231PS (R11), Z8, Z6
	VFMADD231PS 64(R11), Z9, Z7
	ADDQ $128, SI
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R10
	ADDQ $128, R11
	DECQ CX
	JNZ fourloop

fourtail:
	VMOVUPS.Z (SI), K1, Z8
	VMOVUPS.Z 64(SI), K2, Z9
	VMOVUPS.Z (R8), K1, Z10
	VFMADD231PS Z10, Z8, Z0
	VMOVUPS.Z 64(R8), K2, Z10
	VFMADD231PS Z10, Z9, Z1
	VMOVUPS.Z (R9), K1, Z10
	VFMADD231PS Z10, Z8, Z2
	VMOVUPS.Z 64(R9), K2, Z10
	VFMADD231PS Z10, Z9, Z3
	VMOVUPS.Z (R10), K1, Z10
	VFMADD231PS Z10, Z8, Z4
	VMOVUPS.Z 64(R10), K2, Z10
	VFMADD231PS Z10, Z9, Z5
	VMOVUPS.Z (R11), K1, Z10
	VFMADD231PS Z10, Z8, Z6
	VMOVUPS.Z 64(R11), K2, Z10
	VFMADD231PS Z10, Z9, Z7
	HSUM(Z0, Z1, Y0, 0(DX))
	HSUM(Z2, Z3, Y2, 4(DX))
	HSUM(Z4, Z5, Y4, 8(DX))
	HSUM(Z6, Z7, Y6, 12(DX))
	ADDQ $16, DX
	LEAQ (DI)(BX*4), DI
	SUBQ $4, R12
	JMP four

one:
	TESTQ R12, R12
	JZ done
	MOVQ x+32(FP), SI
	MOVQ DI, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ R13, CX
	TESTQ CX, CX
	JZ onetail

oneloop:
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VFMADD231PS (R8), Z8, Z0
	VFMADD231PS 64(R8), Z9, Z1
	ADDQ $128, SI
	ADDQ $128, R8
	DECQ CX
	JNZ oneloop

onetail:
	VMOVUPS.Z (SI), K1, Z8
	VMOVUPS.Z 64(SI), K2, Z9
	VMOVUPS.Z (R8), K1, Z10
	VFMADD231PS Z10, Z8, Z0
	VMOVUPS.Z 64(R8), K2, Z10
	VFMADD231PS Z10, Z9, Z1
	HSUM(Z0, Z1, Y0, 0(DX))
	ADDQ $4, DX
	ADDQ BX, DI
	DECQ R12
	JMP one

done:
	VZEROUPPER
	RET

// saxpyRowsAVX512: c[j] = Σ_p x[p]·b[p*ldb+j] for j < n, p < k (k >= 1),
// added to c when acc. Each output sums from zero by FMA in order of p,
// as the GEMM micro-kernels do, so the result is theirs bit for bit.
// Columns go 64 at a time (Z0-Z3), then 16 at a time, the last under a
// mask.
//
// Registers: DI the column group's start in b, BX ldb in bytes, R8 the
// row, SI x, DX c, CX the steps left, R12 the columns left, R13 k, R11
// acc; Z8 x[p] broadcast, K1 the mask.

// func saxpyRowsAVX512(n, k int, x, b *float32, ldb int, c *float32, acc bool)
TEXT ·saxpyRowsAVX512(SB), NOSPLIT, $0-49
	MOVQ n+0(FP), R12
	MOVQ k+8(FP), R13
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), BX
	SHLQ $2, BX
	MOVQ c+40(FP), DX
	MOVBQZX acc+48(FP), R11

g64:
	CMPQ R12, $64
	JLT g16
	MOVQ x+16(FP), SI
	MOVQ DI, R8
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R13, CX

l64:
	VBROADCASTSS (SI), Z8
	VFMADD231PS (R8), Z8, Z0
	VFMADD231PS 64(R8), Z8, Z1
	VFMADD231PS 128(R8), Z8, Z2
	VFMADD231PS 192(R8), Z8, Z3
	ADDQ $4, SI
	ADDQ BX, R8
	DECQ CX
	JNZ l64
	TESTQ R11, R11
	JZ s64
	VADDPS (DX), Z0, Z0
	VADDPS 64(DX), Z1, Z1
	VADDPS 128(DX), Z2, Z2
	VADDPS 192(DX), Z3, Z3

s64:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	ADDQ $256, DX
	ADDQ $256, DI
	SUBQ $64, R12
	JMP g64

g16:
	TESTQ R12, R12
	JZ adone
	MOVQ $0xffff, AX
	CMPQ R12, $16
	JGE full
	MOVQ R12, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX

full:
	KMOVW AX, K1
	MOVQ x+16(FP), SI
	MOVQ DI, R8
	VPXORD Z0, Z0, Z0
	MOVQ R13, CX

l16:
	VBROADCASTSS (SI), Z8
	VMOVUPS.Z (R8), K1, Z9
	VFMADD231PS Z9, Z8, Z0
	ADDQ $4, SI
	ADDQ BX, R8
	DECQ CX
	JNZ l16
	TESTQ R11, R11
	JZ s16
	VMOVUPS.Z (DX), K1, Z9
	VADDPS Z9, Z0, Z0

s16:
	VMOVUPS Z0, K1, (DX)
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, R12
	JGT g16

adone:
	VZEROUPPER
	RET
