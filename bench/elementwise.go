package bench

import (
	"fmt"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// elementwiseWorkloads: Add, Mul and every unary op of device's table
// over 1M elements, the ops training leans on over 16M too, and the
// [B, N] + [N] bias add. FLOPs are the table's per-element cost times n;
// Moved counts inputs and output once. Add and Mul draw from N(0, 1), a
// unary op from the domain of its table row (with the first of its test
// values of p).
func elementwiseWorkloads() []Workload {
	type op struct {
		name   string
		inputs int // 1 or 2
		flops  int
		draw   func(e *Env, r int) *tensor.Tensor
		f      func(a, b *tensor.Tensor) *tensor.Tensor
	}
	binary := func(o device.BinaryOp) op {
		return op{o.String(), 2, o.Info().FLOPs, func(e *Env, r int) *tensor.Tensor { return e.Normal(1, r, r) },
			func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.Binary(o, 0, a, b) }}
	}
	unary := func(u device.UnaryOp) op {
		in := u.Info()
		p := 0.0
		if len(in.Params) > 0 {
			p = in.Params[0]
		}
		return op{in.Name, 1, in.FLOPs, func(e *Env, r int) *tensor.Tensor { return e.Uniform(in.Domain.Lo, in.Domain.Hi, r, r) },
			func(a, _ *tensor.Tensor) *tensor.Tensor { return tensor.Unary(u, p, a) }}
	}
	all := []op{binary(device.Add), binary(device.Mul)}
	for _, u := range device.UnaryOps() {
		all = append(all, unary(u))
	}
	big := []op{binary(device.Add), binary(device.Mul), unary(device.Exp), unary(device.Tanh), unary(device.Sigmoid)}
	var ws []Workload
	for _, size := range []struct {
		name string
		rows int // the elements are rows×rows
		ops  []op
	}{{"1M", 1024, all}, {"16M", 4096, big}} {
		for _, o := range size.ops {
			ws = append(ws, Workload{
				Group: "elementwise", Name: o.name + "/" + size.name, Bound: Memory,
				Doc: fmt.Sprintf("y = %s over n contiguous elements: FLOPs %d·n, Moved %d·n", o.name, o.flops, o.inputs+1),
				Size: func(s Scale) Size {
					r := pick(s, size.rows, size.rows/8, 9)
					n := r * r
					return Size{
						Shape: fmt.Sprintf("%d", n), FLOPs: float64(o.flops * n), Moved: float64((o.inputs + 1) * n),
						Setup: func(e *Env) Instance {
							a := o.draw(e, r)
							b := a
							if o.inputs == 2 {
								b = o.draw(e, r)
							}
							var y *tensor.Tensor
							return Instance{Run: func() { replace(&y, func() *tensor.Tensor { return o.f(a, b) }) }, Outputs: outs(&y)}
						},
					}
				},
			})
		}
		ws = append(ws, Workload{
			Group: "elementwise", Name: "bias-add/" + size.name, Bound: Memory,
			Doc: "y = x + b with x [B, N] and b [N] broadcast over rows: FLOPs B·N, Moved 2·B·N + N",
			Size: func(s Scale) Size {
				r := pick(s, size.rows, size.rows/8, 9)
				return Size{
					Shape: fmt.Sprintf("%dx%d + %d", r, r, r), FLOPs: float64(r * r), Moved: float64(2*r*r + r),
					Setup: func(e *Env) Instance {
						x, b := e.Normal(1, r, r), e.Normal(1, r)
						var y *tensor.Tensor
						return Instance{Run: func() { replace(&y, func() *tensor.Tensor { return x.Add(b) }) }, Outputs: outs(&y)}
					},
				}
			},
		})
	}
	return ws
}

// reduceWorkloads: sums of a [R, C] matrix, whole, along rows and along
// columns (the bias gradient's shape): FLOPs R·C, Moved R·C + outputs.
func reduceWorkloads() []Workload {
	var ws []Workload
	for _, size := range []struct {
		name string
		rows int
	}{{"1M", 1024}, {"16M", 4096}} {
		for _, red := range []struct {
			name, what string
			axes       []int
			out        func(r, c int) int
		}{
			{"sum-all", "every element", []int{0, 1}, func(r, c int) int { return 1 }},
			{"sum-rows", "each row (axis 1)", []int{1}, func(r, c int) int { return r }},
			{"sum-cols", "each column (axis 0), the bias gradient", []int{0}, func(r, c int) int { return c }},
		} {
			ws = append(ws, Workload{
				Group: "reduce", Name: red.name + "/" + size.name, Bound: Memory,
				Doc: "sum of " + red.what + " of x [R, C]: FLOPs R·C, Moved R·C + outputs",
				Size: func(s Scale) Size {
					r := pick(s, size.rows, size.rows/8, 9)
					c := r + pick(s, 0, 0, 2)
					return Size{
						Shape: fmt.Sprintf("%dx%d", r, c), FLOPs: float64(r * c), Moved: float64(r*c + red.out(r, c)),
						Setup: func(e *Env) Instance {
							x := e.Normal(1, r, c)
							var y *tensor.Tensor
							return Instance{Run: func() { replace(&y, func() *tensor.Tensor { return x.Sum(false, red.axes...) }) }, Outputs: outs(&y)}
						},
					}
				},
			})
		}
	}
	for _, tk := range []struct{ rows, cols int }{{1000, 1000}, {10, 100000}} {
		ws = append(ws, topK(tk.rows, tk.cols))
	}
	return ws
}

// topKK is the k of the TopK rows: a few best of many, as in top-10
// accuracy or beam search.
const topKK = 10

// topK is TopK(10) along the rows of x [R, C]: values and Int32
// positions. Inputs come from N(0, 1) rounded to the run's dtype, so the
// reference ranks the same numbers and gives the same positions.
func topK(rows, cols int) Workload {
	return Workload{
		Group: "reduce", Name: fmt.Sprintf("topk%d/%dx%d", topKK, rows, cols), Bound: Memory,
		Doc: "the 10 largest of each row of x [R, C], in order, and their positions (torch.topk): FLOPs R·C (one compare per element), Moved R·C + 2·R·10",
		Size: func(s Scale) Size {
			r := pick(s, rows, max(rows/8, 2), 3)
			c := pick(s, cols, cols/8, 50)
			return Size{
				Shape: fmt.Sprintf("%dx%d", r, c), FLOPs: float64(r * c), Moved: float64(r*c + 2*r*topKK),
				Setup: func(e *Env) Instance {
					x := e.Normal(1, r, c)
					var v, i *tensor.Tensor
					return Instance{Run: func() { v, i = x.TopK(topKK, 1, true) }, Outputs: outs(&v, &i)}
				},
			}
		},
	}
}
