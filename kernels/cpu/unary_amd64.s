//go:build !purego

#include "textflag.h"

// The float32 transcendental kernels of unary_f32.go on 16 lanes. Each
// runs expF32 (or logF32, tanhF32, sigmoidF32) one instruction per float32
// operation of the Go definition, in the same order and without FMA, so
// results match the Go loop bit for bit. The last len%16 elements go
// through the same code under a load/store mask K1, which also keeps the
// masked-off lanes from touching memory. Constants are broadcast once into
// registers. Operand order is Go's: VSUBPS b, a, d is d = a - b.

// BCAST broadcasts the 32-bit pattern bits into all lanes of z.
#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

// EXPCONSTS loads the constants of EXP.
#define EXPCONSTS \
	BCAST(0xc2d00000, Z16); \
	BCAST(0x42b20000, Z17); \
	BCAST(0x3fb8aa3b, Z18); \
	BCAST(0x3f318000, Z19); \
	BCAST(0xb95e8083, Z20); \
	BCAST(0x39506967, Z21); \
	BCAST(0x3ab743ce, Z22); \
	BCAST(0x3c088908, Z23); \
	BCAST(0x3d2aa9c1, Z24); \
	BCAST(0x3e2aaaaa, Z25); \
	BCAST(0x3f000000, Z26); \
	BCAST(0x3f800000, Z27)

// EXP is x = expF32(x), with n, t, p as scratch. Z16..Z27 hold, from
// EXPCONSTS: expLo, expHi, expLog2e, expLn2Hi, expLn2Lo, expP0..expP5, 1.
// VMAXPS and VMINPS return their first (Go-order) operand when either is
// NaN, so a NaN x stays NaN throughout; VSCALEFPS rounds p·2^n once, to a
// denormal or Inf where needed (the Go runtime leaves MXCSR's FTZ off).
#define EXP(x, n, t, p) \
	VMAXPS x, Z16, x; \
	VMINPS x, Z17, x; \
	VMULPS Z18, x, n; \
	VRNDSCALEPS $0, n, n; \
	VMULPS Z19, n, t; \
	VSUBPS t, x, x; \
	VMULPS Z20, n, t; \
	VSUBPS t, x, x; \
	VMULPS x, x, t; \
	VMULPS Z21, x, p; \
	VADDPS Z22, p, p; \
	VMULPS x, p, p; \
	VADDPS Z23, p, p; \
	VMULPS x, p, p; \
	VADDPS Z24, p, p; \
	VMULPS x, p, p; \
	VADDPS Z25, p, p; \
	VMULPS x, p, p; \
	VADDPS Z26, p, p; \
	VMULPS t, p, p; \
	VADDPS x, p, p; \
	VADDPS Z27, p, p; \
	VSCALEFPS n, p, x

// LOOP runs BODY (which maps Z0 in place) over x into dst: whole vectors,
// then the tail under mask K1. It ends the function.
#define LOOP(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
full: \
	CMPQ CX, $16; \
	JLT tail; \
	VMOVUPS (SI), Z0; \
	BODY; \
	VMOVUPS Z0, (DI); \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	SUBQ $16, CX; \
	JMP full; \
tail: \
	TESTQ CX, CX; \
	JZ done; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1; \
	VMOVUPS.Z (SI), K1, Z0; \
	BODY; \
	VMOVUPS Z0, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

#define EXPBODY EXP(Z0, Z1, Z2, Z3)

// func expAVX512(dst, x []float32)
TEXT ·expAVX512(SB), NOSPLIT, $0-48
	EXPCONSTS
	LOOP(EXPBODY)

// SIGMOIDBODY is Z0 = sigmoidF32(Z0): e = EXP(-|x|), then 1/(1+e), or
// e/(1+e) where x < 0. Z28 holds the sign bit, Z29 zero.
#define SIGMOIDBODY \
	VPORD Z28, Z0, Z1; \
	EXP(Z1, Z2, Z3, Z4); \
	VADDPS Z27, Z1, Z2; \
	VCMPPS $1, Z29, Z0, K2; \
	VMOVAPS Z27, Z3; \
	VMOVAPS Z1, K2, Z3; \
	VDIVPS Z2, Z3, Z0

