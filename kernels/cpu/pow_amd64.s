//go:build !purego

#include "textflag.h"

// powPos of pow_f32.go on 8 float64 lanes: one instruction per float64
// operation of the Go code, in its order and without FMA, so the results
// match powPos bit for bit (VGETEXPPD and VGETMANTPD give its exponent
// and significand bits, VRNDSCALEPD $0 math.RoundToEven, VSCALEFPD
// math.Ldexp, all exact here). Lanes whose x is not positive and finite
// are computed from 1 and counted; the Go caller redoes them with
// math.Pow. Operand order is Go's: VSUBPD b, a, d is d = a - b.
//
// Registers: Z31 1, Z30 ½, Z29 √2, Z28 ln2, Z27 MaxFloat32, Z26 and Z25
// the clamp of w, Z24 log2e, Z23 and Z22 ln2's split, Z21 p, Z20 0; R8
// the constants (powVec: powLogC from row 15, powExpC from row 24), R10
// the count.

// PV(i) is row i of the constants (powVec, a row every 32 bytes; the
// AVX-512 kernel broadcasts a row's first lane).
#define PV(i) (i*32)(R8)

// POWSTEP is p = p·x + row's constant, for Z7's Horner sums: q·z +
// powLogC[i] (rows 15+i of powVec), y·r + powExpC[i] (rows 24+i).
#define POWSTEP(x, row) \
	VMULPD x, Z7, Z7; \
	VADDPD.BCST (row*32)(R8), Z7, Z7

// func powAVX512(dst, x *float32, n int, p float64, c *[powVecN][4]float64) int
TEXT ·powAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+32(FP), R8
	VBROADCASTSD p+24(FP), Z21
	VBROADCASTSD PV(0), Z31
	VBROADCASTSD PV(1), Z30
	VBROADCASTSD PV(2), Z29
	VBROADCASTSD PV(3), Z28
	VBROADCASTSD PV(4), Z27
	VBROADCASTSD PV(5), Z26
	VBROADCASTSD PV(6), Z25
	VBROADCASTSD PV(7), Z24
	VBROADCASTSD PV(8), Z23
	VBROADCASTSD PV(9), Z22
	VPXORQ Z20, Z20, Z20
	XORQ R10, R10
	SHRQ $3, CX
	JZ done

loop:
	VCVTPS2PD (SI), Z0
	VCMPPD $0x1e, Z20, Z0, K1 // x > 0
	VCMPPD $0x12, Z27, Z0, K2 // x <= MaxFloat32
	KANDW K1, K2, K1
	KMOVW K1, AX
	XORL $0xff, AX
	POPCNTL AX, AX
	ADDQ AX, R10
	VMOVAPD Z31, Z2
	VMOVAPD Z0, K1, Z2        // x, or 1 where the caller redoes it
	VGETEXPPD Z2, Z3          // e
	VGETMANTPD $0, Z2, Z4     // m in [1, 2)
	VCMPPD $0x1e, Z29, Z4, K3 // m > √2
	VMULPD Z30, Z4, K3, Z4
	VADDPD Z31, Z3, K3, Z3
	VSUBPD Z31, Z4, Z5
	VADDPD Z31, Z4, Z6
	VDIVPD Z6, Z5, Z5         // s
	VMULPD Z5, Z5, Z6         // z
	VBROADCASTSD PV(15), Z7
	POWSTEP(Z6, 16)
	POWSTEP(Z6, 17)
	POWSTEP(Z6, 18)
	POWSTEP(Z6, 19)
	POWSTEP(Z6, 20)
	POWSTEP(Z6, 21)
	POWSTEP(Z6, 22)
	POWSTEP(Z6, 23)
	VMULPD Z28, Z3, Z3        // e·ln2
	VMULPD Z7, Z5, Z5         // s·q
	VADDPD Z5, Z3, Z3         // l
	VMULPD Z3, Z21, Z3        // p·l
	VMAXPD Z26, Z3, Z3
	VMINPD Z25, Z3, Z3        // w
	VMULPD Z24, Z3, Z4
	VRNDSCALEPD $0, Z4, Z4    // n
	VMULPD Z23, Z4, Z5
	VSUBPD Z5, Z3, Z5
	VMULPD Z22, Z4, Z6
	VSUBPD Z6, Z5, Z5         // r
	VBROADCASTSD PV(24), Z7
	POWSTEP(Z5, 25)
	POWSTEP(Z5, 26)
	POWSTEP(Z5, 27)
	POWSTEP(Z5, 28)
	POWSTEP(Z5, 29)
	POWSTEP(Z5, 30)
	POWSTEP(Z5, 31)
	POWSTEP(Z5, 32)
	POWSTEP(Z5, 33)
	POWSTEP(Z5, 34)
	POWSTEP(Z5, 35)
	VSCALEFPD Z4, Z7, Z7
	VCVTPD2PS Z7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ loop

