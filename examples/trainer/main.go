// Command trainer trains a small classifier on in-memory data with
// nn.Trainer, in a few seconds on a CPU: three interleaved spirals in the
// plane, a 2-64-64-3 MLP, AdamW with a warm-up cosine schedule, gradient
// clipping, and the last and best checkpoints. Ctrl-C stops it after the
// step under way, with a checkpoint that -resume continues from.
//
//	go run ./examples/trainer [-epochs 30] [-device cpu] [-out DIR] [-resume FILE]
//
// It is the template for training on data of your own: build tensors (or
// implement nn.Dataset), a model, an optimizer, and hand them to a
// Trainer.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// options are the program's settings.
type options struct {
	Epochs  int
	Samples int // per class
	Seed    uint64
	Device  string
	Out     string // folder of the checkpoints
	Resume  string
}

func main() {
	o := options{}
	flag.IntVar(&o.Epochs, "epochs", 30, "epochs to train")
	flag.IntVar(&o.Samples, "samples", 300, "samples per class")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the data, the weights and the shuffling")
	flag.StringVar(&o.Device, "device", "cpu", "device to train on")
	flag.StringVar(&o.Out, "out", os.TempDir(), "folder for last.safetensors and best.safetensors")
	flag.StringVar(&o.Resume, "resume", "", "continue from this checkpoint")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := train(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
}

// spirals returns n points per class on three noisy spiral arms, with
// their class labels.
func spirals(n int, seed uint64) (x, y *tensor.Tensor) {
	noise := tensor.NewRNG(seed).Normal(device.CPUDevice, device.Float32, 0, 0.08, 3*n, 2).Float32s()
	pts := make([]float32, 0, 3*n*2)
	labels := make([]int32, 0, 3*n)
	for c := range 3 {
		for i := range n {
			r := float64(i+1) / float64(n)
			a := 4*r + 2*math.Pi*float64(c)/3
			k := c*n + i
			pts = append(pts, float32(r*math.Cos(a))+noise[2*k], float32(r*math.Sin(a))+noise[2*k+1])
			labels = append(labels, int32(c))
		}
	}
	return tensor.New(pts, 3*n, 2), tensor.New(labels, 3*n)
}

// train runs the example and returns the trainer, for tests.
func train(ctx context.Context, w io.Writer, o options) (*nn.Trainer, error) {
	dev, err := device.Parse(o.Device)
	if err != nil {
		return nil, err
	}
	if _, err := device.Open(dev); err != nil {
		return nil, err
	}
	x, y := spirals(o.Samples, o.Seed)
	ds, err := nn.NewTensorDataset(x, y)
	if err != nil {
		return nil, err
	}
	trainSet, err := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 16, Shuffle: true, Seed: o.Seed + 1, Device: dev})
	if err != nil {
		return nil, err
	}
	evalSet, err := nn.NewDataLoader(ds, nn.LoaderConfig{Batch: 1024, Device: dev})
	if err != nil {
		return nil, err
	}

	c := nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(o.Seed)}
	model := nn.NewSequential().
		Add("fc1", nn.NewLinear(c, 2, 64, true)).Add("act1", nn.ReLU()).
		Add("fc2", nn.NewLinear(c, 64, 64, true)).Add("act2", nn.ReLU()).
		Add("fc3", nn.NewLinear(c, 64, 3, true))
	opt := nn.NewAdamW(model.Parameters(), nn.AdamWDefaults(0.02))
	tr := nn.NewTrainer(model, opt, nn.TrainerOptions{
		Epochs:         o.Epochs,
		Schedule:       nn.WarmupCosine{Base: 0.02, Warmup: 20, Total: o.Epochs * trainSet.Len()},
		Loss:           nn.CrossEntropyLoss{Smoothing: 0.05},
		EvalLoss:       nn.CrossEntropyLoss{},
		Clip:           1,
		Checkpoint:     filepath.Join(o.Out, "last.safetensors"),
		BestCheckpoint: filepath.Join(o.Out, "best.safetensors"),
		OnEpoch: func(e nn.EpochStats) error {
			fmt.Fprintf(w, "epoch %2d  train loss %.4f  loss %.4f  accuracy %.1f%%\n", e.Epoch, e.TrainLoss, e.TestLoss, 100*e.TestAcc)
			return nil
		},
	})
	if o.Resume != "" {
		if _, err := tr.Resume(o.Resume); err != nil {
			return nil, err
		}
	}
	if err := tr.Fit(ctx, trainSet, evalSet); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(w, "stopped; continue with -resume %s\n", filepath.Join(o.Out, "last.safetensors"))
		}
		return tr, err
	}
	best, _ := tr.Best()
	fmt.Fprintf(w, "best accuracy %.1f%% after epoch %d; checkpoints in %s\n", 100*best.TestAcc, best.Epoch, o.Out)
	return tr, nil
}
