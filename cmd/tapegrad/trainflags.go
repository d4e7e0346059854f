package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
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
	Precision   string  `json:"precision"`
}

// trainOptions are the flags that do not change the numbers.
type trainOptions struct {
	device, data, out, save, resume string
	quiet, anomaly, memStats        bool
	progressEvery                   time.Duration
}

// The command's checkpoint metadata: its settings, beside the trainer's
// keys (nn.MetaEpoch, ...), and the name of the dropout generator whose
// offset the trainer saves.
const (
	metaConfig = "tapegrad.config"
	dropoutRNG = "dropout"
)

func defaultTrainConfig() trainConfig {
	return trainConfig{Model: "mlp", Optimizer: "adam", LR: 1e-3, Momentum: 0.9, Schedule: "cosine",
		Batch: 128, Epochs: 10, Seed: 1, Precision: "fp32"}
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
	fs.StringVar(&c.Precision, "precision", c.Precision, "matmul and conv precision: fp32; tf32 (float32 products with TF32 operands where the device has them); bf16 or fp16 (autocast: products in bfloat16/float16 with float32 accumulation, float32 weights and optimizer; fp16 adds dynamic loss scaling)")
	fs.StringVar(&o.device, "device", o.device, "device to train on (default: $TAPEGRAD_DEVICE, else the first GPU, else cpu)")
	fs.StringVar(&o.data, "data", o.data, "directory of the Fashion-MNIST files (default: $TAPEGRAD_DATA, else "+data.DefaultDir()+")")
	fs.StringVar(&o.out, "out", o.out, "directory for log.json and curves.png (default: a new folder under ./runs)")
	fs.StringVar(&o.save, "save", o.save, "write a checkpoint (safetensors) to this file after every epoch")
	fs.StringVar(&o.resume, "resume", o.resume, "continue from this checkpoint; flags not given take its values")
	fs.BoolVar(&o.quiet, "quiet", o.quiet, "no progress bar or progress lines")
	fs.BoolVar(&o.memStats, "mem-stats", o.memStats, "print the device's memory statistics after each epoch")
	fs.DurationVar(&o.progressEvery, "progress", o.progressEvery, "when stdout is not a terminal (a log, a pipe), print a progress line this often and at each epoch's end (0: only at the epoch's end)")
	fs.BoolVar(&o.anomaly, "detect-anomaly", o.anomaly, "stop at the first op producing NaN or Inf (slow)")
	return fs
}

// maxEpochs bounds --epochs, so that epochs times batches per epoch (the
// schedule's step count) cannot overflow.
const maxEpochs = nn.MaxEpochs

// trainSynopsis and trainAbout head `tapegrad train -h`.
const (
	trainSynopsis = "tapegrad train [flags]"
	trainAbout    = `Trains an MLP or CNN on Fashion-MNIST, printing a line per epoch, and
writes log.json and curves.png into --out and a checkpoint to --save after
every epoch. SIGINT or SIGTERM stop it after the step under way, save a
checkpoint (--save, else interrupted.safetensors in --out) and exit with
status 130; --resume continues from it mid-epoch. Every flag, the data's image size and the output paths are
checked before training starts.`
)