// func sigmoidAVX512(dst, x []float32)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-48
	EXPCONSTS
	BCAST(0x80000000, Z28)
	VPXORD Z29, Z29, Z29
	LOOP(SIGMOIDBODY)

// TANHBODY is Z0 = tanhF32(Z0): with a = |x|, (1-e)/(1+e) for e =
// EXP(-2a), replaced by a + a·(z·P(z)) with z = a² where a < 0.625, and
// the sign of x put back. Z28 holds the sign bit, Z29 0.625, Z30 -2,
// Z8..Z12 tanhP0..tanhP4.
#define TANHBODY \
	VPANDND Z0, Z28, Z1; \
	VMULPS Z30, Z1, Z2; \
	EXP(Z2, Z3, Z4, Z5); \
	VSUBPS Z2, Z27, Z3; \
	VADDPS Z27, Z2, Z4; \
	VDIVPS Z4, Z3, Z5; \
	VMULPS Z1, Z1, Z2; \
	VMULPS Z8, Z2, Z3; \
	VADDPS Z9, Z3, Z3; \
	VMULPS Z2, Z3, Z3; \
	VADDPS Z10, Z3, Z3; \
	VMULPS Z2, Z3, Z3; \
	VADDPS Z11, Z3, Z3; \
	VMULPS Z2, Z3, Z3; \
	VADDPS Z12, Z3, Z3; \
	VMULPS Z2, Z3, Z3; \
	VMULPS Z1, Z3, Z3; \
	VADDPS Z1, Z3, Z3; \
	VCMPPS $1, Z29, Z1, K2; \
	VMOVAPS Z3, K2, Z5; \
	VPANDD Z28, Z0, Z0; \
	VPORD Z5, Z0, Z0

// func tanhAVX512(dst, x []float32)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-48
	EXPCONSTS
	BCAST(0x80000000, Z28)
	BCAST(0x3f200000, Z29)
	BCAST(0xc0000000, Z30)
	BCAST(0xbbbaf0ea, Z8)
	BCAST(0x3ca9134e, Z9)
	BCAST(0xbd5c1e2d, Z10)
	BCAST(0x3e088393, Z11)
	BCAST(0xbeaaaa99, Z12)
	LOOP(TANHBODY)

// LOGBODY is Z0 = logF32(Z0). Z16 holds 2^-126, Z17 2^23, Z18 the bits
// logSqrtHalf, Z19 0x7fffff, Z20 int32 -23, Z21..Z29 logP0..logP8, Z30 1,
// Z31 0.5, Z8 expLn2Hi, Z9 expLn2Lo, Z10 +Inf, Z11 -Inf, Z12 NaN, Z13 0.
// Denormals (and the x <= 0 that are replaced at the end) are scaled by
// 2^23 under K2; the special cases are blended in last, NaN last of all.
#define LOGBODY \
	VCMPPS $1, Z16, Z0, K2; \
	VMULPS Z17, Z0, K2, Z0; \
	VPXORD Z1, Z1, Z1; \
	VMOVDQA32 Z20, K2, Z1; \
	VPSUBD Z18, Z0, Z2; \
	VPSRAD $23, Z2, Z3; \
	VPADDD Z3, Z1, Z1; \
	VPANDD Z19, Z2, Z2; \
	VPADDD Z18, Z2, Z2; \
	VSUBPS Z30, Z2, Z2; \
	VCVTDQ2PS Z1, Z1; \
	VMULPS Z2, Z2, Z3; \
	VMULPS Z21, Z2, Z4; \
	VADDPS Z22, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z23, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z24, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z25, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z26, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z27, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z28, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VADDPS Z29, Z4, Z4; \
	VMULPS Z3, Z4, Z4; \
	VMULPS Z2, Z4, Z4; \
	VMULPS Z9, Z1, Z5; \
	VADDPS Z5, Z4, Z4; \
	VMULPS Z31, Z3, Z5; \
	VSUBPS Z5, Z4, Z4; \
	VADDPS Z4, Z2, Z4; \
	VMULPS Z8, Z1, Z5; \
	VADDPS Z5, Z4, Z4; \
	VCMPPS $0, Z10, Z0, K2; \
	VMOVAPS Z10, K2, Z4; \
	VCMPPS $0, Z13, Z0, K2; \
	VMOVAPS Z11, K2, Z4; \
	VCMPPS $1, Z13, Z0, K2; \
	VMOVAPS Z12, K2, Z4; \
	VCMPPS $3, Z0, Z0, K2; \
	VMOVAPS Z0, K2, Z4; \
	VMOVAPS Z4, Z0

