//go:build !purego

#include "textflag.h"

// The float32 transcendental kernels of unary_f32.go on 8 lanes with AVX2
// (no FMA: see unary_amd64.s, whose algorithm and instruction order this
// follows). Where AVX-512 has mask registers this blends with vector masks
// (VBLENDVPS), the tail goes through VMASKMOVPS loads and stores, and
// VSCALEFPS becomes two exact multiplications by powers of two (see EXP).
// Only 16 ymm registers: the constants are 32-byte vectors in memory,
// except the clamp bounds of EXP in Y14 and Y15 (VMAXPS returns its memory
// operand, not x, when x is NaN). Operand order is Go's: VSUBPS b, a, d is
// d = a - b; VBLENDVPS m, b, a, d is d = m ? b : a lane by lane, m's sign
// bit choosing.

// CONST8 defines sym as bits (a 32-bit pattern) in all 8 lanes.
#define CONST8(sym, bits) \
	DATA sym+0(SB)/4, bits; \
	DATA sym+4(SB)/4, bits; \
	DATA sym+8(SB)/4, bits; \
	DATA sym+12(SB)/4, bits; \
	DATA sym+16(SB)/4, bits; \
	DATA sym+20(SB)/4, bits; \
	DATA sym+24(SB)/4, bits; \
	DATA sym+28(SB)/4, bits; \
	GLOBL sym(SB), RODATA|NOPTR, $32

CONST8(cExpLo<>, $0xc2d00000)
CONST8(cExpHi<>, $0x42b20000)
CONST8(cLog2e<>, $0x3fb8aa3b)
CONST8(cLn2Hi<>, $0x3f318000)
CONST8(cLn2Lo<>, $0xb95e8083)
CONST8(cExpP0<>, $0x39506967)
CONST8(cExpP1<>, $0x3ab743ce)
CONST8(cExpP2<>, $0x3c088908)
CONST8(cExpP3<>, $0x3d2aa9c1)
CONST8(cExpP4<>, $0x3e2aaaaa)
CONST8(cHalf<>, $0x3f000000)
CONST8(cOne<>, $0x3f800000)
CONST8(cBias<>, $0x0000007f)
CONST8(cSign<>, $0x80000000)
CONST8(cAbs<>, $0x7fffffff)
CONST8(cTanhSmall<>, $0x3f200000)
CONST8(cMinus2<>, $0xc0000000)
CONST8(cTanhP0<>, $0xbbbaf0ea)
CONST8(cTanhP1<>, $0x3ca9134e)
CONST8(cTanhP2<>, $0xbd5c1e2d)
CONST8(cTanhP3<>, $0x3e088393)
CONST8(cTanhP4<>, $0xbeaaaa99)
CONST8(cMinNormal<>, $0x00800000)
CONST8(cTwo23<>, $0x4b000000)
CONST8(cSqrtHalf<>, $0x3f3504f3)
CONST8(cMant<>, $0x007fffff)
CONST8(cMinus23<>, $0xffffffe9)
CONST8(cLogP0<>, $0x3d9021bb)
CONST8(cLogP1<>, $0xbdebd1b8)
CONST8(cLogP2<>, $0x3def251a)
CONST8(cLogP3<>, $0xbdfe5d4f)
CONST8(cLogP4<>, $0x3e11e9bf)
CONST8(cLogP5<>, $0xbe2aae50)
CONST8(cLogP6<>, $0x3e4cceac)
CONST8(cLogP7<>, $0xbe7ffffc)
CONST8(cLogP8<>, $0x3eaaaaaa)
CONST8(cInf<>, $0x7f800000)
CONST8(cNegInf<>, $0xff800000)
CONST8(cNan<>, $0x7fc00000)

