//go:build !purego

#include "textflag.h"

// The row kernels of rows_f32.go but expSum (which needs the exp macros
// of unary_amd64.s and unary_avx2_amd64.s, and lives there): AVX-512 on
// 16 lanes, AVX2 on 8 lanes 16 elements a step. Each runs over whole
// blocks of 16 elements only (len(x) is a multiple of 16; rows_f32.go does
// the rest), and a float64 sum keeps 16 lanes, lane j taking the elements
// i with i%16 == j, in order (AVX2: lanes 0-3 in Y8, 4-7 in Y9, 8-11 in
// Y10, 12-15 in Y11), so that every variant adds in the same order.
// Operand order is Go's: VSUBPD b, a, d is d = a - b.

// BCAST broadcasts the 32-bit pattern bits into all lanes of z.
#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

// rNegInf is -Inf in 8 lanes.
DATA rNegInf<>+0(SB)/4, $0xff800000
DATA rNegInf<>+4(SB)/4, $0xff800000
DATA rNegInf<>+8(SB)/4, $0xff800000
DATA rNegInf<>+12(SB)/4, $0xff800000
DATA rNegInf<>+16(SB)/4, $0xff800000
DATA rNegInf<>+20(SB)/4, $0xff800000
DATA rNegInf<>+24(SB)/4, $0xff800000
DATA rNegInf<>+28(SB)/4, $0xff800000
GLOBL rNegInf<>(SB), RODATA|NOPTR, $32

// func maxBlocksAVX512(x []float32) float32
TEXT ·maxBlocksAVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	BCAST(0xff800000, Z0)
	VMOVAPS Z0, Z1
mx2:
	CMPQ CX, $32
	JLT mx1
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	// x > acc ? x : acc, so a NaN x leaves acc alone.
	VMAXPS Z0, Z2, Z0
	VMAXPS Z1, Z3, Z1
	ADDQ $128, SI
	SUBQ $32, CX
	JMP mx2
mx1:
	CMPQ CX, $16
	JLT mxsum
	VMOVUPS (SI), Z2
	VMAXPS Z0, Z2, Z0
mxsum:
	VMAXPS Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func affineAVX512(dst, x []float32, mul, add float64)
