//go:build !purego

#include "textflag.h"

// The float32 Adam and SGD steps of adamGo and sgdGo (optim.go) on 4 AVX
// lanes: each element widened to float64, one instruction per float64
// operation of the Go loop in its order and without FMA, rounded back to
// float32 (round to nearest even, as Go's conversion) on store, so the
// results match the Go loop bit for bit. Operand order is Go's: VSUBPD b, a, d is
// d = a - b. The adamConsts fields are read by offset: b1 0, omb1 8, b2 16,
// omb2 24, step 32, rs2 40, eps 48, wd 56, kdec 64, decoupled 72.
// Adam's L2 form and AdamW's decay run in separate loops, chosen once.

// LOAD_L2 loads p into x0 and g into x1 and adds the L2 term: g += wd*p
// (wd in cwd; x2 scratch).
#define LOAD_L2(P, G, x0, x1, x2, cwd) \
	VCVTPS2PD (P), x0; \
	VCVTPS2PD (G), x1; \
	VMULPD x0, cwd, x2; \
	VADDPD x2, x1, x1

// LOAD_DEC loads p into x0 and g into x1 and decays p: p *= 1-lr*wd (in
// ckdec).
#define LOAD_DEC(P, G, x0, x1, ckdec) \
	VCVTPS2PD (P), x0; \
	VCVTPS2PD (G), x1; \
	VMULPD ckdec, x0, x0

// UPDATE is the rest of the step from p in x0 and g in x1: the moments
// (stored through ht, the float32 half of a scratch register) and the new
// p. x3..x8 are scratch; c0..c6 hold b1, omb1, b2, omb2, step, rs2, eps;
// h0 is x0's float32 half.
#define UPDATE(P, M, V, x0, x1, x3, x4, x5, x6, x7, x8, h0, ht, c0, c1, c2, c3, c4, c5, c6) \
	VCVTPS2PD (M), x3; \
	VMULPD x3, c0, x3; \
	VMULPD x1, c1, x4; \
	VADDPD x4, x3, x3; \
	VCVTPS2PD (V), x5; \
	VMULPD x5, c2, x5; \
	VMULPD x1, c3, x6; \
	VMULPD x1, x6, x6; \
	VADDPD x6, x5, x5; \
	VCVTPD2PSY x3, ht; \
	VMOVUPS ht, (M); \
	VCVTPD2PSY x5, ht; \
	VMOVUPS ht, (V); \
	VMULPD x3, c4, x7; \
	VSQRTPD x5, x8; \
	VMULPD c5, x8, x8; \
	VADDPD c6, x8, x8; \
	VDIVPD x8, x7, x7; \
	VSUBPD x7, x0, x0; \
	VCVTPD2PSY x0, h0; \
	VMOVUPS h0, (P)

// ADVANCE moves the four element pointers on by n bytes.
#define ADVANCE(n) \
	ADDQ $n, SI; \
	ADDQ $n, DI; \
	ADDQ $n, R8; \
	ADDQ $n, R9

// ARGS loads the arguments: pointers in SI, DI, R8, R9, the vector count
// in CX, the constants' address in DX.
#define ARGS \
	MOVQ p+0(FP), SI; \
	MOVQ grad+8(FP), DI; \
	MOVQ m+16(FP), R8; \
	MOVQ v+24(FP), R9; \
	MOVQ n+32(FP), CX; \
	MOVQ k+40(FP), DX

// The SGD step: sgdConsts offsets wd 0, mom 8, lr 16, mode 24; plain,
// momentum and Nesterov momentum run in separate loops, chosen once. SI,
// DI, R8 point at p, g and m; CX counts vectors.

// SGD_G loads p into x0 and g into x1 and adds the weight decay: g += wd*p
// (x2 scratch).
#define SGD_G(x0, x1, x2, cwd) \
	VCVTPS2PD (SI), x0; \
	VCVTPS2PD (DI), x1; \
	VMULPD x0, cwd, x2; \
	VADDPD x2, x1, x1