done:
	MOVQ R10, ret+40(FP)
	VZEROUPPER
	RET

// powAVX2 is powAVX512's sequence on 4 float64 lanes (AVX2): the
// exponent and significand from the bits (the exponent converted exactly
// by adding it to 2^52's bits), compares into vector masks, blends,
// rounding by powShifter and 2^n built from the rounded value's low bits,
// as powPos does. Its constants are rows of 4 equal lanes (powVec, one
// row every 32 bytes), read as memory operands (PV).

// func powAVX2(dst, x *float32, n int, p float64, c *[powVecN][4]float64) int
TEXT ·powAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+32(FP), R8
	VBROADCASTSD p+24(FP), Y15
	VXORPD Y14, Y14, Y14
	XORQ R10, R10
	SHRQ $2, CX
	JZ done2

loop2:
	VCVTPS2PD (SI), Y0
	VCMPPD $0x1e, Y14, Y0, Y1   // x > 0
	VCMPPD $0x12, PV(4), Y0, Y2 // x <= MaxFloat32
	VANDPD Y2, Y1, Y1
	VMOVMSKPD Y1, AX
	XORL $0xf, AX
	POPCNTL AX, AX
	ADDQ AX, R10
	VMOVUPD PV(0), Y2
	VBLENDVPD Y1, Y0, Y2, Y2    // x, or 1 where the caller redoes it
	VPSRLQ $52, Y2, Y3
	VPOR PV(12), Y3, Y3
	VSUBPD PV(13), Y3, Y3       // e
	VPAND PV(11), Y2, Y4
	VPOR PV(0), Y4, Y4          // m in [1, 2)
	VCMPPD $0x1e, PV(2), Y4, Y5 // m > √2
	VMULPD PV(1), Y4, Y6
	VBLENDVPD Y5, Y6, Y4, Y4
	VADDPD PV(0), Y3, Y6
	VBLENDVPD Y5, Y6, Y3, Y3
	VSUBPD PV(0), Y4, Y5
	VADDPD PV(0), Y4, Y6
	VDIVPD Y6, Y5, Y5           // s
	VMULPD Y5, Y5, Y6           // z
	VMULPD PV(15), Y6, Y7
	VADDPD PV(16), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(17), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(18), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(19), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(20), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(21), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(22), Y7, Y7
	VMULPD Y6, Y7, Y7
	VADDPD PV(23), Y7, Y7       // q
	VMULPD PV(3), Y3, Y3        // e·ln2
	VMULPD Y7, Y5, Y5           // s·q
	VADDPD Y5, Y3, Y3           // l
	VMULPD Y3, Y15, Y3          // p·l
	VMAXPD PV(5), Y3, Y3
	VMINPD PV(6), Y3, Y3        // w
	VMULPD PV(7), Y3, Y4
	VADDPD PV(10), Y4, Y8       // w·log2e + 1.5·2^52: n in its low bits
	VSUBPD PV(10), Y8, Y4       // n
	VMULPD PV(8), Y4, Y5
	VSUBPD Y5, Y3, Y5
	VMULPD PV(9), Y4, Y6
	VSUBPD Y6, Y5, Y5           // r
	VMULPD PV(24), Y5, Y7
	VADDPD PV(25), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(26), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(27), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(28), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(29), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(30), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(31), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(32), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(33), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(34), Y7, Y7
	VMULPD Y5, Y7, Y7
	VADDPD PV(35), Y7, Y7       // y
	VPADDQ PV(14), Y8, Y8
	VPSLLQ $52, Y8, Y8          // 2^n
	VMULPD Y8, Y7, Y7
	VCVTPD2PSY Y7, X7
	VMOVUPS X7, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ loop2

done2:
	MOVQ R10, ret+40(FP)
	VZEROUPPER
	RET