// cIota holds 0..7, against which the tail's length makes its mask.
DATA cIota<>+0(SB)/4, $0
DATA cIota<>+4(SB)/4, $1
DATA cIota<>+8(SB)/4, $2
DATA cIota<>+12(SB)/4, $3
DATA cIota<>+16(SB)/4, $4
DATA cIota<>+20(SB)/4, $5
DATA cIota<>+24(SB)/4, $6
DATA cIota<>+28(SB)/4, $7
GLOBL cIota<>(SB), RODATA|NOPTR, $32

// EXP2 is x = expF32(x), with n, t, p as scratch; Y14 and Y15 hold expLo
// and expHi. p·2^n, which VSCALEFPS rounds once, is here p·2^h·2^(n-h)
// with h = n>>1: n lies in [-150, 128] and p in [0.7, 1.42], so both
// powers are normal floats and p·2^h is a normal float, exact; the second
// product rounds once, to a denormal or Inf where needed, as Ldexp's
// conversion to float32 does in expF32.
#define EXP2(x, n, t, p) \
	VMAXPS x, Y14, x; \
	VMINPS x, Y15, x; \
	VMULPS cLog2e<>(SB), x, n; \
	VROUNDPS $0, n, n; \
	VMULPS cLn2Hi<>(SB), n, t; \
	VSUBPS t, x, x; \
	VMULPS cLn2Lo<>(SB), n, t; \
	VSUBPS t, x, x; \
	VMULPS x, x, t; \
	VMULPS cExpP0<>(SB), x, p; \
	VADDPS cExpP1<>(SB), p, p; \
	VMULPS x, p, p; \
	VADDPS cExpP2<>(SB), p, p; \
	VMULPS x, p, p; \
	VADDPS cExpP3<>(SB), p, p; \
	VMULPS x, p, p; \
	VADDPS cExpP4<>(SB), p, p; \
	VMULPS x, p, p; \
	VADDPS cHalf<>(SB), p, p; \
	VMULPS t, p, p; \
	VADDPS x, p, p; \
	VADDPS cOne<>(SB), p, p; \
	VCVTPS2DQ n, n; \
	VPSRAD $1, n, t; \
	VPSUBD t, n, n; \
	VPADDD cBias<>(SB), t, t; \
	VPSLLD $23, t, t; \
	VMULPS t, p, p; \
	VPADDD cBias<>(SB), n, n; \
	VPSLLD $23, n, n; \
	VMULPS n, p, x

// LOOP2 runs BODY (which maps Y0 in place, leaving Y13 to Y15 alone) over
// x into dst: whole vectors, then the tail under the mask Y13 (lanes below
// len%8), which also keeps the masked-off lanes from touching memory. It
// loads Y14 and Y15 for EXP2 and ends the function.
#define LOOP2(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
	VMOVUPS cExpLo<>(SB), Y14; \
	VMOVUPS cExpHi<>(SB), Y15; \
full: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	BODY; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP full; \
tail: \
	TESTQ CX, CX; \
	JZ done; \
	MOVQ CX, X13; \
	VPBROADCASTD X13, Y13; \
	VPCMPGTD cIota<>(SB), Y13, Y13; \
	VMASKMOVPS (SI), Y13, Y0; \
	BODY; \
	VMASKMOVPS Y0, Y13, (DI); \
done: \
	VZEROUPPER; \
	RET

#define EXPBODY2 EXP2(Y0, Y1, Y2, Y3)

// func expAVX2(dst, x []float32)
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	LOOP2(EXPBODY2)

// SIGMOIDBODY2 is Y0 = sigmoidF32(Y0): e = EXP2(-|x|), then 1/(1+e), or
// e/(1+e) where x's sign bit is set. The sign bit stands for x < 0: for
// -0, e = 1 and both are 1/2; a NaN x gives NaN either way.
#define SIGMOIDBODY2 \
	VPOR cSign<>(SB), Y0, Y1; \
	EXP2(Y1, Y2, Y3, Y4); \
	VADDPS cOne<>(SB), Y1, Y2; \
	VMOVUPS cOne<>(SB), Y3; \
	VBLENDVPS Y0, Y1, Y3, Y3; \
	VDIVPS Y2, Y3, Y0

