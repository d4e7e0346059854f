package bench

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// jacobianWorkloads: the full Jacobian [m, n] of f(x) = tanh(A x), A
// [m, n], by forward mode (autograd.JacobianFwd: n JVPs, one per input
// direction) and by reverse mode (autograd.JacobianRev: one forward pass,
// then m backward passes, one per output), for a wide-input, narrow-
// output f and a narrow-input, wide-output one. The rows show the cost
// rule: forward mode pays per input, reverse per output. FLOPs count the
// matrix-vector products (2 per multiply-add; the tanh terms are O(m) per
// pass): forward n·(2mn + 2mn) (f and its tangent per direction),
// reverse 2mn + m·2mn (f once, Aᵀg per output). Moved counts A read
// once per product and the Jacobian written once: forward 2·n·mn + mn,
// reverse (m+1)·mn + mn.
func jacobianWorkloads() []Workload {
	var ws []Workload
	for _, shape := range []struct {
		in, out int // at Full scale
		small   [2]int
		tiny    [2]int
	}{
		{1024, 16, [2]int{128, 4}, [2]int{12, 3}},
		{16, 1024, [2]int{4, 128}, [2]int{3, 12}},
	} {
		for _, fwd := range []bool{true, false} {
			mode, how := "rev", "reverse mode: one forward pass, then one backward pass per output"
			if fwd {
				mode, how = "fwd", "forward mode: one JVP per input direction"
			}
			ws = append(ws, Workload{
				Group: "jacobian", Name: fmt.Sprintf("%s/in%d-out%d", mode, shape.in, shape.out), Bound: Overhead,
				Doc: "the Jacobian [m, n] of tanh(A x), A [m, n], by " + how +
					": FLOPs forward 4·m·n², reverse 2·m·n·(m+1); Moved forward 2·m·n² + m·n, reverse (m+2)·m·n",
				Size: func(s Scale) Size {
					n := pick(s, shape.in, shape.small[0], shape.tiny[0])
					m := pick(s, shape.out, shape.small[1], shape.tiny[1])
					mn := float64(m * n)
					flops, moved := 2*mn*float64(m+1), float64(m+2)*mn
					if fwd {
						flops, moved = 4*mn*float64(n), 2*mn*float64(n)+mn
					}
					return Size{
						Shape: fmt.Sprintf("%d -> %d", n, m), FLOPs: flops, Moved: moved,
						Setup: func(e *Env) Instance {
							a := autograd.Const(e.Normal(1/math.Sqrt(float64(n)), m, n))
							x := autograd.Const(e.Normal(1, n))
							f := func(x *autograd.Var) *autograd.Var { return a.MatMul(x).Tanh() }
							jac := autograd.JacobianRev
							if fwd {
								jac = autograd.JacobianFwd
							}
							var j *tensor.Tensor
							return Instance{Run: func() { j = jac(f, x).Value() }, Outputs: outs(&j)}
						},
					}
				},
			})
		}
	}
	return ws
}
