// Command autodiff works the textbook examples of automatic
// differentiation with tapegrad's tape, printing each value and gradient
// next to what the calculus gives by hand:
//
//   - partial derivatives of f(x, y) = x²y + y³ at (3, 2);
//   - the chain rule through a small graph: f(x) = exp(-(2x+1)²);
//   - accumulation when a value is used twice: f(x) = x·x + x;
//   - micrograd's two test expressions (its test_engine.py), whose values
//     and gradients Karpathy's reference prints;
//   - a second derivative by differentiating the gradient (CreateGraph).
//
// Run it with `go run ./examples/autodiff`. Everything is float64 on the
// CPU; the same code runs on any device.
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/tapegrad/tapegrad/autograd"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// scalar makes a float64 scalar that requires grad.
func scalar(v float64) *autograd.Var { return autograd.Param(tensor.NewScalar(v)) }

// result is one worked example: named quantities, computed and expected.
type result struct {
	name       string
	got, wants []float64
	labels     []string
}

// partials: f(x, y) = x²y + y³; ∂f/∂x = 2xy, ∂f/∂y = x² + 3y².
func partials() result {
	x, y := scalar(3), scalar(2)
	f := x.Mul(x).Mul(y).Add(y.Pow(3))
	f.Backward()
	return result{"partial derivatives of x²y + y³ at (3, 2)",
		[]float64{f.Value().Item(), x.Grad().Item(), y.Grad().Item()},
		[]float64{26, 12, 9 + 12},
		[]string{"f", "∂f/∂x = 2xy", "∂f/∂y = x² + 3y²"}}
}

// chain: f(x) = exp(-u²), u = 2x + 1; f' = exp(-u²)·(-2u)·2.
func chain() result {
	const x0 = 0.3
	x := scalar(x0)
	u := x.MulScalar(2).AddScalar(1)
	f := u.Mul(u).Neg().Exp()
	f.Backward()
	u0 := 2*x0 + 1
	return result{"the chain rule through exp(-(2x+1)²) at x = 0.3",
		[]float64{f.Value().Item(), x.Grad().Item()},
		[]float64{math.Exp(-u0 * u0), math.Exp(-u0*u0) * (-2 * u0) * 2},
		[]string{"f", "df/dx = exp(-u²)·(-2u)·2"}}
}

// twoPaths: f(x) = x·x + x uses x three times; the gradients of every use
// add up: 2x + 1.
func twoPaths() result {
	x := scalar(5)
	f := x.Mul(x).Add(x)
	f.Backward()
	return result{"accumulation over the uses of x in x·x + x at 5",
		[]float64{f.Value().Item(), x.Grad().Item()},
		[]float64{30, 11},
		[]string{"f", "df/dx = 2x + 1"}}
}

// microgradSanity is micrograd's test_sanity_check.
func microgradSanity() result {
	x := scalar(-4)
	z := x.MulScalar(2).AddScalar(2).Add(x)
	q := z.ReLU().Add(z.Mul(x))
	h := z.Mul(z).ReLU()
	y := h.Add(q).Add(q.Mul(x))
	y.Backward()
	return result{"micrograd's sanity check",
		[]float64{y.Value().Item(), x.Grad().Item()},
		[]float64{-20, 46},
		[]string{"y", "dy/dx"}}
}

// microgradMoreOps is micrograd's test_more_ops.
func microgradMoreOps() result {
	a, b := scalar(-4), scalar(2)
	c := a.Add(b)
	d := a.Mul(b).Add(b.Pow(3))
	c = c.Add(c.AddScalar(1))
	c = c.Add(c.AddScalar(1).Sub(a))
	d = d.Add(d.MulScalar(2).Add(b.Add(a).ReLU()))
	d = d.Add(d.MulScalar(3).Add(b.Sub(a).ReLU()))
	e := c.Sub(d)
	f := e.Pow(2)
	g := f.DivScalar(2)
	g = g.Add(f.RDivScalar(10))
	g.Backward()
	return result{"micrograd's more-ops test",
		[]float64{g.Value().Item(), a.Grad().Item(), b.Grad().Item()},
		[]float64{24.70408163265306, 138.83381924198252, 645.5772594752186},
		[]string{"g", "dg/da", "dg/db"}}
}

// secondDerivative: f(x) = x³; f” = 6x, by differentiating the gradient.
func secondDerivative() result {
	x := scalar(1.5)
	f := x.Pow(3)
	g := autograd.Grad([]*autograd.Var{f}, []*autograd.Var{x}, autograd.GradOptions{CreateGraph: true})[0]
	gg := autograd.Grad([]*autograd.Var{g}, []*autograd.Var{x}, autograd.GradOptions{})[0]
	return result{"a second derivative: x³ at 1.5",
		[]float64{g.Value().Item(), gg.Value().Item()},
		[]float64{3 * 1.5 * 1.5, 6 * 1.5},
		[]string{"f' = 3x²", "f'' = 6x"}}
}

// examples lists them in order.
var examples = []func() result{partials, chain, twoPaths, microgradSanity, microgradMoreOps, secondDerivative}

// run prints every example and returns the largest relative error
// against the expected values.
func run(w io.Writer) float64 {
	worst := 0.0
	for _, ex := range examples {
		r := ex()
		fmt.Fprintln(w, r.name)
		for i, got := range r.got {
			rel := math.Abs(got-r.wants[i]) / math.Max(1, math.Abs(r.wants[i]))
			worst = math.Max(worst, rel)
			fmt.Fprintf(w, "  %-26s %22.15g   by hand %22.15g\n", r.labels[i], got, r.wants[i])
		}
	}
	return worst
}

func main() {
	if worst := run(os.Stdout); worst > 1e-12 {
		fmt.Fprintf(os.Stderr, "autodiff: a result is off by %g (relative)\n", worst)
		os.Exit(1)
	}
}
