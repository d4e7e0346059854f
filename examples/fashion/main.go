// Command fashion trains the 784-256-128-10 MLP on Fashion-MNIST with a
// training loop written out by hand (no nn.Trainer): shuffle, batch,
// normalise, forward, cross-entropy, backward, Adam step, then test
// accuracy. It is the loop nn.Trainer and `tapegrad train` run, in about
// eighty lines, for when you want to change a step of it.
//
//	go run ./examples/fashion [-data DIR] [-epochs 1] [-limit 10000] [-device cpu]
//
// One epoch over 10000 images takes a few seconds on a CPU and reaches
// about 78% test accuracy.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

func main() {
	dir := flag.String("data", data.DefaultDir(), "directory of the Fashion-MNIST IDX files")
	epochs := flag.Int("epochs", 1, "passes over the training images")
	limit := flag.Int("limit", 10000, "training images used (0: all 60000)")
	dev := flag.String("device", "cpu", "device to train on (cpu, cudasim, cuda:N)")
	flag.Parse()
	d, err := device.Parse(*dev)
	if err == nil {
		_, err = device.Open(d)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fashion: -device:", err)
		os.Exit(2)
	}
	ds, err := data.LoadMNIST(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fashion:", err)
		os.Exit(1)
	}
	acc := train(os.Stdout, ds, d, *epochs, *limit, 1)
	fmt.Printf("test accuracy %.2f%%\n", 100*acc)
}

// train runs the loop and returns the test accuracy.
func train(w io.Writer, ds *data.Dataset, dev device.Device, epochs, limit int, seed uint64) float64 {
	const batch, pixels = 128, 784
	n := ds.Train.N
	if limit > 0 && limit < n {
		n = limit
	}
	cfg := nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(seed)}
	model := nn.FashionMLP(cfg, 0, nil)
	opt := nn.NewAdam(model.Parameters(), device.AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	// images turns images [lo, hi) of a split (in the order idx gives)
	// into a normalised [B, 784] batch on dev, and their labels.
	images := func(s data.Split, idx []int) (*tensor.Tensor, *tensor.Tensor) {
		x := make([]float32, 0, len(idx)*pixels)
		y := make([]int32, 0, len(idx))
		for _, i := range idx {
			x = append(x, s.Images[i*pixels:(i+1)*pixels]...)
			y = append(y, s.Labels[i])
		}
		xt := tensor.New(x, len(idx), pixels).AddScalar(-data.FashionMNISTMean).MulScalar(1 / data.FashionMNISTStd)
		return xt.To(dev), tensor.New(y).To(dev)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	for epoch := 1; epoch <= epochs; epoch++ {
		model.Train(true)
		order := rng.Perm(n)
		for lo := 0; lo < n; lo += batch {
			x, y := images(ds.Train, order[lo:min(lo+batch, n)])
			loss := nn.CrossEntropy(model.Forward(autograd.Const(x)), y, 0)
			opt.ZeroGrad()
			loss.Backward()
			opt.Step()
			if step := lo / batch; step%20 == 0 {
				fmt.Fprintf(w, "epoch %d step %3d  loss %.4f\n", epoch, step, loss.Value().Item())
			}
		}
	}
	// Evaluation: no graph (NoGrad), the whole test split in batches.
	model.Train(false)
	right := 0
	for lo := 0; lo < ds.Test.N; lo += 1000 {
		idx := make([]int, 0, 1000)
		for i := lo; i < min(lo+1000, ds.Test.N); i++ {
			idx = append(idx, i)
		}
		x, y := images(ds.Test, idx)
		pred := model.Forward(autograd.NoGrad(autograd.Const(x))).Value().ArgMaxWith(tensor.ReduceOptions{Axes: []int{1}})
		right += int(pred.Eq(y).Cast(device.Float32).SumWith(tensor.ReduceOptions{}).Item())
	}
	return float64(right) / float64(ds.Test.N)
}
