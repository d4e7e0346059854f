//go:build !purego

#include "textflag.h"

// The float32 sin, cos and tan of trig_f32.go on 8 float64 lanes: each
// step of trigBlock (widen, reduce by π/2, both polynomials, pick by
// quadrant, narrow) one instruction per float64 operation of the Go code,
// in the same order and without FMA, so results match the Go passes bit
// for bit. Lanes with |x| >= trigMax, ±Inf or NaN are computed from 0 and
// counted; the Go caller redoes them with math's functions, as trigBlock
// does. Operand order is Go's: VSUBPD b, a, d is d = a - b.
//
// Registers: Z31 |x| mask, Z30 trigMax, Z29 2/π, Z28-Z26 P1-P3, Z25-Z20
// the sine coefficients (r^13 down to r^3), Z19-Z13 the cosine ones
// (r^14 down to r^2), Z12 1, Z11 0, Z10 the sign bit, Z9 and Z8 the
// int64s 1 and 2; R8 the constants (trigVec), R10 the count.

// TRIGCONSTS broadcasts the first lanes of trigVec's rows (pointer in R8)
// into Z8-Z31.
#define TRIGCONSTS \
	VBROADCASTSD 0(R8), Z31; \
	VBROADCASTSD 32(R8), Z30; \
	VBROADCASTSD 64(R8), Z29; \
	VBROADCASTSD 96(R8), Z28; \
	VBROADCASTSD 128(R8), Z27; \
	VBROADCASTSD 160(R8), Z26; \
	VBROADCASTSD 224(R8), Z25; \
	VBROADCASTSD 256(R8), Z24; \
	VBROADCASTSD 288(R8), Z23; \
	VBROADCASTSD 320(R8), Z22; \
	VBROADCASTSD 352(R8), Z21; \
	VBROADCASTSD 384(R8), Z20; \
	VBROADCASTSD 416(R8), Z19; \
	VBROADCASTSD 448(R8), Z18; \
	VBROADCASTSD 480(R8), Z17; \
	VBROADCASTSD 512(R8), Z16; \
	VBROADCASTSD 544(R8), Z15; \
	VBROADCASTSD 576(R8), Z14; \
	VBROADCASTSD 608(R8), Z13; \
	VBROADCASTSD 640(R8), Z12; \
	VPXORQ Z11, Z11, Z11; \
	VBROADCASTSD 672(R8), Z10; \
	VBROADCASTSD 704(R8), Z9; \
	VBROADCASTSD 736(R8), Z8

// TRIGCORE leaves, for the 8 floats at (SI): Z0 = d (widened x), Z1 =
// sin r, Z4 = cos r, Z6 = n (int64), K2 = n odd; and adds the lanes out of
// range to R10.
#define TRIGCORE \
	VCVTPS2PD (SI), Z0; \
	VPANDQ Z31, Z0, Z1; \
	VCMPPD $0x11, Z30, Z1, K1; \
	KMOVW K1, AX; \
	XORL $0xff, AX; \
	POPCNTL AX, AX; \
	ADDQ AX, R10; \
	VMOVAPD.Z Z0, K1, Z2; \
	VMULPD Z29, Z2, Z3; \
	VRNDSCALEPD $0, Z3, Z3; \
	VMULPD Z28, Z3, Z4; \
	VSUBPD Z4, Z2, Z5; \
	VMULPD Z27, Z3, Z4; \
	VSUBPD Z4, Z5, Z5; \
	VMULPD Z26, Z3, Z4; \
	VSUBPD Z4, Z5, Z5; \
	VCVTPD2QQ Z3, Z6; \
	VMULPD Z5, Z5, Z7; \
	VMULPD Z25, Z7, Z1; \
	VADDPD Z24, Z1, Z1; \
	VMULPD Z7, Z1, Z1; \
	VADDPD Z23, Z1, Z1; \
	VMULPD Z7, Z1, Z1; \
	VADDPD Z22, Z1, Z1; \
	VMULPD Z7, Z1, Z1; \
	VADDPD Z21, Z1, Z1; \
	VMULPD Z7, Z1, Z1; \
	VADDPD Z20, Z1, Z1; \
	VMULPD Z7, Z5, Z4; \
	VMULPD Z1, Z4, Z4; \
	VADDPD Z4, Z5, Z1; \
	VMULPD Z19, Z7, Z4; \
	VADDPD Z18, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z17, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z16, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z15, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z14, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z13, Z4, Z4; \
	VMULPD Z7, Z4, Z4; \
	VADDPD Z12, Z4, Z4; \
	VPTESTMQ Z9, Z6, K2