TEXT ·affineAVX512(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSD mul+48(FP), Z30
	VBROADCASTSD add+56(FP), Z31
afloop:
	CMPQ CX, $16
	JLT afdone
	VMOVUPS (SI), Z0
	VCVTPS2PD Y0, Z1
	VMULPD Z30, Z1, Z1
	VADDPD Z31, Z1, Z1
	VCVTPD2PS Z1, Y1
	VEXTRACTF64X4 $1, Z0, Y2
	VCVTPS2PD Y2, Z2
	VMULPD Z30, Z2, Z2
	VADDPD Z31, Z2, Z2
	VCVTPD2PS Z2, Y2
	VINSERTF64X4 $1, Y2, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP afloop
afdone:
	VZEROUPPER
	RET

// func dotAVX512(a, b []float32, lanes *[16]float64)
TEXT ·dotAVX512(SB), NOSPLIT, $0-56
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	MOVQ lanes+48(FP), AX
	VMOVUPD (AX), Z8
	VMOVUPD 64(AX), Z9
dtloop:
	CMPQ CX, $16
	JLT dtdone
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VCVTPS2PD Y0, Z2
	VCVTPS2PD Y1, Z3
	VMULPD Z3, Z2, Z2
	VADDPD Z2, Z8, Z8
	VEXTRACTF64X4 $1, Z0, Y4
	VEXTRACTF64X4 $1, Z1, Y5
	VCVTPS2PD Y4, Z4
	VCVTPS2PD Y5, Z5
	VMULPD Z5, Z4, Z4
	VADDPD Z4, Z9, Z9
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP dtloop
dtdone:
	VMOVUPD Z8, (AX)
	VMOVUPD Z9, 64(AX)
	VZEROUPPER
	RET

// func mulSubAVX512(dst, y, dy []float32, s float64)
TEXT ·mulSubAVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ y_base+24(FP), SI
	MOVQ y_len+32(FP), CX
	MOVQ dy_base+48(FP), DX
	VBROADCASTSD s+72(FP), Z31
msloop:
	CMPQ CX, $16
	JLT msdone
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VCVTPS2PD Y0, Z2
	VCVTPS2PD Y1, Z3
	VSUBPD Z31, Z3, Z3
	VMULPD Z3, Z2, Z2
	VCVTPD2PS Z2, Y2
	VEXTRACTF64X4 $1, Z0, Y4
	VEXTRACTF64X4 $1, Z1, Y5
	VCVTPS2PD Y4, Z4
	VCVTPS2PD Y5, Z5
	VSUBPD Z31, Z5, Z5
	VMULPD Z5, Z4, Z4
	VCVTPD2PS Z4, Y4
	VINSERTF64X4 $1, Y4, Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP msloop
msdone:
	VZEROUPPER
	RET

// func subMulAVX512(dst, e, dy []float32, s float64)
TEXT ·subMulAVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ e_base+24(FP), SI
	MOVQ e_len+32(FP), CX
	MOVQ dy_base+48(FP), DX
	VBROADCASTSD s+72(FP), Z31
smloop:
	CMPQ CX, $16
	JLT smdone
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VCVTPS2PD Y0, Z2
	VCVTPS2PD Y1, Z3
	VMULPD Z31, Z2, Z2
	VSUBPD Z2, Z3, Z3
	VCVTPD2PS Z3, Y3
	VEXTRACTF64X4 $1, Z0, Y4
	VEXTRACTF64X4 $1, Z1, Y5
	VCVTPS2PD Y4, Z4
	VCVTPS2PD Y5, Z5
	VMULPD Z31, Z4, Z4
	VSUBPD Z4, Z5, Z5
	VCVTPD2PS Z5, Y5
	VINSERTF64X4 $1, Y5, Z3, Z3
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP smloop
smdone:
	VZEROUPPER
	RET

// AFFINE8 is dst[off:off+8] = float32(float64(x[off:off+8])*Y12 + Y13).
#define AFFINE8(off) \
	VMOVUPS off(SI), Y0; \
	VCVTPS2PD X0, Y1; \
	VMULPD Y12, Y1, Y1; \
	VADDPD Y13, Y1, Y1; \
	VCVTPD2PSY Y1, X1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	VMULPD Y12, Y2, Y2; \
	VADDPD Y13, Y2, Y2; \
	VCVTPD2PSY Y2, X2; \
	VINSERTF128 $1, X2, Y1, Y1; \
	VMOVUPS Y1, off(DI)

// DOT8 adds float64(a)·float64(b) of 8 elements at off to lo (4 lanes)
// and hi (the next 4).
#define DOT8(off, lo, hi) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off(DX), Y1; \
	VCVTPS2PD X0, Y2; \
	VCVTPS2PD X1, Y3; \
	VMULPD Y3, Y2, Y2; \
	VADDPD Y2, lo, lo; \
	VEXTRACTF128 $1, Y0, X4; \
	VEXTRACTF128 $1, Y1, X5; \
	VCVTPS2PD X4, Y4; \
	VCVTPS2PD X5, Y5; \
	VMULPD Y5, Y4, Y4; \
	VADDPD Y4, hi, hi

// MULSUB8 is dst = float32(float64(y)·(float64(dy) - Y12)) for 8
// elements at off.
#define MULSUB8(off) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off(DX), Y1; \
	VCVTPS2PD X0, Y2; \
	VCVTPS2PD X1, Y3; \
	VSUBPD Y12, Y3, Y3; \
	VMULPD Y3, Y2, Y2; \
	VCVTPD2PSY Y2, X2; \
	VEXTRACTF128 $1, Y0, X4; \
	VEXTRACTF128 $1, Y1, X5; \
	VCVTPS2PD X4, Y4; \
	VCVTPS2PD X5, Y5; \
	VSUBPD Y12, Y5, Y5; \
	VMULPD Y5, Y4, Y4; \
	VCVTPD2PSY Y4, X4; \
	VINSERTF128 $1, X4, Y2, Y2; \
	VMOVUPS Y2, off(DI)

// SUBMUL8 is dst = float32(float64(dy) - float64(e)·Y12) for 8 elements
// at off.
#define SUBMUL8(off) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off(DX), Y1; \
	VCVTPS2PD X0, Y2; \
	VCVTPS2PD X1, Y3; \
	VMULPD Y12, Y2, Y2; \
	VSUBPD Y2, Y3, Y3; \
	VCVTPD2PSY Y3, X3; \
	VEXTRACTF128 $1, Y0, X4; \
	VEXTRACTF128 $1, Y1, X5; \
	VCVTPS2PD X4, Y4; \
	VCVTPS2PD X5, Y5; \
	VMULPD Y12, Y4, Y4; \
	VSUBPD Y4, Y5, Y5; \
	VCVTPD2PSY Y5, X5; \
	VINSERTF128 $1, X5, Y3, Y3; \
	VMOVUPS Y3, off(DI)

// func maxBlocksAVX2(x []float32) float32
TEXT ·maxBlocksAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VMOVUPS rNegInf<>(SB), Y0
	VMOVAPS Y0, Y1
mxloop:
	CMPQ CX, $16
	JLT mxsum
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	// x > acc ? x : acc, so a NaN x leaves acc alone.
	VMAXPS Y0, Y2, Y0
	VMAXPS Y1, Y3, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP mxloop
mxsum:
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func affineAVX2(dst, x []float32, mul, add float64)
TEXT ·affineAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSD mul+48(FP), Y12
	VBROADCASTSD add+56(FP), Y13
afloop:
	CMPQ CX, $16
	JLT afdone
	AFFINE8(0)
	AFFINE8(32)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP afloop
afdone:
	VZEROUPPER
	RET

// func dotAVX2(a, b []float32, lanes *[16]float64)
TEXT ·dotAVX2(SB), NOSPLIT, $0-56
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DX
	MOVQ lanes+48(FP), AX
	VMOVUPD (AX), Y8
	VMOVUPD 32(AX), Y9
	VMOVUPD 64(AX), Y10
	VMOVUPD 96(AX), Y11
dtloop:
	CMPQ CX, $16
	JLT dtdone
	DOT8(0, Y8, Y9)
	DOT8(32, Y10, Y11)
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP dtloop
dtdone:
	VMOVUPD Y8, (AX)
	VMOVUPD Y9, 32(AX)
	VMOVUPD Y10, 64(AX)
	VMOVUPD Y11, 96(AX)
	VZEROUPPER
	RET

// func mulSubAVX2(dst, y, dy []float32, s float64)
TEXT ·mulSubAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ y_base+24(FP), SI
	MOVQ y_len+32(FP), CX
	MOVQ dy_base+48(FP), DX
	VBROADCASTSD s+72(FP), Y12
msloop:
	CMPQ CX, $16
	JLT msdone
	MULSUB8(0)
	MULSUB8(32)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP msloop
msdone:
	VZEROUPPER
	RET

// func subMulAVX2(dst, e, dy []float32, s float64)
TEXT ·subMulAVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ e_base+24(FP), SI
	MOVQ e_len+32(FP), CX
	MOVQ dy_base+48(FP), DX
	VBROADCASTSD s+72(FP), Y12
smloop:
	CMPQ CX, $16
	JLT smdone
	SUBMUL8(0)
	SUBMUL8(32)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP smloop
smdone:
	VZEROUPPER
	RET
