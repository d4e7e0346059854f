//go:build !purego

#include "textflag.h"

// The exact float32 kernels of simple_f32.go, AVX-512 (16 lanes, the tail
// under mask K1) and AVX2 (8 lanes, the tail under a VMASKMOVPS mask in
// Y15). Go operand order: VSUBPS b, a, d is d = a - b; VCMPPS $pred, b,
// a, k compares a with b. Compare predicates: 6 is NLE_US (true for NaN),
// 0x1e GT_OQ, 0x11 LT_OQ (false for NaN).

// BCAST broadcasts the 32-bit pattern bits into all lanes of z.
#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

// ULOOP runs BODY (Z0 in place) over x into dst, then returns.
#define ULOOP(BODY) \
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

// BLOOP runs BODY (Z0 = Z0 op Z1) over a and b into dst, then returns.
#define BLOOP(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ a_base+24(FP), SI; \
	MOVQ a_len+32(FP), CX; \
	MOVQ b_base+48(FP), DX; \
full: \
	CMPQ CX, $16; \
	JLT tail; \
	VMOVUPS (SI), Z0; \
	VMOVUPS (DX), Z1; \
	BODY; \
	VMOVUPS Z0, (DI); \
	ADDQ $64, SI; \
	ADDQ $64, DX; \
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
	VMOVUPS.Z (DX), K1, Z1; \
	BODY; \
	VMOVUPS Z0, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

#define NEGBODY VPXORD Z28, Z0, Z0

// func negAVX512(dst, x []float32)
TEXT ·negAVX512(SB), NOSPLIT, $0-48
	BCAST(0x80000000, Z28)
	ULOOP(NEGBODY)

#define ABSBODY VPANDD Z28, Z0, Z0

// func absAVX512(dst, x []float32)
TEXT ·absAVX512(SB), NOSPLIT, $0-48
	BCAST(0x7fffffff, Z28)
	ULOOP(ABSBODY)

#define SQRTBODY VSQRTPS Z0, Z0

// func sqrtAVX512(dst, x []float32)
TEXT ·sqrtAVX512(SB), NOSPLIT, $0-48
	ULOOP(SQRTBODY)

// RELUBODY keeps x where !(x <= 0) (x > 0 or NaN) and zeroes the rest;
// Z30 is 0.
#define RELUBODY \
	VCMPPS $6, Z30, Z0, K2; \
	VMOVAPS.Z Z0, K2, Z0

// func reluAVX512(dst, x []float32)
TEXT ·reluAVX512(SB), NOSPLIT, $0-48
	VPXORD Z30, Z30, Z30
	ULOOP(RELUBODY)

// SIGNBODY is 1 where x > 0, -1 where x < 0, else +0. Z30 is 0, Z29 1,
// Z28 -1.
#define SIGNBODY \
	VCMPPS $0x1e, Z30, Z0, K2; \
	VCMPPS $0x11, Z30, Z0, K3; \
	VMOVAPS Z30, Z0; \
	VMOVAPS Z29, K2, Z0; \
	VMOVAPS Z28, K3, Z0

// func signAVX512(dst, x []float32)
TEXT ·signAVX512(SB), NOSPLIT, $0-48
	VPXORD Z30, Z30, Z30
	BCAST(0x3f800000, Z29)
	BCAST(0xbf800000, Z28)
	ULOOP(SIGNBODY)

// LEAKYBODY is x where x > 0, else p·x in float64 rounded to float32,
// 8 lanes at a time. Z26 holds p, Z30 0.
#define LEAKYBODY \
	VCVTPS2PD Y0, Z1; \
	VMULPD Z26, Z1, Z1; \
	VCVTPD2PS Z1, Y1; \
	VEXTRACTF64X4 $1, Z0, Y2; \
	VCVTPS2PD Y2, Z2; \
	VMULPD Z26, Z2, Z2; \
	VCVTPD2PS Z2, Y2; \
	VINSERTF64X4 $1, Y2, Z1, Z1; \
	VCMPPS $0x1e, Z30, Z0, K2; \
	VMOVAPS Z0, K2, Z1; \
	VMOVAPS Z1, Z0

// func leakyReLUAVX512(dst, x []float32, p float64)
TEXT ·leakyReLUAVX512(SB), NOSPLIT, $0-56
	VPXORD Z30, Z30, Z30
	VBROADCASTSD p+48(FP), Z26
	ULOOP(LEAKYBODY)

#define ADDBODY VADDPS Z1, Z0, Z0

// func addAVX512(dst, a, b []float32)
TEXT ·addAVX512(SB), NOSPLIT, $0-72
	BLOOP(ADDBODY)

#define SUBBODY VSUBPS Z1, Z0, Z0