// SINPICK: Z2 = ±sin r or ±cos r by quadrant, d where d == 0.
#define SINPICK \
	VMOVAPD Z1, Z2; \
	VMOVAPD Z4, K2, Z2; \
	VPTESTMQ Z8, Z6, K3; \
	VPXORQ Z10, Z2, K3, Z2; \
	VCMPPD $0, Z11, Z0, K4; \
	VMOVAPD Z0, K4, Z2

// COSPICK: Z2 = ±cos r or ±sin r by quadrant.
#define COSPICK \
	VMOVAPD Z4, Z2; \
	VMOVAPD Z1, K2, Z2; \
	VPADDQ Z9, Z6, Z3; \
	VPTESTMQ Z8, Z3, K3; \
	VPXORQ Z10, Z2, K3, Z2

// TANPICK: Z2 = sin r/cos r, or -cos r/sin r in odd quadrants; d where
// d == 0.
#define TANPICK \
	VMOVAPD Z1, Z2; \
	VPXORQ Z10, Z4, Z3; \
	VMOVAPD Z3, K2, Z2; \
	VMOVAPD Z4, Z3; \
	VMOVAPD Z1, K2, Z3; \
	VDIVPD Z3, Z2, Z2; \
	VCMPPD $0, Z11, Z0, K4; \
	VMOVAPD Z0, K4, Z2

// TRIGLOOP runs TRIGCORE and pick over n (a multiple of 8) floats and
// returns the count of lanes out of range.
#define TRIGLOOP(pick) \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	MOVQ c+24(FP), R8; \
	XORQ R10, R10; \
	TRIGCONSTS; \
	SHRQ $3, CX; \
	JZ done; \
loop: \
	TRIGCORE; \
	pick; \
	VCVTPD2PS Z2, Y2; \
	VMOVUPS Y2, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	DECQ CX; \
	JNZ loop; \
done: \
	MOVQ R10, ret+32(FP); \
	VZEROUPPER; \
	RET

// func sinAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·sinAVX512(SB), NOSPLIT, $0-40
	TRIGLOOP(SINPICK)

// func cosAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·cosAVX512(SB), NOSPLIT, $0-40
	TRIGLOOP(COSPICK)

// func tanAVX512(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·tanAVX512(SB), NOSPLIT, $0-40
	TRIGLOOP(TANPICK)

// The AVX2 kernels: TRIGCORE's steps on 4 float64 lanes, with vector
// compares where AVX-512 has mask registers, VROUNDPD for VRNDSCALEPD,
// and the quadrant read from n + 1.5·2^52, whose low bits are n's (two's
// complement), shifted into the sign bit for VBLENDVPD and VXORPD. The
// constants are rows of 4 lanes (trigVec), read as memory operands.
// Registers after TRIGCORE2: Y0 d, Y9 sin r, Y10 cos r, Y7 n's bits, Y11
// n odd (in the sign bits).

#define TV(i) (i*32)(R8)

