//go:build !purego

#include "textflag.h"

// Lane tables of maxPool2x2AVX512: the even and the odd lanes of a pair of
// vectors (VPERMI2PS indexes 0-31 into the pair), and 0, 2, ..., 30 is also
// the offset of each output's window from the chunk's first.
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// WINS sets mask k to maxWins(v, best) in each lane: v > best (ordered),
// or v NaN and best not. Uses K2 and K3.
#define WINS(v, best, k) \
	VCMPPS $0x1e, best, v, k; \
	VCMPPS $3, v, v, K2; \
	VCMPPS $7, best, best, K3; \
	KANDW K3, K2, K2; \
	KORW K2, k, k

// POOL16 pools 16 outputs from r0's pixels in Z0:Z1 and r1's in Z2:Z3:
// Z10 the maxima, Z11 the positions, Z22 holding the positions of the
// windows' first pixels. The tournament of maxPool2x2: the first row's
// pair (K1), the second row's (K4), then the two winners (K5).
#define POOL16 \
	VMOVAPS Z20, Z4; \
	VPERMI2PS Z1, Z0, Z4; \
	VMOVAPS Z21, Z5; \
	VPERMI2PS Z1, Z0, Z5; \
	VMOVAPS Z20, Z6; \
	VPERMI2PS Z3, Z2, Z6; \
	VMOVAPS Z21, Z7; \
	VPERMI2PS Z3, Z2, Z7; \
	WINS(Z5, Z4, K1); \
	VBLENDMPS Z5, Z4, K1, Z8; \
	WINS(Z7, Z6, K4); \
	VBLENDMPS Z7, Z6, K4, Z9; \
	WINS(Z9, Z8, K5); \
	VBLENDMPS Z9, Z8, K5, Z10; \
	VMOVDQA32 Z22, Z11; \
	VPADDD Z25, Z11, K1, Z11; \
	VMOVDQA32 Z23, Z12; \
	VPADDD Z25, Z12, K4, Z12; \
	VPSUBD Z25, Z12, K1, Z12; \
	VPADDD Z12, Z11, K5, Z11

// func maxPool2x2AVX512(d *float32, ix *int32, r0, r1 *float32, n, at, w int)
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), DI
	MOVQ ix+8(FP), R8
	MOVQ r0+16(FP), SI
	MOVQ r1+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ at+40(FP), AX
	MOVQ w+48(FP), BX
	VMOVDQU32 poolEven<>(SB), Z20
	VMOVDQU32 poolOdd<>(SB), Z21
	VPBROADCASTD AX, Z22
	VPADDD Z20, Z22, Z22
	VPBROADCASTD BX, Z23
	MOVL $32, R9
	VPBROADCASTD R9, Z24
	MOVL $1, R9
	VPBROADCASTD R9, Z25
loop:
	CMPQ CX, $16
	JLT tail
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS (DX), Z2
	VMOVUPS 64(DX), Z3
	POOL16
	VMOVUPS Z10, (DI)
	VMOVDQU32 Z11, (R8)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	ADDQ $64, R8
	VPADDD Z24, Z22, Z22
	SUBQ $16, CX
	JMP loop
tail:
	TESTQ CX, CX
	JLE done
	// 2n pixels of each row remain: lanes (1<<2n)-1 of the pair.
	MOVQ CX, R12
	MOVQ CX, R9
	ADDQ R9, R9
	MOVQ $1, R10
	MOVQ R9, CX
	SHLQ CX, R10
	DECQ R10
	KMOVW R10, K6
	SHRQ $16, R10
	KMOVW R10, K7
	VMOVUPS.Z (SI), K6, Z0
	VMOVUPS.Z 64(SI), K7, Z1
	VMOVUPS.Z (DX), K6, Z2
	VMOVUPS.Z 64(DX), K7, Z3
	POOL16
	MOVQ $1, R10
	MOVQ R12, CX
	SHLQ CX, R10
	DECQ R10
	KMOVW R10, K6
	VMOVUPS Z10, K6, (DI)
	VMOVDQU32 Z11, K6, (R8)
done:
	VZEROUPPER
	RET

// col2imAVX512 runs col2im's row adds for planes planes: each plane of x
// (xs floats) is cleared, then for each (col offset, x offset, length)
// triple of plan, in order, the run of col is added into the run of x,
// 16 floats a step, the last under a mask. The order of the adds is
// col2im's, so the sums are the Go loop's bit for bit. col moves on by cs
// floats a plane.
//
// func col2imAVX512(x, col *float32, plan *int32, entries, planes, xs, cs int)
TEXT ·col2imAVX512(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), DI
	MOVQ col+8(FP), SI
	MOVQ planes+32(FP), R12
	VPXORD Z1, Z1, Z1

cplane:
	TESTQ R12, R12
	JZ cdone
	// Clear the plane: xs floats from DI.
	MOVQ xs+40(FP), CX
	MOVQ DI, R8

cclear:
	CMPQ CX, $16
	JLT cclearTail
	VMOVUPS Z1, (R8)
	ADDQ $64, R8
	SUBQ $16, CX
	JMP cclear

cclearTail:
	TESTQ CX, CX
	JZ crows
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	VMOVUPS Z1, K1, (R8)

crows:
	MOVQ plan+16(FP), R9
	MOVQ entries+24(FP), R10

centry:
	TESTQ R10, R10
	JZ cnext
	MOVLQSX 0(R9), AX
	LEAQ (SI)(AX*4), R11
	MOVLQSX 4(R9), AX
	LEAQ (DI)(AX*4), R8
	MOVLQSX 8(R9), CX

crun:
	CMPQ CX, $16
	JLT crunTail
	VMOVUPS (R11), Z0
	VADDPS (R8), Z0, Z0
	VMOVUPS Z0, (R8)
	ADDQ $64, R11
	ADDQ $64, R8
	SUBQ $16, CX
	JMP crun

crunTail:
	TESTQ CX, CX
	JZ cent
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z (R8), K1, Z2
	VADDPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (R8)

cent:
	ADDQ $12, R9
	DECQ R10
	JMP centry

cnext:
	MOVQ xs+40(FP), AX
	LEAQ (DI)(AX*4), DI
	MOVQ cs+48(FP), AX
	LEAQ (SI)(AX*4), SI
	DECQ R12
	JMP cplane

cdone:
	VZEROUPPER
	RET
