package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// trainConfig is what decides a run's numbers. A checkpoint records it, so
// that --resume continues with the same settings unless a flag overrides
// one.
type trainConfig struct {
	Model       string  `json:"model"`
	Optimizer   string  `json:"optimizer"`
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	Schedule    string  `json:"schedule"`
	Warmup      int     `json:"warmup"`
	Clip        float64 `json:"clip"`
	Smoothing   float64 `json:"label_smoothing"`
	Dropout     float64 `json:"dropout"`
	Batch       int     `json:"batch"`
	Epochs      int     `json:"epochs"`
	Seed        uint64  `json:"seed"`
	Limit       int     `json:"limit"`
	TestLimit   int     `json:"test_limit"`
}

// trainOptions are the flags that do not change the numbers.
type trainOptions struct {
	device, data, out, save, resume string
	quiet, anomaly                  bool
}

// Checkpoint metadata keys of the train command.
const (
	metaConfig  = "tapegrad.config"
	metaEpoch   = "tapegrad.epoch"
	metaStep    = "tapegrad.step"
	metaHistory = "tapegrad.history"
	metaDropout = "tapegrad.rng.dropout.offset"
)

func defaultTrainConfig() trainConfig {
	return trainConfig{Model: "mlp", Optimizer: "adam", LR: 1e-3, Momentum: 0.9, Schedule: "cosine",
		Batch: 128, Epochs: 10, Seed: 1}
}

// trainFlags binds the flags to c and o.
func trainFlags(c *trainConfig, o *trainOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.StringVar(&c.Model, "model", c.Model, "network: mlp (784-256-128-10) or cnn (two conv+pool blocks, linear head)")
	fs.StringVar(&c.Optimizer, "optimizer", c.Optimizer, "adam, adamw or sgd")
	fs.Float64Var(&c.LR, "lr", c.LR, "learning rate")
	fs.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "weight decay (decoupled for adamw; 0 with adamw means PyTorch's 0.01)")
	fs.StringVar(&c.Schedule, "schedule", c.Schedule, "learning-rate schedule: cosine (from --lr down to 0 over the run, after --warmup steps), step (x0.1 after each third of the run) or constant")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "linear warm-up steps of the cosine schedule")
	fs.Float64Var(&c.Clip, "clip", c.Clip, "clip gradients to this global norm (0: off)")
	fs.Float64Var(&c.Smoothing, "label-smoothing", c.Smoothing, "label smoothing of the cross-entropy")
	fs.Float64Var(&c.Dropout, "dropout", c.Dropout, "dropout probability after each hidden layer")
	fs.IntVar(&c.Batch, "batch", c.Batch, "batch size")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "train until this many epochs are done (a resumed run counts the earlier ones)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the initial weights, the shuffling and dropout")
	fs.IntVar(&c.Limit, "limit", c.Limit, "use only the first N training samples (0: all)")
	fs.IntVar(&c.TestLimit, "test-limit", c.TestLimit, "evaluate on only the first N test samples (0: all)")
	fs.StringVar(&o.device, "device", o.device, "device to train on (default: $TAPEGRAD_DEVICE, else the first GPU, else cpu)")
	fs.StringVar(&o.data, "data", o.data, "directory of the Fashion-MNIST files (default: $TAPEGRAD_DATA, else "+data.DefaultDir()+")")
	fs.StringVar(&o.out, "out", o.out, "directory for log.json and curves.png (default: a new folder under ./runs)")
	fs.StringVar(&o.save, "save", o.save, "write a checkpoint (safetensors) to this file after every epoch")
	fs.StringVar(&o.resume, "resume", o.resume, "continue from this checkpoint; flags not given take its values")
	fs.BoolVar(&o.quiet, "quiet", o.quiet, "no progress bar")
	fs.BoolVar(&o.anomaly, "detect-anomaly", o.anomaly, "stop at the first op producing NaN or Inf (slow)")
	return fs
}

// parseTrain reads the flags; with --resume the checkpoint's settings are
// the defaults that explicit flags override.
func parseTrain(args []string, stderr io.Writer) (trainConfig, trainOptions, error) {
	c, o := defaultTrainConfig(), trainOptions{}
	fs := trainFlags(&c, &o)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return c, o, err
	}
	if fs.NArg() > 0 {
		return c, o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.resume != "" {
		f, err := safetensors.ReadFile(o.resume)
		if err != nil {
			return c, o, fmt.Errorf("resume: %w", err)
		}
		saved := defaultTrainConfig()
		if err := json.Unmarshal([]byte(f.Metadata[metaConfig]), &saved); err != nil {
			return c, o, fmt.Errorf("resume: %s has no readable %s metadata: %v", o.resume, metaConfig, err)
		}
		c = saved
		fs = trainFlags(&c, &o)
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil {
			return c, o, err
		}
	}
	return c, o, c.check()
}

func (c trainConfig) check() error {
	switch {
	case c.Model != "mlp" && c.Model != "cnn":
		return fmt.Errorf("--model %q: want mlp or cnn", c.Model)
	case c.Optimizer != "adam" && c.Optimizer != "adamw" && c.Optimizer != "sgd":
		return fmt.Errorf("--optimizer %q: want adam, adamw or sgd", c.Optimizer)
	case c.Schedule != "constant" && c.Schedule != "step" && c.Schedule != "cosine":
		return fmt.Errorf("--schedule %q: want constant, step or cosine", c.Schedule)
	case c.Batch <= 0 || c.Epochs < 0 || c.Limit < 0 || c.TestLimit < 0 || c.Warmup < 0:
		return fmt.Errorf("--batch must be positive and --epochs, --limit, --test-limit, --warmup not negative")
	case !(c.LR > 0) || c.Dropout < 0 || c.Dropout >= 1 || c.Smoothing < 0 || c.Smoothing > 1 || c.Clip < 0:
		return fmt.Errorf("--lr must be positive, --dropout in [0, 1), --label-smoothing in [0, 1], --clip not negative")
	}
	return nil
}