#define TRIGCORE2 \
	VCVTPS2PD (SI), Y0; \
	VANDPD TV(0), Y0, Y1; \
	VCMPPD $0x11, TV(1), Y1, Y2; \
	VMOVMSKPD Y2, AX; \
	XORL $0xf, AX; \
	POPCNTL AX, AX; \
	ADDQ AX, R10; \
	VANDPD Y2, Y0, Y3; \
	VMULPD TV(2), Y3, Y4; \
	VROUNDPD $0, Y4, Y4; \
	VMULPD TV(3), Y4, Y5; \
	VSUBPD Y5, Y3, Y6; \
	VMULPD TV(4), Y4, Y5; \
	VSUBPD Y5, Y6, Y6; \
	VMULPD TV(5), Y4, Y5; \
	VSUBPD Y5, Y6, Y6; \
	VADDPD TV(6), Y4, Y7; \
	VMULPD Y6, Y6, Y8; \
	VMULPD TV(7), Y8, Y9; \
	VADDPD TV(8), Y9, Y9; \
	VMULPD Y8, Y9, Y9; \
	VADDPD TV(9), Y9, Y9; \
	VMULPD Y8, Y9, Y9; \
	VADDPD TV(10), Y9, Y9; \
	VMULPD Y8, Y9, Y9; \
	VADDPD TV(11), Y9, Y9; \
	VMULPD Y8, Y9, Y9; \
	VADDPD TV(12), Y9, Y9; \
	VMULPD Y8, Y6, Y10; \
	VMULPD Y9, Y10, Y10; \
	VADDPD Y10, Y6, Y9; \
	VMULPD TV(13), Y8, Y10; \
	VADDPD TV(14), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(15), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(16), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(17), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(18), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(19), Y10, Y10; \
	VMULPD Y8, Y10, Y10; \
	VADDPD TV(20), Y10, Y10; \
	VPSLLQ $63, Y7, Y11

// ZEROKEEP: Y12 = d where d == 0 (±0 keeps its sign).
#define ZEROKEEP \
	VXORPD Y13, Y13, Y13; \
	VCMPPD $0, Y13, Y0, Y13; \
	VBLENDVPD Y13, Y0, Y12, Y12

// SINPICK2: Y12 = ±sin r or ±cos r by quadrant, d where d == 0.
#define SINPICK2 \
	VBLENDVPD Y11, Y10, Y9, Y12; \
	VPSLLQ $62, Y7, Y13; \
	VANDPD TV(21), Y13, Y13; \
	VXORPD Y13, Y12, Y12; \
	ZEROKEEP

// COSPICK2: Y12 = ±cos r or ±sin r by quadrant.
#define COSPICK2 \
	VBLENDVPD Y11, Y9, Y10, Y12; \
	VPADDQ TV(22), Y7, Y13; \
	VPSLLQ $62, Y13, Y13; \
	VANDPD TV(21), Y13, Y13; \
	VXORPD Y13, Y12, Y12

// TANPICK2: Y12 = sin r/cos r, or -cos r/sin r in odd quadrants; d where
// d == 0.
#define TANPICK2 \
	VXORPD TV(21), Y10, Y13; \
	VBLENDVPD Y11, Y13, Y9, Y12; \
	VBLENDVPD Y11, Y9, Y10, Y13; \
	VDIVPD Y13, Y12, Y12; \
	ZEROKEEP

#define TRIGLOOP2(pick) \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	MOVQ c+24(FP), R8; \
	XORQ R10, R10; \
	SHRQ $2, CX; \
	JZ done2; \
loop2: \
	TRIGCORE2; \
	pick; \
	VCVTPD2PSY Y12, X12; \
	VMOVUPS X12, (DI); \
	ADDQ $16, SI; \
	ADDQ $16, DI; \
	DECQ CX; \
	JNZ loop2; \
done2: \
	MOVQ R10, ret+32(FP); \
	VZEROUPPER; \
	RET

// func sinAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·sinAVX2(SB), NOSPLIT, $0-40
	TRIGLOOP2(SINPICK2)

// func cosAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·cosAVX2(SB), NOSPLIT, $0-40
	TRIGLOOP2(COSPICK2)

// func tanAVX2(dst, x *float32, n int, c *[trigVecN][4]float64) int
TEXT ·tanAVX2(SB), NOSPLIT, $0-40
	TRIGLOOP2(TANPICK2)
