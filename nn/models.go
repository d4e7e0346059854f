package nn

import "github.com/tapegrad/tapegrad/tensor"

// FashionMLP returns the 784-256-128-10 ReLU network `tapegrad train`
// trains on flattened Fashion-MNIST images, with Dropout(p) drawing from
// rng after each hidden layer when p > 0.
func FashionMLP(c Config, p float64, rng *tensor.RNG) *Sequential {
	s := NewSequential()
	s.Add("fc1", NewLinear(c, 784, 256, true)).Add("relu1", ReLU())
	addDropout(s, "drop1", p, rng)
	s.Add("fc2", NewLinear(c, 256, 128, true)).Add("relu2", ReLU())
	addDropout(s, "drop2", p, rng)
	return s.Add("fc3", NewLinear(c, 128, 10, true))
}

// FashionCNN returns the convolutional network `tapegrad train --model
// cnn` trains on [N, 1, 28, 28] images: two blocks of 3×3 convolution
// (32, then 64 channels), ReLU and 2×2 max pooling, then Linear(3136, 128),
// ReLU, Dropout(p) when p > 0, and Linear(128, 10).
func FashionCNN(c Config, p float64, rng *tensor.RNG) *Sequential {
	conv := func(in, out int) *Conv2d {
		return NewConv2dWith(c, Conv2dConfig{In: in, Out: out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true})
	}
	s := NewSequential()
	s.Add("conv1", conv(1, 32)).Add("relu1", ReLU()).Add("pool1", NewMaxPool2d(2, 0, 0))
	s.Add("conv2", conv(32, 64)).Add("relu2", ReLU()).Add("pool2", NewMaxPool2d(2, 0, 0))
	s.Add("flatten", NewFlatten()).Add("fc1", NewLinear(c, 64*7*7, 128, true)).Add("relu3", ReLU())
	addDropout(s, "drop1", p, rng)
	return s.Add("fc2", NewLinear(c, 128, 10, true))
}

func addDropout(s *Sequential, name string, p float64, rng *tensor.RNG) {
	if p > 0 {
		s.Add(name, NewDropout(p, rng))
	}
}
