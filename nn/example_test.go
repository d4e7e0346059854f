package nn_test

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// A training loop by hand: forward, loss, ZeroGrad, Backward, Step. The
// model learns y = 3x - 1 from noisy samples.
func Example_trainingLoop() {
	cpu := device.CPUDevice
	rng := tensor.NewRNG(1)
	x := rng.Uniform(cpu, device.Float32, -1, 1, 64, 1)
	y := x.MulScalar(3).AddScalar(-1).Add(rng.Normal(cpu, device.Float32, 0, 0.01, 64, 1))

	model := nn.NewLinear(nn.Config{Device: cpu, DType: device.Float32, RNG: rng}, 1, 1, true)
	opt := nn.NewSGD(model.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9})
	for step := range 100 {
		loss := nn.MSE(model.Forward(autograd.Const(x)), autograd.Const(y))
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		if step == 0 || step == 99 {
			fmt.Printf("step %d: loss %.3f\n", step, loss.Value().Item())
		}
	}
	fmt.Printf("w %.2f, b %.2f\n", model.Weight.Value().Item(), model.Bias.Value().Item())
	// Output:
	// step 0: loss 1.986
	// step 99: loss 0.000
	// w 2.99, b -1.00
}

// Checkpoints go to any io.Writer (memory here; SaveCheckpoint writes a
// file atomically) and come back with ReadCheckpoint, optimizer included.
// The model's entries keep their own names, as a PyTorch state dict; the
// optimizer's carry the "optim." prefix.
func ExampleWriteCheckpoint() {
	newModel := func(seed uint64) (*nn.Sequential, nn.Optimizer) {
		c := nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: tensor.NewRNG(seed)}
		m := nn.NewSequential().Add("fc1", nn.NewLinear(c, 4, 8, true)).Add("relu", nn.ReLU()).
			Add("fc2", nn.NewLinear(c, 8, 2, true))
		return m, nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-3))
	}
	model, opt := newModel(1)
	x := tensor.NewRNG(2).Normal(device.CPUDevice, device.Float32, 0, 1, 16, 4)
	loss := nn.CrossEntropy(model.Forward(autograd.Const(x)), x.Narrow(1, 0, 2).ArgMaxWith(tensor.ReduceOptions{Axes: []int{1}}), 0)
	loss.Backward()
	opt.Step()

	var buf bytes.Buffer
	if err := nn.WriteCheckpoint(&buf, model, opt, map[string]string{"note": "after one step"}); err != nil {
		panic(err)
	}
	f, err := safetensors.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		panic(err)
	}
	var names []string
	for _, t := range f.Tensors {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	fmt.Println(names)

	restored, ropt := newModel(99) // other weights, until the checkpoint is read
	meta, err := nn.ReadCheckpoint(&buf, "memory", restored, ropt)
	if err != nil {
		panic(err)
	}
	same := slices.Equal(model.Parameters()[0].Var.Value().Float32s(), restored.Parameters()[0].Var.Value().Float32s())
	fmt.Println(meta["note"], same)
	// Output:
	// [fc1.bias fc1.weight fc2.bias fc2.weight optim.fc1.bias.exp_avg optim.fc1.bias.exp_avg_sq optim.fc1.bias.step optim.fc1.weight.exp_avg optim.fc1.weight.exp_avg_sq optim.fc1.weight.step optim.fc2.bias.exp_avg optim.fc2.bias.exp_avg_sq optim.fc2.bias.step optim.fc2.weight.exp_avg optim.fc2.weight.exp_avg_sq optim.fc2.weight.step]
	// after one step true
}
