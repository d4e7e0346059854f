package nn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// exampleData returns 256 points of 4 features labelled by which of the
// first two is larger: a task a small MLP learns in a few epochs.
func exampleData() (x, y *tensor.Tensor) {
	x = tensor.NewRNG(7).Normal(device.CPUDevice, device.Float32, 0, 1, 256, 4)
	y = x.Narrow(1, 0, 2).ArgMaxWith(tensor.ReduceOptions{Axes: []int{1}})
	return x, y
}

// A Trainer fits a model on in-memory tensors: a Dataset, a Loader that
// shuffles and batches it onto the device, and an optimizer with a
// schedule. Same seed, same numbers.
func ExampleTrainer() {
	dev := device.CPUDevice
	x, y := exampleData()
	ds, err := nn.NewTensorDataset(x, y)
	if err != nil {
		panic(err)
	}
	train, _ := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 32, Shuffle: true, Seed: 1, Device: dev})
	eval, _ := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 256, Device: dev})

	c := nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(1)}
	model := nn.NewSequential().Add("fc1", nn.NewLinear(c, 4, 16, true)).Add("relu", nn.ReLU()).
		Add("fc2", nn.NewLinear(c, 16, 2, true))
	opt := nn.NewAdam(model.Parameters(), nn.AdamDefaults(0.01))
	tr := nn.NewTrainer(model, opt, nn.TrainerOptions{
		Epochs:   10,
		Schedule: nn.WarmupCosine{Base: 0.01, Warmup: 8, Total: 10 * train.Len()},
		Loss:     nn.CrossEntropyLoss{},
	})
	if err := tr.Fit(context.Background(), train, eval); err != nil {
		panic(err)
	}
	last := tr.History()[len(tr.History())-1]
	fmt.Printf("%d steps, accuracy above 90%%: %v\n", last.Step, last.TestAcc > 0.9)
	// Output: 80 steps, accuracy above 90%: true
}

// A checkpoint holds the model, the optimizer and the run's position;
// Resume puts them into a fresh trainer, which continues where the first
// one stopped.
func ExampleTrainer_Resume() {
	dir, _ := os.MkdirTemp("", "tapegrad-example")
	defer os.RemoveAll(dir)
	ck := filepath.Join(dir, "last.safetensors")

	x, y := exampleData()
	ds, _ := nn.NewTensorDataset(x, y)
	train, _ := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 64, Shuffle: true, Seed: 1, Device: device.CPUDevice})
	newTrainer := func(epochs int) (*nn.Trainer, nn.Module) {
		c := nn.Config{Device: device.CPUDevice, DType: device.Float32, RNG: tensor.NewRNG(1)}
		m := nn.NewLinear(c, 4, 2, true)
		return nn.NewTrainer(m, nn.NewSGD(m.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9}),
			nn.TrainerOptions{Epochs: epochs, Checkpoint: ck}), m
	}
	first, m1 := newTrainer(2)
	if err := first.Fit(context.Background(), train, nil); err != nil {
		panic(err)
	}
	second, m2 := newTrainer(3)
	if _, err := second.Resume(ck); err != nil {
		panic(err)
	}
	same := fmt.Sprint(m1.Parameters()[0].Var.Value().Float32s()) == fmt.Sprint(m2.Parameters()[0].Var.Value().Float32s())
	fmt.Println("resumed after epoch", second.Epoch(), "step", second.Step(), "same weights:", same)
	if err := second.Fit(context.Background(), train, nil); err != nil {
		panic(err)
	}
	fmt.Println("now at epoch", second.Epoch(), "step", second.Step())
	// Output:
	// resumed after epoch 2 step 8 same weights: true
	// now at epoch 3 step 12
}