// func sigmoidAVX2(dst, x []float32)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	LOOP2(SIGMOIDBODY2)

// TANHBODY2 is Y0 = tanhF32(Y0): with a = |x|, (1-e)/(1+e) for e =
// EXP2(-2a), replaced by a + a·(z·P(z)) with z = a² where a < 0.625, and
// the sign of x put back.
#define TANHBODY2 \
	VPAND cAbs<>(SB), Y0, Y1; \
	VMULPS cMinus2<>(SB), Y1, Y2; \
	EXP2(Y2, Y3, Y4, Y5); \
	VMOVUPS cOne<>(SB), Y6; \
	VSUBPS Y2, Y6, Y3; \
	VADDPS Y6, Y2, Y4; \
	VDIVPS Y4, Y3, Y5; \
	VMULPS Y1, Y1, Y2; \
	VMULPS cTanhP0<>(SB), Y2, Y3; \
	VADDPS cTanhP1<>(SB), Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS cTanhP2<>(SB), Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS cTanhP3<>(SB), Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VADDPS cTanhP4<>(SB), Y3, Y3; \
	VMULPS Y2, Y3, Y3; \
	VMULPS Y1, Y3, Y3; \
	VADDPS Y1, Y3, Y3; \
	VCMPPS $1, cTanhSmall<>(SB), Y1, Y6; \
	VBLENDVPS Y6, Y3, Y5, Y5; \
	VPAND cSign<>(SB), Y0, Y0; \
	VPOR Y5, Y0, Y0

// func tanhAVX2(dst, x []float32)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-48
	LOOP2(TANHBODY2)

// LOGBODY2 is Y0 = logF32(Y0). Denormals (and the x <= 0 that are
// replaced at the end) are scaled by 2^23 and their exponent k starts at
// -23; the special cases are blended in last, NaN last of all.
#define LOGBODY2 \
	VCMPPS $1, cMinNormal<>(SB), Y0, Y1; \
	VMULPS cTwo23<>(SB), Y0, Y2; \
	VBLENDVPS Y1, Y2, Y0, Y0; \
	VPAND cMinus23<>(SB), Y1, Y1; \
	VPSUBD cSqrtHalf<>(SB), Y0, Y2; \
	VPSRAD $23, Y2, Y3; \
	VPADDD Y3, Y1, Y1; \
	VPAND cMant<>(SB), Y2, Y2; \
	VPADDD cSqrtHalf<>(SB), Y2, Y2; \
	VSUBPS cOne<>(SB), Y2, Y2; \
	VCVTDQ2PS Y1, Y1; \
	VMULPS Y2, Y2, Y3; \
	VMULPS cLogP0<>(SB), Y2, Y4; \
	VADDPS cLogP1<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP2<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP3<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP4<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP5<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP6<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP7<>(SB), Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VADDPS cLogP8<>(SB), Y4, Y4; \
	VMULPS Y3, Y4, Y4; \
	VMULPS Y2, Y4, Y4; \
	VMULPS cLn2Lo<>(SB), Y1, Y5; \
	VADDPS Y5, Y4, Y4; \
	VMULPS cHalf<>(SB), Y3, Y5; \
	VSUBPS Y5, Y4, Y4; \
	VADDPS Y4, Y2, Y4; \
	VMULPS cLn2Hi<>(SB), Y1, Y5; \
	VADDPS Y5, Y4, Y4; \
	VCMPPS $0, cInf<>(SB), Y0, Y5; \
	VBLENDVPS Y5, cInf<>(SB), Y4, Y4; \
	VXORPS Y6, Y6, Y6; \
	VCMPPS $0, Y6, Y0, Y5; \
	VBLENDVPS Y5, cNegInf<>(SB), Y4, Y4; \
	VCMPPS $1, Y6, Y0, Y5; \
	VBLENDVPS Y5, cNan<>(SB), Y4, Y4; \
	VCMPPS $3, Y0, Y0, Y5; \
	VBLENDVPS Y5, Y0, Y4, Y0

