package autograd_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// roundTo returns xs rounded to the half dtype h (nearest even), as
// float64s: the reference's view of an autocast operand.
func roundTo(h device.DType, xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if h == device.BFloat16 {
			out[i] = float64(device.BF16FromFloat32(x).Float32())
		} else {
			out[i] = float64(device.F16FromFloat32(x).Float32())
		}
	}
	return out
}

// matmul64 returns the [m,n] product of row-major a [m,k] and b [k,n], in
// float64; ta/tb read a or b as the transpose of a stored [k,m] / [n,k].
func matmul64(a, b []float64, m, k, n int, ta, tb bool) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				av, bv := a[i*k+p], b[p*n+j]
				if ta {
					av = a[p*m+i]
				}
				if tb {
					bv = b[j*k+p]
				}
				s += av * bv
			}
			out[i*n+j] = s
		}
	}
	return out
}

// requireNear compares got with want element by element within tol
// relative to want's largest magnitude (float32 accumulation error).
func requireNear(t *testing.T, want []float64, got []float32, tol float64, msg string) {
	t.Helper()
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	require.Len(t, got, len(want), msg)
	for i := range want {
		require.InDelta(t, want[i], float64(got[i]), tol*scale, "%s: element %d", msg, i)
	}
}

// TestAutocastMatMul checks a product under autocast, forward, backward
// and forward mode, against float64 references that round the operands
// (and the incoming gradient or tangent) to the half dtype: the result
// and every gradient are float32, and they are not the float32 product's
// (the rounding happened).
func TestAutocastMatMul(t *testing.T) {
	seed := testSeed(t)
	cpu := device.CPUDevice
	const m, k, n = 7, 33, 5
	for _, h := range []device.DType{device.BFloat16, device.Float16} {
		t.Run(h.String(), func(t *testing.T) {
			r := tensor.NewRNG(seed)
			xt := r.Normal(cpu, device.Float32, 0, 1, m, k)
			wt := r.Normal(cpu, device.Float32, 0, 1, n, k) // used transposed, as Linear does
			ct := r.Normal(cpu, device.Float32, 0, 1, m, n)
			x, w := autograd.Param(xt), autograd.Param(wt)
			y := autograd.Autocast(x, h).MatMul(w.T())
			require.Equal(t, device.Float32, y.DType())
			require.Equal(t, h, y.AutocastDType())

			xr, wr, cr := roundTo(h, xt.Float32s()), roundTo(h, wt.Float32s()), roundTo(h, ct.Float32s())
			want := matmul64(xr, wr, m, k, n, false, true)
			requireNear(t, want, y.Value().Float32s(), 1e-6, "forward")
			plain := matmul64(xt.Float64s(), wt.Float64s(), m, k, n, false, true)
			diff := 0.0
			for i, v := range y.Value().Float64s() {
				diff = max(diff, math.Abs(v-plain[i]))
			}
			require.Greater(t, diff, 1e-4, "the product was not rounded to %v", h)

			y.Mul(autograd.Const(ct)).Sum(false).Backward()
			require.Equal(t, device.Float32, x.Grad().DType())
			require.Equal(t, device.Float32, w.Grad().DType())
			// dx = c w, dw = cᵀ x, with c, w and x rounded.
			requireNear(t, matmul64(cr, wr, m, n, k, false, false), x.Grad().Float32s(), 1e-6, "dx")
			requireNear(t, matmul64(cr, xr, n, m, k, true, false), w.Grad().Float32s(), 1e-6, "dw")

			// Forward mode: the tangent along tx is round(tx) round(w)ᵀ.
			tx := r.Normal(cpu, device.Float32, 0, 1, m, k)
			_, tan := autograd.JVP(func(xs []*autograd.Var) *autograd.Var {
				return autograd.Autocast(xs[0], h).MatMul(xs[1].T())
			}, []*autograd.Var{autograd.Const(xt), autograd.Const(wt)}, []*autograd.Var{autograd.Const(tx), nil})
			requireNear(t, matmul64(roundTo(h, tx.Float32s()), wr, m, k, n, false, true), tan.Value().Float32s(), 1e-6, "tangent")
		})
	}
}

