package autograd_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestMatMulTransposedOperandGrad checks the gradients of products whose
// operands are transposed views (Linear's x @ Wᵀ, and a transposed left
// operand): MatMul computes them in the operand's layout, and they must
// equal the plain products aᵀ g and g bᵀ bit for bit. The summed axis (300)
// is longer than one of the GEMM's K slices.
func TestMatMulTransposedOperandGrad(t *testing.T) {
	seed := testSeed(t)
	cpu := device.CPUDevice
	r := tensor.NewRNG(seed)
	const m, k, n = 300, 70, 50
	xt := r.Normal(cpu, device.Float32, 0, 1, k, m) // used transposed: [m, k]
	wt := r.Normal(cpu, device.Float32, 0, 1, n, k) // used transposed: [k, n]
	ct := r.Normal(cpu, device.Float32, 0, 1, m, n)
	x, w := autograd.Param(xt), autograd.Param(wt)
	x.T().MatMul(w.T()).Mul(autograd.Const(ct)).Sum(false).Backward()

	bits := func(ts *tensor.Tensor) []uint32 {
		out := []uint32{}
		for _, v := range ts.Float32s() {
			out = append(out, math.Float32bits(v))
		}
		return out
	}
	// dW = (xᵀ)ᵀ c, transposed to W's shape; dX = c W, transposed to X's.
	wantW := xt.MatMul(ct).T().Contiguous()
	wantX := ct.MatMul(wt).T().Contiguous()
	require.Equal(t, bits(wantW), bits(w.Grad()), "dW")
	require.Equal(t, bits(wantX), bits(x.Grad()), "dX")
	require.True(t, w.Grad().IsContiguous())
	require.True(t, x.Grad().IsContiguous())
}
