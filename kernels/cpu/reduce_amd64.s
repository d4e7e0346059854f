//go:build !purego

#include "textflag.h"

// The float sum kernels of reduce_sum.go on AVX (no FMA, no AVX2 needed).
// The lanes kernels keep the eight lanes of a block's sum in two ymm
// registers (lanes 0-3 and 4-7), so lane j gets x[8i+j] in order, as
// lanesGo adds them: the two dependent VADDPD chains cover 8 elements per
// add latency. The vec kernels add x into acc elementwise, four at a time.
// VCVTPS2PD widens four float32s exactly.

// func lanesF32AVX(acc *[8]float64, x []float32)
TEXT ·lanesF32AVX(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), AX
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	SHRQ $3, CX
	JZ lanes32done
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
lanes32loop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	ADDQ $32, SI
	DECQ CX
	JNZ lanes32loop
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
	VZEROUPPER
lanes32done:
	RET

// func lanesF64AVX(acc *[8]float64, x []float64)
TEXT ·lanesF64AVX(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), AX
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	SHRQ $3, CX
	JZ lanes64done
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
lanes64loop:
	VADDPD (SI), Y0, Y0
	VADDPD 32(SI), Y1, Y1
	ADDQ $64, SI
	DECQ CX
	JNZ lanes64loop
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
	VZEROUPPER
lanes64done:
	RET

// func vecF32AVX(acc []float64, x []float32)
TEXT ·vecF32AVX(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SHRQ $2, CX
	JZ vec32done
vec32loop:
	VCVTPS2PD (SI), Y0
	VADDPD (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ vec32loop
	VZEROUPPER
vec32done:
	RET

// func vecF64AVX(acc []float64, x []float64)
TEXT ·vecF64AVX(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SHRQ $2, CX
	JZ vec64done
vec64loop:
	VMOVUPD (SI), Y0
	VADDPD (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ vec64loop
	VZEROUPPER
vec64done:
	RET

// func vecF32AVX512(acc []float64, x []float32)
TEXT ·vecF32AVX512(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
v32x16:
	CMPQ CX, $16
	JLT v32x4
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VADDPD (DI), Z0, Z0
	VADDPD 64(DI), Z1, Z1
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $16, CX
	JMP v32x16
v32x4:
	CMPQ CX, $4
	JLT v32done
	VCVTPS2PD (SI), Y0
	VADDPD (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP v32x4
v32done:
	VZEROUPPER
	RET

// func vecF64AVX512(acc []float64, x []float64)
TEXT ·vecF64AVX512(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
v64x16:
	CMPQ CX, $16
	JLT v64x4
	VMOVUPD (SI), Z0
	VMOVUPD 64(SI), Z1
	VADDPD (DI), Z0, Z0
	VADDPD 64(DI), Z1, Z1
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $16, CX
	JMP v64x16
v64x4:
	CMPQ CX, $4
	JLT v64done
	VMOVUPD (SI), Y0
	VADDPD (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP v64x4
v64done:
	VZEROUPPER
	RET

// COLROW adds the 16 floats at off(ptr), widened, to lane registers lo
// and hi.
#define COLROW(ptr, lo, hi) \
	VCVTPS2PD (ptr), Z16; \
	VCVTPS2PD 32(ptr), Z17; \
	VADDPD Z16, lo, lo; \
	VADDPD Z17, hi, hi

// func colLanesF32AVX512(lanes []float64, width int, x []float32, stride, rows, cols int)
//
// For each strip of 16 columns c (cols a multiple of 16): the 8 lanes of
// its 16 outputs (lane j of output c at lanes[j*width+c]) are loaded into
// Z0..Z15, rows 8k+j (j = 0..7; rows a multiple of 8) of x (row r at
// x[r*stride:]) are added to lane j in row order, and the lanes stored.
TEXT ·colLanesF32AVX512(SB), NOSPLIT, $0-80
	MOVQ lanes_base+0(FP), DI
	MOVQ width+24(FP), DX
	SHLQ $3, DX // lane pitch in bytes
	MOVQ x_base+32(FP), R10
	MOVQ stride+56(FP), BX
	SHLQ $2, BX // row pitch in bytes
	LEAQ (BX)(BX*2), R8 // 3 rows
	MOVQ cols+72(FP), R11
	SHRQ $4, R11
	JZ cldone
clstrip:
	MOVQ DI, AX
	VMOVUPD (AX), Z0
	VMOVUPD 64(AX), Z1
	ADDQ DX, AX
	VMOVUPD (AX), Z2
	VMOVUPD 64(AX), Z3
	ADDQ DX, AX
	VMOVUPD (AX), Z4
	VMOVUPD 64(AX), Z5
	ADDQ DX, AX
	VMOVUPD (AX), Z6
	VMOVUPD 64(AX), Z7
	ADDQ DX, AX
	VMOVUPD (AX), Z8
	VMOVUPD 64(AX), Z9
	ADDQ DX, AX
	VMOVUPD (AX), Z10
	VMOVUPD 64(AX), Z11
	ADDQ DX, AX
	VMOVUPD (AX), Z12
	VMOVUPD 64(AX), Z13
	ADDQ DX, AX
	VMOVUPD (AX), Z14
	VMOVUPD 64(AX), Z15
	MOVQ R10, SI
	MOVQ rows+64(FP), CX
	SHRQ $3, CX
	JZ clstore
clrows:
	COLROW(SI, Z0, Z1)
	LEAQ (SI)(BX*1), R9
	COLROW(R9, Z2, Z3)
	LEAQ (SI)(BX*2), R9
	COLROW(R9, Z4, Z5)
	LEAQ (SI)(R8*1), R9
	COLROW(R9, Z6, Z7)
	LEAQ (SI)(BX*4), SI
	COLROW(SI, Z8, Z9)
	LEAQ (SI)(BX*1), R9
	COLROW(R9, Z10, Z11)
	LEAQ (SI)(BX*2), R9
	COLROW(R9, Z12, Z13)
	LEAQ (SI)(R8*1), R9
	COLROW(R9, Z14, Z15)
	LEAQ (SI)(BX*4), SI
	DECQ CX
	JNZ clrows
clstore:
	MOVQ DI, AX
	VMOVUPD Z0, (AX)
	VMOVUPD Z1, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z2, (AX)
	VMOVUPD Z3, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z4, (AX)
	VMOVUPD Z5, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z6, (AX)
	VMOVUPD Z7, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z8, (AX)
	VMOVUPD Z9, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z10, (AX)
	VMOVUPD Z11, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z12, (AX)
	VMOVUPD Z13, 64(AX)
	ADDQ DX, AX
	VMOVUPD Z14, (AX)
	VMOVUPD Z15, 64(AX)
	ADDQ $128, DI
	ADDQ $64, R10
	DECQ R11
	JNZ clstrip
cldone:
	VZEROUPPER
	RET