// func subAVX512(dst, a, b []float32)
TEXT ·subAVX512(SB), NOSPLIT, $0-72
	BLOOP(SUBBODY)

#define MULBODY VMULPS Z1, Z0, Z0

// func mulAVX512(dst, a, b []float32)
TEXT ·mulAVX512(SB), NOSPLIT, $0-72
	BLOOP(MULBODY)

#define DIVBODY VDIVPS Z1, Z0, Z0

// func divAVX512(dst, a, b []float32)
TEXT ·divAVX512(SB), NOSPLIT, $0-72
	BLOOP(DIVBODY)

// RELUGRADBODY is b where a > 0, else +0; Z30 is 0.
#define RELUGRADBODY \
	VCMPPS $0x1e, Z30, Z0, K2; \
	VMOVAPS.Z Z1, K2, Z0

// func reluGradAVX512(dst, a, b []float32)
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-72
	VPXORD Z30, Z30, Z30
	BLOOP(RELUGRADBODY)

// The AVX2 kernels. Constants live in memory, 8 lanes each.

#define SCONST8(sym, bits) \
	DATA sym+0(SB)/4, bits; \
	DATA sym+4(SB)/4, bits; \
	DATA sym+8(SB)/4, bits; \
	DATA sym+12(SB)/4, bits; \
	DATA sym+16(SB)/4, bits; \
	DATA sym+20(SB)/4, bits; \
	DATA sym+24(SB)/4, bits; \
	DATA sym+28(SB)/4, bits; \
	GLOBL sym(SB), RODATA|NOPTR, $32

SCONST8(sSign<>, $0x80000000)
SCONST8(sAbs<>, $0x7fffffff)
SCONST8(sOne<>, $0x3f800000)
SCONST8(sMinusOne<>, $0xbf800000)

// sIota holds 0..7, against which the tail's length makes its mask.
DATA sIota<>+0(SB)/4, $0
DATA sIota<>+4(SB)/4, $1
DATA sIota<>+8(SB)/4, $2
DATA sIota<>+12(SB)/4, $3
DATA sIota<>+16(SB)/4, $4
DATA sIota<>+20(SB)/4, $5
DATA sIota<>+24(SB)/4, $6
DATA sIota<>+28(SB)/4, $7
GLOBL sIota<>(SB), RODATA|NOPTR, $32

// TAILMASK sets Y15 to all ones in the lanes below CX (1..7).
#define TAILMASK \
	MOVQ CX, X15; \
	VPBROADCASTD X15, Y15; \
	VPCMPGTD sIota<>(SB), Y15, Y15

// ULOOP2 runs BODY (Y0 in place; Y15 untouched) over x into dst.
#define ULOOP2(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
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
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// BLOOP2 runs BODY (Y0 = Y0 op Y1; Y15 untouched) over a and b into dst.
#define BLOOP2(BODY) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ a_base+24(FP), SI; \
	MOVQ a_len+32(FP), CX; \
	MOVQ b_base+48(FP), DX; \
full: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (DX), Y1; \
	BODY; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP full; \
tail: \
	TESTQ CX, CX; \
	JZ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y15, Y0; \
	VMASKMOVPS (DX), Y15, Y1; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

#define NEGBODY2 VXORPS sSign<>(SB), Y0, Y0

// func negAVX2(dst, x []float32)
TEXT ·negAVX2(SB), NOSPLIT, $0-48
	ULOOP2(NEGBODY2)

#define ABSBODY2 VANDPS sAbs<>(SB), Y0, Y0

// func absAVX2(dst, x []float32)
TEXT ·absAVX2(SB), NOSPLIT, $0-48
	ULOOP2(ABSBODY2)

#define SQRTBODY2 VSQRTPS Y0, Y0

// func sqrtAVX2(dst, x []float32)
TEXT ·sqrtAVX2(SB), NOSPLIT, $0-48
	ULOOP2(SQRTBODY2)

// RELUBODY2 keeps x where !(x <= 0); Y14 is 0.
#define RELUBODY2 \
	VCMPPS $6, Y14, Y0, Y1; \
	VANDPS Y1, Y0, Y0

// func reluAVX2(dst, x []float32)
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	VXORPS Y14, Y14, Y14
	ULOOP2(RELUBODY2)

// SIGNBODY2: 1 where x > 0, -1 where x < 0, else +0; Y14 is 0.
#define SIGNBODY2 \
	VCMPPS $0x1e, Y14, Y0, Y1; \
	VCMPPS $0x11, Y14, Y0, Y2; \
	VANDPS sOne<>(SB), Y1, Y1; \
	VANDPS sMinusOne<>(SB), Y2, Y2; \
	VORPS Y1, Y2, Y0

