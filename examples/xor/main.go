// Command xor trains a small network that needs its hidden layer: a
// 2-16-1 perceptron learning exclusive or, with tanh, a sigmoid output,
// binary cross-entropy and plain gradient descent, written with the tape
// directly (no nn package), the way the textbooks do it.
//
// Run it with `go run ./examples/xor`.
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

// train fits XOR for steps steps from seed and returns the network's four
// outputs after training.
func train(w io.Writer, seed uint64, steps int) []float64 {
	g := tensor.NewRNG(seed)
	x := autograd.Const(tensor.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2))
	y := autograd.Const(tensor.New([]float64{0, 1, 1, 0}, 4, 1))
	w1 := autograd.Param(g.Normal(device.CPUDevice, device.Float64, 0, 1, 2, 16))
	b1 := autograd.Param(tensor.Zeros(device.CPUDevice, device.Float64, 16))
	w2 := autograd.Param(g.Normal(device.CPUDevice, device.Float64, 0, 0.5, 16, 1))
	b2 := autograd.Param(tensor.Zeros(device.CPUDevice, device.Float64, 1))
	params := []*autograd.Var{w1, b1, w2, b2}
	forward := func() *autograd.Var {
		return x.MatMul(w1).Add(b1).Tanh().MatMul(w2).Add(b2).Sigmoid()
	}
	const lr = 0.5
	for step := range steps {
		p := forward()
		// Binary cross-entropy, -mean(y log p + (1-y) log(1-p)).
		one := p.Neg().AddScalar(1)
		loss := y.Mul(p.Log()).Add(y.Neg().AddScalar(1).Mul(one.Log())).MeanWith(tensor.ReduceOptions{}).Neg()
		autograd.ZeroGrad(params...)
		loss.Backward()
		for _, q := range params {
			q.Value().Assign(q.Value().Sub(q.Grad().MulScalar(lr)))
		}
		if step%(steps/5) == 0 {
			fmt.Fprintf(w, "step %4d  loss %.4f\n", step, loss.Value().Item())
		}
	}
	return autograd.NoGrad(x).MatMul(w1).Add(b1).Tanh().MatMul(w2).Add(b2).Sigmoid().Value().Float64s()
}

func main() {
	out := train(os.Stdout, 1, 2000)
	for i, in := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
		fmt.Printf("%d xor %d -> %.3f\n", in[0], in[1], out[i])
	}
}
