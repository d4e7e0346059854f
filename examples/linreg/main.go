// Command linreg fits y = w·x + b to noisy samples of y = 3x - 2 by
// gradient descent on the mean squared error, written with the tape, and
// compares the result with the closed-form least-squares solution: the
// "hello world" of automatic differentiation.
//
// Run it with `go run ./examples/linreg`.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// fit returns gradient descent's (w, b) and least squares' (w, b) on n
// samples drawn from seed.
func fit(out io.Writer, seed uint64, n, steps int) (w, b, lsW, lsB float64) {
	g := tensor.NewRNG(seed)
	xs := g.Uniform(device.CPUDevice, device.Float64, -1, 1, n)
	ys := xs.MulScalar(3).AddScalar(-2).Add(g.Normal(device.CPUDevice, device.Float64, 0, 0.1, n))
	x, y := autograd.Const(xs), autograd.Const(ys)
	wv := autograd.Param(tensor.NewScalar(0.0))
	bv := autograd.Param(tensor.NewScalar(0.0))
	const lr = 0.5
	for step := range steps {
		r := x.Mul(wv).Add(bv).Sub(y)
		loss := r.Mul(r).MeanWith(tensor.ReduceOptions{})
		autograd.ZeroGrad(wv, bv)
		loss.Backward()
		for _, p := range []*autograd.Var{wv, bv} {
			p.Value().Assign(p.Value().Sub(p.Grad().MulScalar(lr)))
		}
		if step%(steps/4) == 0 {
			fmt.Fprintf(out, "step %3d  mse %.5f  w %.4f  b %.4f\n", step, loss.Value().Item(), wv.Value().Item(), bv.Value().Item())
		}
	}
	// Least squares: w = cov(x, y)/var(x), b = mean(y) - w·mean(x).
	mx, my := xs.MeanWith(tensor.ReduceOptions{}).Item(), ys.MeanWith(tensor.ReduceOptions{}).Item()
	dx, dy := xs.AddScalar(-mx), ys.AddScalar(-my)
	lsW = dx.Mul(dy).SumWith(tensor.ReduceOptions{}).Item() / dx.Mul(dx).SumWith(tensor.ReduceOptions{}).Item()
	lsB = my - lsW*mx
	return wv.Value().Item(), bv.Value().Item(), lsW, lsB
}

func main() {
	w, b, lw, lb := fit(os.Stdout, 1, 200, 200)
	fmt.Printf("gradient descent: w %.6f  b %.6f\nleast squares:    w %.6f  b %.6f  (true: 3, -2)\n", w, b, lw, lb)
}