// func logAVX512(dst, x []float32)
TEXT ·logAVX512(SB), NOSPLIT, $0-48
	BCAST(0x00800000, Z16)
	BCAST(0x4b000000, Z17)
	BCAST(0x3f3504f3, Z18)
	BCAST(0x007fffff, Z19)
	BCAST(0xffffffe9, Z20)
	BCAST(0x3d9021bb, Z21)
	BCAST(0xbdebd1b8, Z22)
	BCAST(0x3def251a, Z23)
	BCAST(0xbdfe5d4f, Z24)
	BCAST(0x3e11e9bf, Z25)
	BCAST(0xbe2aae50, Z26)
	BCAST(0x3e4cceac, Z27)
	BCAST(0xbe7ffffc, Z28)
	BCAST(0x3eaaaaaa, Z29)
	BCAST(0x3f800000, Z30)
	BCAST(0x3f000000, Z31)
	BCAST(0x3f318000, Z8)
	BCAST(0xb95e8083, Z9)
	BCAST(0x7f800000, Z10)
	BCAST(0xff800000, Z11)
	BCAST(0x7fc00000, Z12)
	VPXORD Z13, Z13, Z13
	LOOP(LOGBODY)

// expSum of rows_f32.go on 16 lanes (its other row kernels are in
// rows_amd64.s): whole blocks of 16 elements only, and the float64 sum in
// 16 lanes, lane j taking the elements i with i%16 == j, in order.

// func expSumAVX512(dst, x []float32, shift float32, lanes *[16]float64)
TEXT ·expSumAVX512(SB), NOSPLIT, $0-64
	EXPCONSTS
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS shift+48(FP), Z31
	MOVQ lanes+56(FP), AX
	VMOVUPD (AX), Z8
	VMOVUPD 64(AX), Z9
esloop:
	CMPQ CX, $16
	JLT esdone
	VMOVUPS (SI), Z0
	VSUBPS Z31, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	VCVTPS2PD Y0, Z4
	VADDPD Z4, Z8, Z8
	VEXTRACTF64X4 $1, Z0, Y5
	VCVTPS2PD Y5, Z5
	VADDPD Z5, Z9, Z9
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP esloop
esdone:
	VMOVUPD Z8, (AX)
	VMOVUPD Z9, 64(AX)
	VZEROUPPER
	RET

