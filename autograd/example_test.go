package autograd_test

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// The README's first example: a linear layer, cross-entropy, Backward.
func Example() {
	cpu := device.CPUDevice
	x := tensor.New([]float32{1, 2, 3, 4}, 2, 2)
	w := autograd.Param(tensor.NewRNG(1).Normal(cpu, device.Float32, 0, 0.1, 2, 3))
	b := autograd.Param(tensor.Zeros(cpu, device.Float32, 3))
	labels := tensor.New([]int32{2, 0})

	logits := autograd.Const(x).MatMul(w).Add(b)   // b broadcasts over rows
	ce := autograd.CrossEntropy(logits, labels, 0) // fused log-softmax + NLL, per row
	loss := ce.MeanWith(tensor.ReduceOptions{})    // the mean over every axis
	loss.Backward()

	fmt.Printf("loss %.4f\n", loss.Value().Item())
	fmt.Println(w.Grad().Shape(), b.Grad().Shape())
	// The bias gradient is the mean over rows of softmax(logits) - onehot(labels),
	// so its entries sum to zero, up to float32 rounding.
	var sum float64
	for _, g := range b.Grad().Float64s() {
		sum += g
	}
	fmt.Printf("bias grad sums to zero: %v\n", math.Abs(sum) < 1e-6)
	// Output:
	// loss 1.0417
	// [2 3] [3]
	// bias grad sums to zero: true
}