// func logAVX2(dst, x []float32)
TEXT ·logAVX2(SB), NOSPLIT, $0-48
	LOOP2(LOGBODY2)

// expSum of rows_f32.go on 8 lanes, 16 elements a step so that the
// float64 sum keeps the same 16 lanes as the AVX-512 one (lanes 0-3 in
// Y8, 4-7 in Y9, 8-11 in Y10, 12-15 in Y11); its other row kernels are in
// rows_amd64.s. len(x) is a multiple of 16.

// func expSumAVX2(dst, x []float32, shift float32, lanes *[16]float64)
TEXT ·expSumAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS shift+48(FP), Y12
	VMOVUPS cExpLo<>(SB), Y14
	VMOVUPS cExpHi<>(SB), Y15
	MOVQ lanes+56(FP), AX
	VMOVUPD (AX), Y8
	VMOVUPD 32(AX), Y9
	VMOVUPD 64(AX), Y10
	VMOVUPD 96(AX), Y11
esloop:
	CMPQ CX, $16
	JLT esdone
	VMOVUPS (SI), Y0
	VSUBPS Y12, Y0, Y0
	EXP2(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	VCVTPS2PD X0, Y4
	VADDPD Y4, Y8, Y8
	VEXTRACTF128 $1, Y0, X5
	VCVTPS2PD X5, Y5
	VADDPD Y5, Y9, Y9
	VMOVUPS 32(SI), Y0
	VSUBPS Y12, Y0, Y0
	EXP2(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, 32(DI)
	VCVTPS2PD X0, Y4
	VADDPD Y4, Y10, Y10
	VEXTRACTF128 $1, Y0, X5
	VCVTPS2PD X5, Y5
	VADDPD Y5, Y11, Y11
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP esloop
esdone:
	VMOVUPD Y8, (AX)
	VMOVUPD Y9, 32(AX)
	VMOVUPD Y10, 64(AX)
	VMOVUPD Y11, 96(AX)
	VZEROUPPER
	RET

// CONST4D defines sym as the 64-bit pattern bits in all 4 lanes.
#define CONST4D(sym, bits) \
	DATA sym+0(SB)/8, bits; \
	DATA sym+8(SB)/8, bits; \
	DATA sym+16(SB)/8, bits; \
	DATA sym+24(SB)/8, bits; \
	GLOBL sym(SB), RODATA|NOPTR, $32

CONST4D(cGeluA<>, $0x3fa6e4e26d4801f7)
CONST4D(cGeluK<>, $0xbff9884533d43651)
CONST4D(cGeluScale<>, $0x40362e42fefa39ef)
CONST4D(cSign64<>, $0x8000000000000000)
CONST8(cTwoM32<>, $0x2f800000)

// GELUHALF2 is geluArg's float64 steps on 4 lanes: from the 4 floats in
// xs and the 32-bit scaled masks in ms, wh into wh and wl into wl (X
// registers). Y1, Y4, Y5 are scratch.
#define GELUHALF2(xs, ms, wh, wl) \
	VCVTPS2PD xs, Y1; \
	VMULPD cGeluA<>(SB), Y1, Y4; \
	VMULPD Y1, Y4, Y4; \
	VMULPD Y1, Y4, Y4; \
	VADDPD Y4, Y1, Y4; \
	VMULPD cGeluK<>(SB), Y4, Y4; \
	VORPD cSign64<>(SB), Y4, Y4; \
	VPMOVSXDQ ms, Y5; \
	VANDPD cGeluScale<>(SB), Y5, Y5; \
	VADDPD Y5, Y4, Y4; \
	VCVTPD2PSY Y4, wh; \
	VCVTPS2PD wh, Y5; \
	VSUBPD Y5, Y4, Y5; \
	VCVTPD2PSY Y5, wl

// GELUBODY2 is Y0 = geluF32(Y0) on 8 lanes, as GELUBODY: the scaled
// lanes are those where x's sign bit is set (Y10, from an arithmetic
// shift), the halves' float64 steps, EXP2, then geluFinish's two forms
// blended. Leaves Y13 to Y15 alone.
#define GELUBODY2 \
	VPSRAD $31, Y0, Y10; \
	GELUHALF2(X0, X10, X6, X7); \
	VEXTRACTF128 $1, Y0, X2; \
	VEXTRACTF128 $1, Y10, X3; \
	GELUHALF2(X2, X3, X8, X9); \
	VINSERTF128 $1, X8, Y6, Y6; \
	VINSERTF128 $1, X9, Y7, Y7; \
	VANDPS cAbs<>(SB), Y6, Y8; \
	VCMPPS $0, cInf<>(SB), Y8, Y8; \
	VANDNPS Y7, Y8, Y7; \
	EXP2(Y6, Y1, Y2, Y3); \
	VMULPS Y7, Y6, Y8; \
	VADDPS Y8, Y6, Y6; \
	VADDPS cOne<>(SB), Y6, Y9; \
	VDIVPS Y9, Y0, Y11; \
	VMULPS Y6, Y0, Y12; \
	VMULPS cTwoM32<>(SB), Y6, Y9; \
	VADDPS cOne<>(SB), Y9, Y9; \
	VDIVPS Y9, Y12, Y12; \
	VMULPS cTwoM32<>(SB), Y12, Y12; \
	VBLENDVPS Y10, Y12, Y11, Y0

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	LOOP2(GELUBODY2)

// LOG1PBODY2 is Y0 = log1pF32(Y0), as LOG1PBODY: Y7 keeps x, Y8 u.
#define LOG1PBODY2 \
	VMOVAPS Y0, Y7; \
	VADDPS cOne<>(SB), Y0, Y0; \
	VMOVAPS Y0, Y8; \
	LOGBODY2; \
	VSUBPS cOne<>(SB), Y8, Y9; \
	VDIVPS Y9, Y7, Y9; \
	VMULPS Y9, Y0, Y10; \
	VCMPPS $0, cOne<>(SB), Y8, Y11; \
	VBLENDVPS Y11, Y7, Y10, Y10; \
	VCMPPS $0, cInf<>(SB), Y7, Y11; \
	VBLENDVPS Y11, Y7, Y10, Y0

// func log1pAVX2(dst, x []float32)
TEXT ·log1pAVX2(SB), NOSPLIT, $0-48
	LOOP2(LOG1PBODY2)

CONST8(cTwoM25<>, $0x33000000)
CONST8(cMinusOne<>, $0xbf800000)

// EXPM1BODY2 is Y0 = expm1F32(Y0), as EXPM1BODY: Y7 keeps x, Y8 u.
#define EXPM1BODY2 \
	VMOVAPS Y0, Y7; \
	EXP2(Y0, Y1, Y2, Y3); \
	VMOVAPS Y0, Y8; \
	LOGBODY2; \
	VSUBPS cOne<>(SB), Y8, Y9; \
	VDIVPS Y0, Y7, Y10; \
	VMULPS Y10, Y9, Y9; \
	VCMPPS $0, cOne<>(SB), Y8, Y11; \
	VBLENDVPS Y11, Y7, Y9, Y9; \
	VCMPPS $1, cTwoM25<>(SB), Y8, Y11; \
	VBLENDVPS Y11, cMinusOne<>(SB), Y9, Y9; \
	VCMPPS $0, cInf<>(SB), Y8, Y11; \
	VBLENDVPS Y11, Y8, Y9, Y0

// func expm1AVX2(dst, x []float32)
TEXT ·expm1AVX2(SB), NOSPLIT, $0-48
	LOOP2(EXPM1BODY2)