// GELUBODY is Z0 = geluF32(Z0), the float64 steps of geluArg on each half
// of 16 lanes, EXP, then geluFinish, in the Go code's order. The scaled
// lanes (z >= +0, z = -2u) are those where x's sign bit is set: z has the
// opposite sign of x for every x but NaN, whose result is NaN either way.
// Z28 holds 0.044715, Z29 -2·√(2/π), Z30 32·ln2 (float64); Z31 the
// float64 sign bit; Z13 2^-32, Z14 +Inf, Z15 the float32 abs mask, Z12
// the float32 sign bit.
#define GELUBODY \
	VPTESTMD Z12, Z0, K2; \
	KSHIFTRW $8, K2, K3; \
	VCVTPS2PD Y0, Z1; \
	VMULPD Z28, Z1, Z4; \
	VMULPD Z1, Z4, Z4; \
	VMULPD Z1, Z4, Z4; \
	VADDPD Z4, Z1, Z4; \
	VMULPD Z29, Z4, Z4; \
	VPORQ Z31, Z4, Z4; \
	VMOVAPD.Z Z30, K2, Z5; \
	VADDPD Z5, Z4, Z4; \
	VCVTPD2PS Z4, Y6; \
	VCVTPS2PD Y6, Z5; \
	VSUBPD Z5, Z4, Z5; \
	VCVTPD2PS Z5, Y7; \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VCVTPS2PD Y1, Z1; \
	VMULPD Z28, Z1, Z4; \
	VMULPD Z1, Z4, Z4; \
	VMULPD Z1, Z4, Z4; \
	VADDPD Z4, Z1, Z4; \
	VMULPD Z29, Z4, Z4; \
	VPORQ Z31, Z4, Z4; \
	VMOVAPD.Z Z30, K3, Z5; \
	VADDPD Z5, Z4, Z4; \
	VCVTPD2PS Z4, Y8; \
	VCVTPS2PD Y8, Z5; \
	VSUBPD Z5, Z4, Z5; \
	VCVTPD2PS Z5, Y9; \
	VINSERTF64X4 $1, Y8, Z6, Z6; \
	VINSERTF64X4 $1, Y9, Z7, Z7; \
	VPANDD Z15, Z6, Z8; \
	VCMPPS $0, Z14, Z8, K4; \
	VPXORD Z5, Z5, Z5; \
	VMOVAPS Z5, K4, Z7; \
	EXP(Z6, Z1, Z2, Z3); \
	VMULPS Z7, Z6, Z8; \
	VADDPS Z8, Z6, Z6; \
	VADDPS Z27, Z6, Z9; \
	VDIVPS Z9, Z0, Z10; \
	VMULPS Z6, Z0, Z11; \
	VMULPS Z13, Z6, Z9; \
	VADDPS Z27, Z9, Z9; \
	VDIVPS Z9, Z11, Z11; \
	VMULPS Z13, Z11, Z11; \
	VMOVAPS Z11, K2, Z10; \
	VMOVAPS Z10, Z0

// func geluAVX512(dst, x []float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	EXPCONSTS
	MOVQ $0x3fa6e4e26d4801f7, AX
	VPBROADCASTQ AX, Z28
	MOVQ $0xbff9884533d43651, AX
	VPBROADCASTQ AX, Z29
	MOVQ $0x40362e42fefa39ef, AX
	VPBROADCASTQ AX, Z30
	MOVQ $0x8000000000000000, AX
	VPBROADCASTQ AX, Z31
	BCAST(0x2f800000, Z13)
	BCAST(0x7f800000, Z14)
	BCAST(0x7fffffff, Z15)
	BCAST(0x80000000, Z12)
	LOOP(GELUBODY)

// LOG1PBODY is Z0 = log1pF32(Z0): u = 1+x, LOGBODY, then log(u)·(x/(u-1)),
// x where u == 1 or x == +Inf (log1pFinish's order). Z6 keeps x, Z7 u.
#define LOG1PBODY \
	VMOVAPS Z0, Z6; \
	VADDPS Z30, Z0, Z0; \
	VMOVAPS Z0, Z7; \
	LOGBODY; \
	VSUBPS Z30, Z7, Z14; \
	VDIVPS Z14, Z6, Z14; \
	VMULPS Z14, Z0, Z15; \
	VCMPPS $0, Z30, Z7, K3; \
	VMOVAPS Z6, K3, Z15; \
	VCMPPS $0, Z10, Z6, K3; \
	VMOVAPS Z6, K3, Z15; \
	VMOVAPS Z15, Z0

