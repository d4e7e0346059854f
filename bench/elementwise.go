package bench

import (
	"fmt"

	"github.com/tapegrad/tapegrad/tensor"
)

// elementwiseWorkloads: unary and binary ops over 1M and 16M elements and
// the [B, N] + [N] bias add. FLOPs count one per element (the ops are
// memory-bound, whatever exp costs); Moved counts inputs and output once.
func elementwiseWorkloads() []Workload {
	type op struct {
		name   string
		inputs int // 1 or 2
		std    float64
		f      func(a, b *tensor.Tensor) *tensor.Tensor
	}
	ops := []op{
		{"add", 2, 1, (*tensor.Tensor).Add},
		{"mul", 2, 1, (*tensor.Tensor).Mul},
		{"exp", 1, 1, func(a, _ *tensor.Tensor) *tensor.Tensor { return a.Exp() }},
		{"tanh", 1, 2, func(a, _ *tensor.Tensor) *tensor.Tensor { return a.Tanh() }},
		{"sigmoid", 1, 2, func(a, _ *tensor.Tensor) *tensor.Tensor { return a.Sigmoid() }},
	}
	var ws []Workload
	for _, size := range []struct {
		name string
		rows int // the elements are rows×rows
	}{{"1M", 1024}, {"16M", 4096}} {
		for _, o := range ops {
			ws = append(ws, Workload{
				Group: "elementwise", Name: o.name + "/" + size.name, Bound: Memory,
				Doc: fmt.Sprintf("y = %s over n contiguous elements: FLOPs n, Moved %d·n", o.name, o.inputs+1),
				Size: func(s Scale) Size {
					r := pick(s, size.rows, size.rows/8, 9)
					n := r * r
					return Size{
						Shape: fmt.Sprintf("%d", n), FLOPs: float64(n), Moved: float64((o.inputs + 1) * n),
						Setup: func(e *Env) Instance {
							a := e.Normal(o.std, r, r)
							b := a
							if o.inputs == 2 {
								b = e.Normal(o.std, r, r)
							}
							var y *tensor.Tensor
							return Instance{Run: func() { y = o.f(a, b) }, Outputs: outs(&y)}
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
						return Instance{Run: func() { y = x.Add(b) }, Outputs: outs(&y)}
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
							return Instance{Run: func() { y = x.Sum(false, red.axes...) }, Outputs: outs(&y)}
						},
					}
				},
			})
		}
	}
	return ws
}
