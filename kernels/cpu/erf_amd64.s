//go:build !purego

#include "textflag.h"

// erfF32 of erf_f32.go on 8 float64 lanes: widen, piece index, one
// Horner step per table row with each lane's coefficient picked by
// VPERMPD from the row's 8 (one per piece), then the edges (1 from 4 on,
// NaN as is) and the sign; one instruction per float64 operation of the
// Go code, in its order and without FMA, so the results match erfF32 bit
// for bit. Operand order is Go's: VSUBPD b, a, d is d = a - b.
//
// Registers: Z31 the |x| mask, Z30 erfOne (4), Z29 1; Z0 d, Z1 a, Z3 k,
// Z4 m, Z5 t, Z7 p; R8 the table (erfTab, a row every 64 bytes).

// ERFSTEP is p = p·t + erfTab[row][k].
#define ERFSTEP(row) \
	VMULPD Z5, Z7, Z7; \
	VPERMPD row*64(R8), Z3, Z6; \
	VADDPD Z6, Z7, Z7

// func erfAVX512(dst, x *float32, n int, tab *[erfDeg + 2][8]float64)
TEXT ·erfAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ tab+24(FP), R8
	MOVQ $0x7fffffffffffffff, AX
	VPBROADCASTQ AX, Z31
	MOVQ $0x4010000000000000, AX // 4.0
	VPBROADCASTQ AX, Z30
	MOVQ $0x3ff0000000000000, AX // 1.0
	VPBROADCASTQ AX, Z29
	SHRQ $3, CX
	JZ done

loop:
	VCVTPS2PD (SI), Z0
	VPANDQ Z31, Z0, Z1
	VADDPD Z1, Z1, Z2
	VCVTTPD2QQ Z2, Z3     // k = ⌊2a⌋ (only its low 3 bits are read)
	VPTESTNMQ Z3, Z3, K1  // piece 0
	VMOVAPD Z29, Z4
	VMOVAPD Z1, K1, Z4    // m = a in piece 0, else 1
	VMULPD Z4, Z1, Z5
	VPERMPD 704(R8), Z3, Z6
	VSUBPD Z6, Z5, Z5     // t = a·m - offset
	VPERMPD 640(R8), Z3, Z7
	ERFSTEP(9)
	ERFSTEP(8)
	ERFSTEP(7)
	ERFSTEP(6)
	ERFSTEP(5)
	ERFSTEP(4)
	ERFSTEP(3)
	ERFSTEP(2)
	ERFSTEP(1)
	ERFSTEP(0)
	VMULPD Z4, Z7, Z7     // y = p·m
	VCMPPD $0x1d, Z30, Z1, K2 // a >= 4 (ordered: not NaN)
	VMOVAPD Z29, K2, Z7
	VCMPPD $3, Z1, Z1, K3 // NaN
	VMOVAPD Z1, K3, Z7
	VPANDQ Z31, Z7, Z7
	VPANDNQ Z0, Z31, Z6   // the sign of d
	VPORQ Z6, Z7, Z7
	VCVTPD2PS Z7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET

// erfAVX2 is erfAVX512 on 4 float64 lanes (AVX2). AVX2 has no permute of
// 8 float64s by a vector of indices, so each coefficient is looked up in
// both halves of its table row with VPERMD (k mod 4 picks a pair of
// dwords) and the half is chosen by bit 2 of k (VBLENDVPD reads it as
// the sign bit once shifted there). Its other constants are rows of 4
// lanes (erfVec), read as memory operands.

#define EV(i) (i*32)(R9)

// ERFLOOKUP leaves erfTab[row][k] in dst, for the dword pairs in Y4 and
// the half in Y5's sign bits.
#define ERFLOOKUP(row, dst) \
	VPERMD (row*64)(R8), Y4, Y10; \
	VPERMD (row*64+32)(R8), Y4, Y11; \
	VBLENDVPD Y5, Y11, Y10, dst

// ERFSTEP2 is p = p·t + erfTab[row][k].
#define ERFSTEP2(row) \
	VMULPD Y9, Y7, Y7; \
	ERFLOOKUP(row, Y12); \
	VADDPD Y12, Y7, Y7

// func erfAVX2(dst, x *float32, n int, tab *[erfDeg + 2][8]float64, c *[erfVecN][4]float64)
TEXT ·erfAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ tab+24(FP), R8
	MOVQ c+32(FP), R9
	VMOVUPD EV(3), Y13        // 1
	VPXOR Y14, Y14, Y14       // 0
	SHRQ $2, CX
	JZ done2

loop2:
	VCVTPS2PD (SI), Y0
	VANDPD EV(0), Y0, Y1      // a
	VADDPD Y1, Y1, Y2
	VCVTTPD2DQY Y2, X3
	VPMOVZXDQ X3, Y3          // k = ⌊2a⌋
	VPAND EV(4), Y3, Y4
	VPSLLQ $1, Y4, Y4         // 2·(k mod 4)
	VPADDQ EV(5), Y4, Y6
	VPSLLQ $32, Y6, Y6
	VPOR Y6, Y4, Y4           // its pair of dwords
	VPSLLQ $61, Y3, Y5        // bit 2 of k: the upper half
	VPCMPEQQ Y14, Y3, Y6      // piece 0
	VBLENDVPD Y6, Y1, Y13, Y8 // m = a in piece 0, else 1
	VMULPD Y8, Y1, Y9
	ERFLOOKUP(11, Y12)
	VSUBPD Y12, Y9, Y9        // t = a·m - offset
	ERFLOOKUP(10, Y7)
	ERFSTEP2(9)
	ERFSTEP2(8)
	ERFSTEP2(7)
	ERFSTEP2(6)
	ERFSTEP2(5)
	ERFSTEP2(4)
	ERFSTEP2(3)
	ERFSTEP2(2)
	ERFSTEP2(1)
	ERFSTEP2(0)
	VMULPD Y8, Y7, Y7         // y = p·m
	VCMPPD $0x1d, EV(2), Y1, Y6 // a >= 4 (ordered: not NaN)
	VBLENDVPD Y6, Y13, Y7, Y7
	VCMPPD $3, Y1, Y1, Y6     // NaN
	VBLENDVPD Y6, Y1, Y7, Y7
	VANDPD EV(0), Y7, Y7
	VANDPD EV(1), Y0, Y6      // the sign of d
	VORPD Y6, Y7, Y7
	VCVTPD2PSY Y7, X7
	VMOVUPS X7, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ loop2

done2:
	VZEROUPPER
	RET