// func signAVX2(dst, x []float32)
TEXT ·signAVX2(SB), NOSPLIT, $0-48
	VXORPS Y14, Y14, Y14
	ULOOP2(SIGNBODY2)

// LEAKYBODY2: x where x > 0, else p·x in float64 rounded to float32, 4
// lanes at a time. Y13 holds p, Y14 0.
#define LEAKYBODY2 \
	VCVTPS2PD X0, Y1; \
	VMULPD Y13, Y1, Y1; \
	VCVTPD2PSY Y1, X1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	VMULPD Y13, Y2, Y2; \
	VCVTPD2PSY Y2, X2; \
	VINSERTF128 $1, X2, Y1, Y1; \
	VCMPPS $0x1e, Y14, Y0, Y3; \
	VBLENDVPS Y3, Y0, Y1, Y0

// func leakyReLUAVX2(dst, x []float32, p float64)
TEXT ·leakyReLUAVX2(SB), NOSPLIT, $0-56
	VXORPS Y14, Y14, Y14
	VBROADCASTSD p+48(FP), Y13
	ULOOP2(LEAKYBODY2)

#define ADDBODY2 VADDPS Y1, Y0, Y0

// func addAVX2(dst, a, b []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	BLOOP2(ADDBODY2)

#define SUBBODY2 VSUBPS Y1, Y0, Y0

// func subAVX2(dst, a, b []float32)
TEXT ·subAVX2(SB), NOSPLIT, $0-72
	BLOOP2(SUBBODY2)

#define MULBODY2 VMULPS Y1, Y0, Y0

// func mulAVX2(dst, a, b []float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	BLOOP2(MULBODY2)

#define DIVBODY2 VDIVPS Y1, Y0, Y0

// func divAVX2(dst, a, b []float32)
TEXT ·divAVX2(SB), NOSPLIT, $0-72
	BLOOP2(DIVBODY2)

// RELUGRADBODY2 is b where a > 0, else +0; Y14 is 0.
#define RELUGRADBODY2 \
	VCMPPS $0x1e, Y14, Y0, Y2; \
	VANDPS Y2, Y1, Y0

// func reluGradAVX2(dst, a, b []float32)
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-72
	VXORPS Y14, Y14, Y14
	BLOOP2(RELUGRADBODY2)

// The fused float32 gradients in float64, as gradLoop computes them: each
// half of the 16 lanes is widened, computed in the same order, and
// rounded once. Z0 holds a (x or y), Z1 g; Z31 is 1.0 in float64, Z26 p.

// SIGGRADBODY is (g·y)·(1 - y).
#define SIGGRADBODY \
	VCVTPS2PD Y0, Z2; \
	VCVTPS2PD Y1, Z3; \
	VMULPD Z2, Z3, Z4; \
	VSUBPD Z2, Z31, Z5; \
	VMULPD Z5, Z4, Z4; \
	VCVTPD2PS Z4, Y4; \
	VEXTRACTF64X4 $1, Z0, Y2; \
	VEXTRACTF64X4 $1, Z1, Y3; \
	VCVTPS2PD Y2, Z2; \
	VCVTPS2PD Y3, Z3; \
	VMULPD Z2, Z3, Z6; \
	VSUBPD Z2, Z31, Z5; \
	VMULPD Z5, Z6, Z6; \
	VCVTPD2PS Z6, Y6; \
	VINSERTF64X4 $1, Y6, Z4, Z0

// func sigmoidGradAVX512(dst, a, b []float32)
TEXT ·sigmoidGradAVX512(SB), NOSPLIT, $0-72
	MOVQ $0x3ff0000000000000, AX
	VPBROADCASTQ AX, Z31
	BLOOP(SIGGRADBODY)

// TANHGRADBODY is g·(1 - y·y).
#define TANHGRADBODY \
	VCVTPS2PD Y0, Z2; \
	VCVTPS2PD Y1, Z3; \
	VMULPD Z2, Z2, Z5; \
	VSUBPD Z5, Z31, Z5; \
	VMULPD Z5, Z3, Z4; \
	VCVTPD2PS Z4, Y4; \
	VEXTRACTF64X4 $1, Z0, Y2; \
	VEXTRACTF64X4 $1, Z1, Y3; \
	VCVTPS2PD Y2, Z2; \
	VCVTPS2PD Y3, Z3; \
	VMULPD Z2, Z2, Z5; \
	VSUBPD Z5, Z31, Z5; \
	VMULPD Z5, Z3, Z6; \
	VCVTPD2PS Z6, Y6; \
	VINSERTF64X4 $1, Y6, Z4, Z0

// func tanhGradAVX512(dst, a, b []float32)
TEXT ·tanhGradAVX512(SB), NOSPLIT, $0-72
	MOVQ $0x3ff0000000000000, AX
	VPBROADCASTQ AX, Z31
	BLOOP(TANHGRADBODY)

