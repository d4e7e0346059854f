package bench

import (
	"fmt"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// gemmWorkloads: C = op(A) @ op(B), FLOPs 2·M·N·K, Moved M·K + K·N + M·N.
func gemmWorkloads() []Workload {
	var ws []Workload
	for _, n := range []int{256, 512, 1024, 2048} {
		ws = append(ws, gemm(fmt.Sprintf("n=%d", n), "square", false, false,
			func(s Scale) (int, int, int) { n := pick(s, n, n/8, n/64+3); return n, n, n }))
	}
	for _, p := range gemmPrecisions {
		for _, n := range []int{256, 512, 1024, 2048} {
			ws = append(ws, gemmLowPrecision(n, p))
		}
	}
	for _, t := range []struct {
		name   string
		ta, tb bool
	}{{"tn", true, false}, {"nt", false, true}, {"tt", true, true}} {
		ws = append(ws, gemm("n=1024/"+t.name, "square, "+t.name, t.ta, t.tb,
			func(s Scale) (int, int, int) { n := pick(s, 1024, 128, 19); return n, n, n }))
	}
	// The MLP's first layer, y = x·Wᵀ with x [128, 784] and W [256, 784],
	// and the two products of its backward pass.
	mlp := func(m, n, k int) func(Scale) (int, int, int) {
		return func(s Scale) (int, int, int) {
			d := pick(s, 1, 4, 32)
			return max(m/d, 3), max(n/d, 3), max(k/d, 3)
		}
	}
	// The same layer on one sample: matrix-vector products.
	one := func(n, k int) func(Scale) (int, int, int) {
		return func(s Scale) (int, int, int) { _, n, k := mlp(1, n, k)(s); return 1, n, k }
	}
	ws = append(ws,
		gemm("mlp-fwd", "x·Wᵀ, the MLP's first layer", false, true, mlp(128, 256, 784)),
		gemm("mlp-dw", "xᵀ·dy, its weight gradient", true, false, mlp(784, 256, 128)),
		gemm("mlp-dx", "dy·W, its input gradient", false, false, mlp(128, 784, 256)),
		gemm("mlp-fwd-b1", "x·Wᵀ, the MLP's first layer on one sample", false, true, one(256, 784)),
		gemm("mlp-dx-b1", "dy·W, its input gradient on one sample", false, false, one(784, 256)))
	ws = append(ws, Workload{
		Group: "gemm", Name: "batched", Bound: Compute,
		Doc: "C[b] = A[b] @ B[b] for b < B: FLOPs 2·B·M·N·K, Moved B·(M·K + K·N + M·N)",
		Size: func(s Scale) Size {
			b, n := pick(s, 32, 8, 3), pick(s, 128, 32, 6)
			return Size{
				Shape: fmt.Sprintf("%dx%dx%d @ %dx%dx%d", b, n, n, b, n, n),
				FLOPs: 2 * float64(b*n*n*n), Moved: 3 * float64(b*n*n),
				Setup: func(e *Env) Instance {
					x, y := e.Normal(1, b, n, n), e.Normal(1, b, n, n)
					var c *tensor.Tensor
					return Instance{Run: func() { replace(&c, func() *tensor.Tensor { return x.MatMul(y) }) }, Outputs: outs(&c)}
				},
			}
		},
	})
	return ws
}

// gemm is an M×K by K×N product whose operands are transposed views (no
// copy) when ta or tb; dims gives M, N, K at each scale.
func gemm(name, what string, ta, tb bool, dims func(Scale) (m, n, k int)) Workload {
	return Workload{
		Group: "gemm", Name: name, Bound: Compute,
		Doc: "C = op(A) @ op(B), " + what + ": FLOPs 2·M·N·K, Moved M·K + K·N + M·N",
		Size: func(s Scale) Size {
			m, n, k := dims(s)
			return Size{
				Shape: fmt.Sprintf("%dx%d%s @ %dx%d%s", m, k, tmark(ta), k, n, tmark(tb)),
				FLOPs: 2 * float64(m*n*k), Moved: float64(m*k + k*n + m*n),
				Setup: func(e *Env) Instance {
					a, b := operand(e, m, k, ta), operand(e, k, n, tb)
					var c *tensor.Tensor
					return Instance{Run: func() { replace(&c, func() *tensor.Tensor { return a.MatMul(b) }) }, Outputs: outs(&c)}
				},
			}
		},
	}
}

// operand returns an r×c input, stored transposed (c×r) when t.
func operand(e *Env, r, c int, t bool) *tensor.Tensor {
	if t {
		return e.Normal(1, c, r).T()
	}
	return e.Normal(1, r, c)
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

// gemmPrecision is a reduced-precision product of float32 data: the
// operands rounded to in (BFloat16, Float16) with a float32 C, or float32
// operands in TF32 mode (tensor cores; PyTorch's allow_tf32).
type gemmPrecision struct {
	name string
	in   device.DType // Float32 for TF32
	// tol is the row's relative error bound against the float64 product
	// of the same inputs rounded to in (TF32 rounds inside the product,
	// so its reference has the float32 inputs).
	tol float64
}

// gemmPrecisions are the precision rows of the square GEMMs. Tolerances:
// bf16 and f16 inputs are the reference's too, and tapegrad accumulates
// and returns float32 (error ~1e-6), but PyTorch's bf16/f16 products on
// the CPU round C to the inputs' dtype: 2⁻⁸ and 2⁻¹¹ of the largest
// element, with room. TF32 rounds each input by up to 2⁻¹¹ (relative), so
// a product by 2⁻¹⁰; with random signs the normwise error of a sum stays
// near 2⁻¹¹ ≈ 5e-4.
var gemmPrecisions = []gemmPrecision{
	{"bf16", device.BFloat16, 1e-2},
	{"f16", device.Float16, 2e-3},
	{"tf32", device.Float32, 4e-3},
}

// gemmLowPrecision is the square n×n GEMM in precision p. Its float64
// runs (the reference, and a float64 target) compute the same rounded
// inputs in float64. Where there are no tensor cores (the CPU, GPUs below
// compute 8.0, cudasim as it reports 7.0) bf16/f16 products accumulate in
// float32 all the same, and TF32 is ignored. Moved counts float32
// elements: the half operands weigh half each. The ceiling percentage is
// against the float32 FMA probe, which tensor cores can pass.
func gemmLowPrecision(n int, p gemmPrecision) Workload {
	moved, movedDoc := 3.0, "3·N²"
	if p.in.IsHalf() {
		moved, movedDoc = 2, "2·N² float32 elements (a half operand weighs N²/2)"
	}
	return Workload{
		Group: "gemm", Name: fmt.Sprintf("n=%d/%s", n, p.name), Bound: Compute, Tol: p.tol,
		Doc: "C = A @ B in " + p.name + ", float32 C: FLOPs 2·N³, Moved " + movedDoc,
		Size: func(s Scale) Size {
			n := pick(s, n, n/8, n/64+3)
			return Size{
				Shape: fmt.Sprintf("%dx%d @ %dx%d %s", n, n, n, n, p.name),
				FLOPs: 2 * float64(n*n*n), Moved: moved * float64(n*n),
				Setup: func(e *Env) Instance {
					a, b := e.Normal(1, n, n), e.Normal(1, n, n)
					var c *tensor.Tensor
					switch {
					case e.DType == device.Float64:
						if p.in.IsHalf() {
							a, b = a.Cast(p.in).Cast(device.Float64), b.Cast(p.in).Cast(device.Float64)
						}
						return Instance{Run: func() { replace(&c, func() *tensor.Tensor { return a.MatMul(b) }) }, Outputs: outs(&c)}
					case p.in.IsHalf():
						a, b = a.Cast(p.in), b.Cast(p.in)
					}
					o := tensor.MatMulOptions{Float32Out: p.in.IsHalf(), TF32: !p.in.IsHalf()}
					return Instance{Run: func() { replace(&c, func() *tensor.Tensor { return a.MatMulWith(b, o) }) }, Outputs: outs(&c)}
				},
			}
		},
	}
}
