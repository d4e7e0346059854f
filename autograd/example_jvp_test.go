package autograd_test

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// Forward mode: f(x) and its directional derivative J v in one pass.
func ExampleJVP() {
	x := autograd.Const(tensor.New([]float64{1, 2, 3}))
	v := autograd.Const(tensor.New([]float64{1, 0, -1}))
	f := func(xs []*autograd.Var) *autograd.Var { return xs[0].Mul(xs[0]).SumWith(tensor.ReduceOptions{}) } // Σx²
	y, jv := autograd.JVP(f, []*autograd.Var{x}, []*autograd.Var{v})
	fmt.Println(y.Value().Item(), jv.Value().Item()) // 2x·v = 2 - 6
	// Output: 14 -4
}

// Jacobian picks the mode from the shapes; Hessian and HVP go forward
// over reverse.
func ExampleHessian() {
	x := autograd.Const(tensor.New([]float64{1, 2}))
	a := autograd.Const(tensor.New([]float64{2, 1, 0, 3}, 2, 2))
	fmt.Println(autograd.Jacobian(func(x *autograd.Var) *autograd.Var { return a.MatMul(x) }, x).Value().Float64s())
	f := func(x *autograd.Var) *autograd.Var { return x.Pow(3).SumWith(tensor.ReduceOptions{}) } // Σx³: H = diag(6x)
	fmt.Println(autograd.Hessian(f, x).Value().Float64s())
	fmt.Println(autograd.HVP(f, x, autograd.Const(tensor.New([]float64{1, 1}))).Value().Float64s())
	// Output:
	// [2 1 0 3]
	// [6 0 0 12]
	// [6 12]
}