// TestAutocastMark checks how the mark travels: through any op to its
// output, through NoGrad and Detach, off with Float32; gradients reach
// the marked Var's Param; float64 products are never rounded.
func TestAutocastMark(t *testing.T) {
	seed := testSeed(t)
	cpu := device.CPUDevice
	r := tensor.NewRNG(seed)
	x := autograd.Const(r.Normal(cpu, device.Float32, 0, 1, 4, 6))
	w := autograd.Param(r.Normal(cpu, device.Float32, 0, 1, 6, 3))
	ax := autograd.Autocast(x, device.BFloat16)
	require.Equal(t, device.Float32, x.AutocastDType(), "Autocast changed its argument")
	h := ax.MulScalar(2).ReLU().Sum(true, 1)
	require.Equal(t, device.BFloat16, h.AutocastDType())
	require.Equal(t, device.BFloat16, w.Add(h.Mean(false)).AutocastDType(), "an op with a marked second input")
	require.Equal(t, device.BFloat16, autograd.NoGrad(ax).ReLU().AutocastDType())
	require.Equal(t, device.BFloat16, ax.Detach().AutocastDType())
	off := autograd.Autocast(ax, device.Float32)
	require.Equal(t, device.Float32, off.AutocastDType())
	require.Equal(t, x.Value().MatMul(w.Value()).Float32s(), off.MatMul(w).Value().Float32s())

	// The Param behind an Autocast Var gets its gradient.
	pw := autograd.Autocast(w, device.Float16)
	autograd.Const(x.Value()).MatMul(pw).Sum(false).Backward()
	require.NotNil(t, w.Grad())
	require.Equal(t, device.Float32, w.Grad().DType())

	x64 := autograd.Autocast(autograd.Const(x.Value().Cast(device.Float64)), device.BFloat16)
	w64 := autograd.Const(w.Value().Cast(device.Float64))
	require.Equal(t, x64.Value().MatMul(w64.Value()).Float64s(), x64.MatMul(w64).Value().Float64s())

	// AllowTF32's mark travels the same way; the CPU has no TF32 mode, so
	// the product stays exact float32 there.
	tx := autograd.AllowTF32(x, true)
	require.True(t, tx.Exp().Add(x).TF32Allowed())
	require.False(t, x.TF32Allowed())
	require.False(t, autograd.AllowTF32(tx, false).TF32Allowed())
	require.True(t, autograd.Autocast(tx, device.BFloat16).TF32Allowed())
	require.Equal(t, x.Value().MatMul(w.Value()).Float32s(), tx.MatMul(w).Value().Float32s())

	require.Panics(t, func() { autograd.Autocast(x, device.Int32) })
	require.Panics(t, func() { autograd.Autocast(x, device.Float64) })
}

// TestAutocastSecondOrder checks that a product under autocast is
// differentiable twice (CreateGraph): the Hessian-vector product of
// sum((x w)²)/2 in w along v is xᵀ x v, computed with rounded operands.
func TestAutocastSecondOrder(t *testing.T) {
	seed := testSeed(t)
	cpu := device.CPUDevice
	r := tensor.NewRNG(seed)
	xt := r.Normal(cpu, device.Float32, 0, 1, 5, 4)
	w := autograd.Param(r.Normal(cpu, device.Float32, 0, 1, 4, 3))
	v := r.Normal(cpu, device.Float32, 0, 1, 4, 3)
	y := autograd.Autocast(autograd.Const(xt), device.BFloat16).MatMul(w)
	g := autograd.Grad([]*autograd.Var{y.Mul(y).Sum(false).MulScalar(0.5)}, []*autograd.Var{w}, autograd.GradOptions{CreateGraph: true})[0]
	hv := autograd.Grad([]*autograd.Var{g.Mul(autograd.Const(v)).Sum(false)}, []*autograd.Var{w}, autograd.GradOptions{})[0]
	xx := matmul64(xt.Float64s(), xt.Float64s(), 4, 5, 4, true, false)
	want := matmul64(xx, v.Float64s(), 4, 4, 3, false, false)
	requireNear(t, want, hv.Value().Float32s(), 2e-2, "Hessian-vector product")
}

// Autocast in one line around a forward pass: the layer's product runs
// in bfloat16 with float32 accumulation, the rest in float32, and the
// parameters and their gradients stay float32.
func ExampleAutocast() {
	x := tensor.New([]float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 2, 3)
	w := autograd.Param(tensor.New([]float32{1, -1, 1, 2, 1, 1}, 3, 2))
	labels := tensor.New([]int32{1, 0})

	logits := autograd.Autocast(autograd.Const(x), device.BFloat16).MatMul(w)
	loss := autograd.CrossEntropy(logits, labels, 0).Mean(false)
	loss.Backward()

	fmt.Println(logits.DType(), loss.DType(), w.Grad().DType())
	// 0.1, 0.2 and 0.3 round up in bfloat16 (0.10009765625, ...): the
	// product saw them, the float32 one did not.
	fmt.Printf("%.6f %.6f\n", logits.Value().At(0, 0), x.MatMul(w.Value()).At(0, 0))
	// Output:
	// float32 float32 float32
	// 0.601074 0.600000
}