// SGD_MOM makes x1 the new momentum mom*m + g, storing it (ht: a float32
// half of a scratch register; x2 scratch).
#define SGD_MOM(x1, x2, ht, cmom) \
	VCVTPS2PD (R8), x2; \
	VMULPD x2, cmom, x2; \
	VADDPD x1, x2, x1; \
	VCVTPD2PSY x1, ht; \
	VMOVUPS ht, (R8)

// SGD_P stores p - lr*g (x2 scratch, h0 x0's float32 half).
#define SGD_P(x0, x1, x2, h0, clr) \
	VMULPD x1, clr, x2; \
	VSUBPD x2, x0, x0; \
	VCVTPD2PSY x0, h0; \
	VMOVUPS h0, (SI)

// SGDARGS loads the arguments and broadcasts wd, mom and lr into cwd, cmom
// and clr; AX gets the mode.
#define SGDARGS(cwd, cmom, clr) \
	MOVQ p+0(FP), SI; \
	MOVQ grad+8(FP), DI; \
	MOVQ m+16(FP), R8; \
	MOVQ n+24(FP), CX; \
	MOVQ k+32(FP), DX; \
	VBROADCASTSD 0(DX), cwd; \
	VBROADCASTSD 8(DX), cmom; \
	VBROADCASTSD 16(DX), clr; \
	MOVQ 24(DX), AX

// func adamF32AVX(p, grad, m, v *float32, n int, k *adamConsts)
//
// Sixteen ymm registers: Y6..Y14 hold the constants, Y0..Y5 the vectors,
// each scratch reused once its value is dead (g after the moments, the
// moments after their stores).
TEXT ·adamF32AVX(SB), NOSPLIT, $0-48
	ARGS
	VBROADCASTSD 0(DX), Y6
	VBROADCASTSD 8(DX), Y7
	VBROADCASTSD 16(DX), Y8
	VBROADCASTSD 24(DX), Y9
	VBROADCASTSD 32(DX), Y10
	VBROADCASTSD 40(DX), Y11
	VBROADCASTSD 48(DX), Y12
	VBROADCASTSD 56(DX), Y13
	VBROADCASTSD 64(DX), Y14
	CMPQ 72(DX), $0
	JNE decavx
l2avx:
	LOAD_L2(SI, DI, Y0, Y1, Y2, Y13)
	UPDATE(SI, R8, R9, Y0, Y1, Y3, Y4, Y5, Y2, Y4, Y5, X0, X1, Y6, Y7, Y8, Y9, Y10, Y11, Y12)
	ADVANCE(16)
	DECQ CX
	JNZ l2avx
	VZEROUPPER
	RET
decavx:
	LOAD_DEC(SI, DI, Y0, Y1, Y14)
	UPDATE(SI, R8, R9, Y0, Y1, Y3, Y4, Y5, Y2, Y4, Y5, X0, X1, Y6, Y7, Y8, Y9, Y10, Y11, Y12)
	ADVANCE(16)
	DECQ CX
	JNZ decavx
	VZEROUPPER
	RET

// func sgdF32AVX(p, grad, m *float32, n int, k *sgdConsts)
TEXT ·sgdF32AVX(SB), NOSPLIT, $0-40
	SGDARGS(Y8, Y9, Y10)
	CMPQ AX, $1
	JEQ momavx
	JGT nestavx
plainavx:
	SGD_G(Y0, Y1, Y2, Y8)
	SGD_P(Y0, Y1, Y2, X0, Y10)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ plainavx
	VZEROUPPER
	RET
momavx:
	SGD_G(Y0, Y1, Y2, Y8)
	SGD_MOM(Y1, Y2, X3, Y9)
	SGD_P(Y0, Y1, Y2, X0, Y10)
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, R8
	DECQ CX
	JNZ momavx
	VZEROUPPER
	RET
nestavx:
	SGD_G(Y0, Y1, Y2, Y8)
	VMOVAPD Y1, Y4
	SGD_MOM(Y4, Y2, X3, Y9)
	VMULPD Y4, Y9, Y2
	VADDPD Y2, Y1, Y1
	SGD_P(Y0, Y1, Y2, X0, Y10)
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, R8
	DECQ CX
	JNZ nestavx
	VZEROUPPER
	RET
