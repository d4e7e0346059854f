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