// func log1pAVX512(dst, x []float32)
TEXT ·log1pAVX512(SB), NOSPLIT, $0-48
	BCAST(0x00800000, Z16)
	BCAST(0x4b000000, Z17)
	BCAST(0x3f3504f3, Z18)
	BCAST(0x007fffff, Z19)
	BCAST(0xffffffe9, Z20)
	BCAST(0x3d9021bb, Z21)
	BCAST(0xbdebd1b8, Z22)
	BCAST(0x3def251a, Z23)
	BCAST(0xbdfe5d4f, Z24)
	BCAST(0x3e11e9bf, Z25)
	BCAST(0xbe2aae50, Z26)
	BCAST(0x3e4cceac, Z27)
	BCAST(0xbe7ffffc, Z28)
	BCAST(0x3eaaaaaa, Z29)
	BCAST(0x3f800000, Z30)
	BCAST(0x3f000000, Z31)
	BCAST(0x3f318000, Z8)
	BCAST(0xb95e8083, Z9)
	BCAST(0x7f800000, Z10)
	BCAST(0xff800000, Z11)
	BCAST(0x7fc00000, Z12)
	VPXORD Z13, Z13, Z13
	LOOP(LOG1PBODY)

// LOGCONSTS loads the constants of LOGBODY (see logAVX512).
#define LOGCONSTS \
	BCAST(0x00800000, Z16); \
	BCAST(0x4b000000, Z17); \
	BCAST(0x3f3504f3, Z18); \
	BCAST(0x007fffff, Z19); \
	BCAST(0xffffffe9, Z20); \
	BCAST(0x3d9021bb, Z21); \
	BCAST(0xbdebd1b8, Z22); \
	BCAST(0x3def251a, Z23); \
	BCAST(0xbdfe5d4f, Z24); \
	BCAST(0x3e11e9bf, Z25); \
	BCAST(0xbe2aae50, Z26); \
	BCAST(0x3e4cceac, Z27); \
	BCAST(0xbe7ffffc, Z28); \
	BCAST(0x3eaaaaaa, Z29); \
	BCAST(0x3f800000, Z30); \
	BCAST(0x3f000000, Z31); \
	BCAST(0x3f318000, Z8); \
	BCAST(0xb95e8083, Z9); \
	BCAST(0x7f800000, Z10); \
	BCAST(0xff800000, Z11); \
	BCAST(0x7fc00000, Z12); \
	VPXORD Z13, Z13, Z13

// EXPM1BODY is Z0 = expm1F32(Z0): u = EXP(x), l = LOGBODY(u), then
// expm1Finish: (u-1)·(x/l), x where u == 1, -1 where u < 2^-25, u where
// u is +Inf. EXP's and LOGBODY's constants do not fit the registers
// together, so each vector reloads them. Z6 keeps x, Z7 u; Z14 holds
// 2^-25, Z15 -1.
#define EXPM1BODY \
	VMOVAPS Z0, Z6; \
	EXPCONSTS; \
	EXP(Z0, Z1, Z2, Z3); \
	VMOVAPS Z0, Z7; \
	LOGCONSTS; \
	LOGBODY; \
	VSUBPS Z30, Z7, Z1; \
	VDIVPS Z0, Z6, Z2; \
	VMULPS Z2, Z1, Z1; \
	VCMPPS $0, Z30, Z7, K3; \
	VMOVAPS Z6, K3, Z1; \
	VCMPPS $1, Z14, Z7, K3; \
	VMOVAPS Z15, K3, Z1; \
	VCMPPS $0, Z10, Z7, K3; \
	VMOVAPS Z7, K3, Z1; \
	VMOVAPS Z1, Z0

// func expm1AVX512(dst, x []float32)
TEXT ·expm1AVX512(SB), NOSPLIT, $0-48
	BCAST(0x33000000, Z14)
	BCAST(0xbf800000, Z15)
	LOOP(EXPM1BODY)
