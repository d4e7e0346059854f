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