// parseTrain reads the flags; with --resume the checkpoint's settings are
// the defaults that explicit flags override. For -h it prints the usage to
// stdout and returns flag.ErrHelp. A bad flag is a *usageError; a
// checkpoint that cannot be read is a plain error.
func parseTrain(args []string, stdout io.Writer) (trainConfig, trainOptions, error) {
	c, o := defaultTrainConfig(), trainOptions{progressEvery: 10 * time.Second}
	if help, err := parseFlags(trainFlags(&c, &o), args, stdout, trainSynopsis, trainAbout); help {
		return c, o, flag.ErrHelp
	} else if err != nil {
		return c, o, err
	}
	// Each setting is checked on its own, so the flags given can be judged
	// before a checkpoint's settings fill in the rest.
	if err := c.check(); err != nil {
		return c, o, err
	}
	if o.progressEvery < 0 {
		return c, o, usagef("--progress %v: want a duration of 0 or more", o.progressEvery)
	}
	if o.device != "" {
		if _, err := device.Parse(o.device); err != nil {
			return c, o, usagef("--device: %v", err)
		}
	}
	if o.resume != "" {
		// Only the header: the tensors are read once the model exists.
		meta, err := safetensors.ReadMetadata(o.resume)
		if err != nil {
			return c, o, fmt.Errorf("resume: %w", err)
		}
		saved := defaultTrainConfig()
		if err := json.Unmarshal([]byte(meta[metaConfig]), &saved); err != nil {
			return c, o, fmt.Errorf("resume: %s has no readable %s metadata: %v", o.resume, metaConfig, err)
		}
		c = saved
		if _, err := parseFlags(trainFlags(&c, &o), args, io.Discard, trainSynopsis, trainAbout); err != nil {
			return c, o, err
		}
		if err := c.check(); err != nil {
			// Not a usage error: the flags passed on their own.
			return c, o, fmt.Errorf("resume: %s: metadata %s: %v", o.resume, metaConfig, err)
		}
	}
	return c, o, nil
}

// check validates every setting: each error names the flag and its value.
func (c trainConfig) check() error {
	enums := []struct {
		flag, value string
		want        []string
	}{
		{"--model", c.Model, []string{"mlp", "cnn"}},
		{"--optimizer", c.Optimizer, []string{"adam", "adamw", "sgd"}},
		{"--schedule", c.Schedule, []string{"cosine", "step", "constant"}},
		{"--precision", c.Precision, precisions},
	}
	for _, e := range enums {
		if !slices.Contains(e.want, e.value) {
			return usagef("%s %q: want %s", e.flag, e.value, strings.Join(e.want, ", "))
		}
	}
	ints := []struct {
		flag     string
		value    int
		min, max int
	}{
		{"--batch", c.Batch, 1, math.MaxInt32},
		{"--epochs", c.Epochs, 0, maxEpochs},
		{"--warmup", c.Warmup, 0, math.MaxInt32},
		{"--limit", c.Limit, 0, math.MaxInt32},
		{"--test-limit", c.TestLimit, 0, math.MaxInt32},
	}
	for _, n := range ints {
		if n.value < n.min || n.value > n.max {
			return usagef("%s %d: want %d..%d", n.flag, n.value, n.min, n.max)
		}
	}
	// Each range is closed unless open says which end is excluded.
	floats := []struct {
		flag     string
		value    float64
		min, max float64
		open     string // "min", "max" or ""
	}{
		{"--lr", c.LR, 0, math.MaxFloat64, "min"},
		{"--momentum", c.Momentum, 0, 1, "max"},
		{"--weight-decay", c.WeightDecay, 0, math.MaxFloat64, ""},
		{"--clip", c.Clip, 0, math.MaxFloat64, ""},
		{"--label-smoothing", c.Smoothing, 0, 1, ""},
		{"--dropout", c.Dropout, 0, 1, "max"},
	}
	for _, f := range floats {
		v := f.value
		if math.IsNaN(v) || math.IsInf(v, 0) || v < f.min || v > f.max || (f.open == "min" && v == f.min) || (f.open == "max" && v == f.max) {
			return usagef("%s %v: want a finite number in %s", f.flag, v, interval(f.min, f.max, f.open))
		}
	}
	return nil
}

// interval formats [min, max] with open ends as parentheses; an unbounded
// max reads "[min, ∞)".
func interval(lo, hi float64, open string) string {
	l, r := "[", "]"
	if open == "min" {
		l = "("
	}
	if open == "max" {
		r = ")"
	}
	if hi == math.MaxFloat64 {
		return fmt.Sprintf("%s%g, ∞)", l, lo)
	}
	return fmt.Sprintf("%s%g, %g%s", l, lo, hi, r)
}