// LEAKYGRADBODY is g where x > 0, else p·g in float64 rounded once.
#define LEAKYGRADBODY \
	VCVTPS2PD Y1, Z2; \
	VMULPD Z26, Z2, Z2; \
	VCVTPD2PS Z2, Y2; \
	VEXTRACTF64X4 $1, Z1, Y3; \
	VCVTPS2PD Y3, Z3; \
	VMULPD Z26, Z3, Z3; \
	VCVTPD2PS Z3, Y3; \
	VINSERTF64X4 $1, Y3, Z2, Z2; \
	VCMPPS $0x1e, Z30, Z0, K2; \
	VMOVAPS Z1, K2, Z2; \
	VMOVAPS Z2, Z0

// func leakyReLUGradAVX512(dst, a, b []float32, p float64)
TEXT ·leakyReLUGradAVX512(SB), NOSPLIT, $0-80
	VPXORD Z30, Z30, Z30
	VBROADCASTSD p+72(FP), Z26
	BLOOP(LEAKYGRADBODY)


// The AVX2 versions: Y0 holds a, Y1 g; Y13 is 1.0 in float64, Y12 p, Y14 0.

// SIGGRADBODY2 is (g·y)·(1 - y) on 8 lanes, 4 at a time.
#define SIGGRADBODY2 \
	VCVTPS2PD X0, Y2; \
	VCVTPS2PD X1, Y3; \
	VMULPD Y2, Y3, Y4; \
	VSUBPD Y2, Y13, Y5; \
	VMULPD Y5, Y4, Y4; \
	VCVTPD2PSY Y4, X4; \
	VEXTRACTF128 $1, Y0, X2; \
	VEXTRACTF128 $1, Y1, X3; \
	VCVTPS2PD X2, Y2; \
	VCVTPS2PD X3, Y3; \
	VMULPD Y2, Y3, Y6; \
	VSUBPD Y2, Y13, Y5; \
	VMULPD Y5, Y6, Y6; \
	VCVTPD2PSY Y6, X6; \
	VINSERTF128 $1, X6, Y4, Y0

// func sigmoidGradAVX2(dst, a, b []float32)
TEXT ·sigmoidGradAVX2(SB), NOSPLIT, $0-72
	MOVQ $0x3ff0000000000000, AX
	MOVQ AX, X13
	VPBROADCASTQ X13, Y13
	BLOOP2(SIGGRADBODY2)

// TANHGRADBODY2 is g·(1 - y·y) on 8 lanes.
#define TANHGRADBODY2 \
	VCVTPS2PD X0, Y2; \
	VCVTPS2PD X1, Y3; \
	VMULPD Y2, Y2, Y5; \
	VSUBPD Y5, Y13, Y5; \
	VMULPD Y5, Y3, Y4; \
	VCVTPD2PSY Y4, X4; \
	VEXTRACTF128 $1, Y0, X2; \
	VEXTRACTF128 $1, Y1, X3; \
	VCVTPS2PD X2, Y2; \
	VCVTPS2PD X3, Y3; \
	VMULPD Y2, Y2, Y5; \
	VSUBPD Y5, Y13, Y5; \
	VMULPD Y5, Y3, Y6; \
	VCVTPD2PSY Y6, X6; \
	VINSERTF128 $1, X6, Y4, Y0

// func tanhGradAVX2(dst, a, b []float32)
TEXT ·tanhGradAVX2(SB), NOSPLIT, $0-72
	MOVQ $0x3ff0000000000000, AX
	MOVQ AX, X13
	VPBROADCASTQ X13, Y13
	BLOOP2(TANHGRADBODY2)

// LEAKYGRADBODY2 is g where x > 0, else p·g in float64 rounded once.
#define LEAKYGRADBODY2 \
	VCVTPS2PD X1, Y2; \
	VMULPD Y12, Y2, Y2; \
	VCVTPD2PSY Y2, X2; \
	VEXTRACTF128 $1, Y1, X3; \
	VCVTPS2PD X3, Y3; \
	VMULPD Y12, Y3, Y3; \
	VCVTPD2PSY Y3, X3; \
	VINSERTF128 $1, X3, Y2, Y2; \
	VCMPPS $0x1e, Y14, Y0, Y3; \
	VBLENDVPS Y3, Y1, Y2, Y0

// func leakyReLUGradAVX2(dst, a, b []float32, p float64)
TEXT ·leakyReLUGradAVX2(SB), NOSPLIT, $0-80
	VXORPS Y14, Y14, Y14
	VBROADCASTSD p+72(FP), Y12
	BLOOP2(LEAKYGRADBODY2)
