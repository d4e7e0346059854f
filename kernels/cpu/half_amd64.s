//go:build !purego

#include "textflag.h"

// The half-precision conversions of half.go on 16 lanes (AVX-512F), bit
// for bit: widen and narrow for BFloat16 with integer operations (the
// same ones as widen's shift and roundBF16), for Float16 with VCVTPH2PS
// and VCVTPS2PH (IEEE round to nearest even, subnormals kept), NaN lanes
// of the widening redone in integers as device.F16.Float32 does (it keeps
// a signalling NaN signalling; VCVTPH2PS would quiet it). n is a
// multiple of 16.

// func widenBF16AVX512(dst *float32, src *uint16, n int)
TEXT ·widenBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ wbdone

wbloop:
	VPMOVZXWD (SI), Z0
	VPSLLD $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ wbloop

wbdone:
	VZEROUPPER
	RET

// func narrowBF16AVX512(dst *uint16, src *float32, n int)
TEXT ·narrowBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $1, AX
	VPBROADCASTD AX, Z31
	MOVL $0x7fff, AX
	VPBROADCASTD AX, Z30
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z29
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z28
	MOVL $0x40, AX
	VPBROADCASTD AX, Z27
	SHRQ $4, CX
	JZ nbdone

nbloop:
	VMOVDQU32 (SI), Z0
	VPSRLD $16, Z0, Z1
	VPANDD Z31, Z1, Z2
	VPADDD Z30, Z0, Z3
	VPADDD Z2, Z3, Z3
	VPSRLD $16, Z3, Z3        // (b + 0x7fff + (b>>16)&1) >> 16
	VPANDD Z29, Z0, Z4
	VPCMPUD $6, Z28, Z4, K1   // NaN: b&0x7fffffff > 0x7f800000
	VPORD Z27, Z1, K1, Z3     // b>>16 | 0x40 there
	VPMOVDW Z3, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ nbloop

nbdone:
	VZEROUPPER
	RET

// func widenF16AVX512(dst *float32, src *uint16, n int)
TEXT ·widenF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x7fff, AX
	VPBROADCASTD AX, Z31
	MOVL $0x7c00, AX
	VPBROADCASTD AX, Z30
	MOVL $0x8000, AX
	VPBROADCASTD AX, Z29
	MOVL $0x3ff, AX
	VPBROADCASTD AX, Z28
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z27
	SHRQ $4, CX
	JZ wfdone

wfloop:
	VCVTPH2PS (SI), Z0
	VPMOVZXWD (SI), Z1
	VPANDD Z31, Z1, Z2
	VPCMPUD $6, Z30, Z2, K1   // NaN: h&0x7fff > 0x7c00
	KORTESTW K1, K1
	JZ wfstore
	VPANDD Z29, Z1, Z2
	VPSLLD $16, Z2, Z2        // sign
	VPANDD Z28, Z1, Z3
	VPSLLD $13, Z3, Z3        // mant<<13
	VPORD Z3, Z2, Z2
	VPORD Z27, Z2, K1, Z0     // sign | 0x7f800000 | mant<<13 there

wfstore:
	VMOVUPS Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ wfloop

wfdone:
	VZEROUPPER
	RET

// func narrowF16AVX512(dst *uint16, src *float32, n int)
TEXT ·narrowF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ nfdone

nfloop:
	VMOVUPS (SI), Z0
	VCVTPS2PH $0, Z0, Y1
	VMOVDQU Y1, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ nfloop

nfdone:
	VZEROUPPER
	RET

// The AVX2 kernels (8 lanes; float16 through F16C): the same operations,
// with compares into vector masks and blends where AVX-512 has mask
// registers. n is a multiple of 16 here too.

// BCAST32 broadcasts the 32-bit constant c into reg (through AX and X15).
#define BCAST32(c, reg) \
	MOVQ $c, AX; \
	MOVQ AX, X15; \
	VPBROADCASTD X15, reg

// func widenBF16AVX2(dst *float32, src *uint16, n int)
TEXT ·widenBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ wb2done

wb2loop:
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ wb2loop

wb2done:
	VZEROUPPER
	RET

// func narrowBF16AVX2(dst *uint16, src *float32, n int)
TEXT ·narrowBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	BCAST32(1, Y14)
	BCAST32(0x7fff, Y13)
	BCAST32(0x7fffffff, Y12)
	BCAST32(0x7f800000, Y11)
	BCAST32(0x40, Y10)
	SHRQ $3, CX
	JZ nb2done

nb2loop:
	VMOVDQU (SI), Y0
	VPSRLD $16, Y0, Y1
	VPAND Y14, Y1, Y2
	VPADDD Y13, Y0, Y3
	VPADDD Y2, Y3, Y3
	VPSRLD $16, Y3, Y3        // (b + 0x7fff + (b>>16)&1) >> 16
	VPAND Y12, Y0, Y4
	VPCMPGTD Y11, Y4, Y5      // NaN: b&0x7fffffff > 0x7f800000 (both non-negative)
	VPOR Y10, Y1, Y6
	VPBLENDVB Y5, Y6, Y3, Y3  // b>>16 | 0x40 there
	VEXTRACTI128 $1, Y3, X7
	VPACKUSDW X7, X3, X3      // 8 dwords, each at most 0xffff, to words
	VMOVDQU X3, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ nb2loop

nb2done:
	VZEROUPPER
	RET

// func widenF16AVX2(dst *float32, src *uint16, n int)
TEXT ·widenF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	BCAST32(0x7fff, Y14)
	BCAST32(0x7c00, Y13)
	BCAST32(0x8000, Y12)
	BCAST32(0x3ff, Y11)
	BCAST32(0x7f800000, Y10)
	SHRQ $3, CX
	JZ wf2done

wf2loop:
	VCVTPH2PS (SI), Y0
	VPMOVZXWD (SI), Y1
	VPAND Y14, Y1, Y2
	VPCMPGTD Y13, Y2, Y3      // NaN: h&0x7fff > 0x7c00
	VPTEST Y3, Y3
	JZ wf2store
	VPAND Y12, Y1, Y2
	VPSLLD $16, Y2, Y2        // sign
	VPAND Y11, Y1, Y4
	VPSLLD $13, Y4, Y4        // mant<<13
	VPOR Y4, Y2, Y2
	VPOR Y10, Y2, Y2
	VPBLENDVB Y3, Y2, Y0, Y0  // sign | 0x7f800000 | mant<<13 there

wf2store:
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ wf2loop

wf2done:
	VZEROUPPER
	RET

// func narrowF16AVX2(dst *uint16, src *float32, n int)
TEXT ·narrowF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ nf2done

nf2loop:
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ nf2loop

nf2done:
	VZEROUPPER
	RET
