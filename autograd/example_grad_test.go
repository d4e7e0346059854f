package autograd_test

import (
	"fmt"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/tensor"
)

// Grad of grad: with CreateGraph the backward pass is recorded, so the
// gradient is itself a Var that can be differentiated again.
func ExampleGrad() {
	x := autograd.Param(tensor.New([]float64{1, 2, 3}))
	all := tensor.ReduceOptions{}
	y := x.Pow(3).Add(x.MulScalar(2)).SumWith(all) // Σ x³ + 2x

	dy := autograd.Grad([]*autograd.Var{y}, []*autograd.Var{x}, autograd.GradOptions{CreateGraph: true})[0]
	fmt.Println(dy.Value().Float64s()) // 3x² + 2

	d2y := autograd.Grad([]*autograd.Var{dy.SumWith(all)}, []*autograd.Var{x}, autograd.GradOptions{})[0]
	fmt.Println(d2y.Value().Float64s()) // 6x
	// Output:
	// [5 14 29]
	// [6 12 18]
}
