package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/internal/atomicfile"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

// run is one training run: the flags' choices around an nn.Trainer.
type run struct {
	cfg      trainConfig
	opts     trainOptions
	dev      device.Device
	model    nn.Module
	trainer  *nn.Trainer
	scaler   *nn.GradScaler // --precision fp16's loss scaler; nil otherwise
	train    *nn.Loader
	test     *nn.Loader
	stdout   io.Writer
	started  time.Time
	outDir   string
	logPath  string
	plotPath string
	steps    *stepLog
	progress *progress
	// afterStep, when set, runs after each step's own callback (tests
	// use it to interrupt a run at a chosen step).
	afterStep func(nn.StepEnd)
}

// runTrain is `tapegrad train`: it trains an MLP or CNN on Fashion-MNIST,
// printing a line per epoch, and writes log.json and curves.png into
// --out and a checkpoint to --save after every epoch. SIGINT or SIGTERM
// stop it after the step under way, with a checkpoint to resume from.
func runTrain(args []string, stdout io.Writer) error {
	cfg, opts, err := parseTrain(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := newRun(cfg, opts, stdout)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	if opts.anomaly {
		autograd.SetAnomalyDetection(true)
		defer autograd.SetAnomalyDetection(false)
		if perr := tensor.Try(func() { err = r.loop(ctx) }); perr != nil {
			return perr
		}
		return err
	}
	return r.loop(ctx)
}

// signalContext returns a context cancelled by SIGINT or SIGTERM; until
// stop is called, those signals no longer kill the process, so the run
// can finish its step and save.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// newRun loads the data, builds the model, optimizer and trainer, and
// restores a checkpoint when resuming.
func newRun(cfg trainConfig, opts trainOptions, stdout io.Writer) (_ *run, err error) {
	dev, err := parseDevice(opts.device)
	if err != nil {
		return nil, err
	}
	if _, err := device.Open(dev); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, opts: opts, dev: dev, stdout: stdout, started: time.Now()}
	// Outputs first: a path that cannot be written fails now, not after
	// an epoch of training.
	made, err := r.makeOut()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && made != "" {
			_ = os.Remove(made) // only if still empty; a failed run leaves no empty folder
		}
	}()
	if opts.save != "" {
		if err := atomicfile.CheckWritable(opts.save); err != nil {
			return nil, fmt.Errorf("--save %s: cannot write a checkpoint there: %w", opts.save, err)
		}
	}
	dir := opts.data
	if dir == "" {
		dir = data.DefaultDir()
	}
	ds, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (install Debian's dataset-fashion-mnist, or pass --data DIR)", err)
	}
	if err := checkData(ds, dir, cfg); err != nil {
		return nil, err
	}
	flat := cfg.Model == "mlp"
	r.train, err = nn.NewLoader(head(ds.Train, cfg.Limit), nn.LoaderConfig{Batch: cfg.Batch, Shuffle: true, Seed: cfg.Seed + 1,
		Device: dev, Flat: flat, Mean: data.FashionMNISTMean, Std: data.FashionMNISTStd})
	if err != nil {
		return nil, err
	}
	r.test, err = nn.NewLoader(head(ds.Test, cfg.TestLimit), nn.LoaderConfig{Batch: 1000,
		Device: dev, Flat: flat, Mean: data.FashionMNISTMean, Std: data.FashionMNISTStd})
	if err != nil {
		return nil, err
	}
	// Weights, shuffling (cfg.Seed+1 above) and dropout draw from Philox
	// under different keys: independent streams from one --seed.
	dropRNG := tensor.NewRNG(cfg.Seed + 2)
	init := nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(cfg.Seed)}
	r.model = buildModel(cfg.Model, init, cfg.Dropout, dropRNG)
	opt := buildOptimizer(cfg, r.model.Parameters())
	r.progress = newProgress(r, opts)
	to := nn.TrainerOptions{
		Epochs:     cfg.Epochs,
		Schedule:   buildSchedule(cfg, r.train.Len()),
		Loss:       nn.CrossEntropyLoss{Smoothing: cfg.Smoothing},
		EvalLoss:   nn.CrossEntropyLoss{},
		Clip:       cfg.Clip,
		RNGs:       []nn.NamedRNG{{Name: dropoutRNG, RNG: dropRNG}},
		Checkpoint: opts.save,
		Meta:       r.meta,
		OnStep:     r.stepDone,
		OnEpoch:    r.epochDone,

		// Our models keep no forward Var past a step, and the run reads
		// no gradient: free each step's device memory as it goes.
		ReleaseMemory: true,
	}
	setPrecision(&to, cfg.Precision)
	r.scaler = to.Scaler
	r.trainer = nn.NewTrainer(r.model, opt, to)
	if opts.resume != "" {
		if _, err := r.trainer.Resume(opts.resume); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// meta is the checkpoint metadata of the command's own: its settings.
func (r *run) meta() map[string]string {
	cfg, _ := json.Marshal(r.cfg) // a struct of numbers and strings always marshals
	return map[string]string{metaConfig: string(cfg)}
}

// Image size both models take.
const imageRows, imageCols = 28, 28

// checkData checks the data set against the model before one is built:
// both splits hold images, of the size the networks take.
func checkData(ds *data.Dataset, dir string, cfg trainConfig) error {
	for _, sp := range []struct {
		name string
		s    data.Split
	}{{"training", ds.Train}, {"test", ds.Test}} {
		if sp.s.Rows != imageRows || sp.s.Cols != imageCols {
			return fmt.Errorf("data %s: the %s images are %dx%d; the %s model takes %dx%d (Fashion-MNIST's size)",
				dir, sp.name, sp.s.Rows, sp.s.Cols, cfg.Model, imageRows, imageCols)
		}
		if sp.s.N == 0 {
			return fmt.Errorf("data %s: no %s samples", dir, sp.name)
		}
	}
	return nil
}

// head returns the first n samples of s (all of them when n is 0).
func head(s data.Split, n int) data.Split {
	if n <= 0 || n >= s.N {
		return s
	}
	px := s.Rows * s.Cols
	return data.Split{Images: s.Images[:n*px], Labels: s.Labels[:n], N: n, Rows: s.Rows, Cols: s.Cols}
}

// buildModel returns the network called name; dropout (when p > 0) draws
// from rng.
func buildModel(name string, c nn.Config, p float64, rng *tensor.RNG) nn.Module {
	if name == "cnn" {
		return nn.FashionCNN(c, p, rng)
	}
	return nn.FashionMLP(c, p, rng)
}

func buildOptimizer(c trainConfig, ps []nn.NamedParam) nn.Optimizer {
	switch c.Optimizer {
	case "sgd":
		return nn.NewSGD(ps, device.SGDParams{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay})
	case "adamw":
		h := nn.AdamWDefaults(c.LR)
		if c.WeightDecay != 0 {
			h.WeightDecay = c.WeightDecay
		}
		return nn.NewAdamW(ps, h)
	}
	h := nn.AdamDefaults(c.LR)
	h.WeightDecay = c.WeightDecay
	return nn.NewAdam(ps, h)
}

// buildSchedule returns the learning rate by optimizer step.
func buildSchedule(c trainConfig, perEpoch int) nn.Schedule {
	total := c.Epochs * perEpoch
	switch c.Schedule {
	case "step":
		return nn.StepDecay{Base: c.LR, Every: max(total/3, 1), Gamma: 0.1}
	case "cosine":
		return nn.WarmupCosine{Base: c.LR, Min: 0, Warmup: c.Warmup, Total: total}
	}
	return nn.Constant(c.LR)
}

// makeOut creates the output directory and checks that log.json and
// curves.png can be written there. It returns the directory when it
// created it.
func (r *run) makeOut() (made string, err error) {
	dir := r.opts.out
	if dir == "" {
		dir = filepath.Join("runs", r.started.Format("20060102-150405")+"-"+r.cfg.Model)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		made = dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("--out: %w", err)
	}
	r.outDir = dir
	r.logPath = filepath.Join(dir, "log.json")
	r.plotPath = filepath.Join(dir, "curves.png")
	r.steps = newStepLog(filepath.Join(dir, "steps.jsonl"), r.started)
	for _, p := range []string{r.logPath, r.plotPath} {
		if err := atomicfile.CheckWritable(p); err != nil {
			return made, fmt.Errorf("--out %s: cannot write %s: %w", dir, filepath.Base(p), err)
		}
	}
	return made, nil
}

// loop trains the remaining epochs, then prints the summary. A cancelled
// ctx ends it with an *interruptedError once a checkpoint is saved.
func (r *run) loop(ctx context.Context) error {
	r.header()
	if r.trainer.Epoch() > 0 || r.trainer.Batch() > 0 {
		if r.trainer.Batch() > 0 {
			fmt.Fprintf(r.stdout, "resumed in epoch %d after batch %d (step %d)\n", r.trainer.Epoch()+1, r.trainer.Batch(), r.trainer.Step())
		} else {
			fmt.Fprintf(r.stdout, "resumed after epoch %d (step %d)\n", r.trainer.Epoch(), r.trainer.Step())
		}
	}
	r.progress.begin()
	err := r.trainer.Fit(ctx, r.train, r.test)
	r.progress.finish()
	if ferr := r.steps.flush(); err == nil {
		err = ferr
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return r.interrupted()
	}
	var div *nn.DivergedError
	if errors.As(err, &div) {
		return fmt.Errorf("%v; lower --lr, add --clip, or find the op with --detect-anomaly", div)
	}
	if err != nil {
		return err
	}
	if err := r.writeOutputs(); err != nil {
		return err
	}
	r.summary()
	return nil
}

// interrupted saves what a stopped run needs to resume (the trainer has
// written --save already; without it the checkpoint goes into --out) and
// returns the error that ends the command with status 130.
func (r *run) interrupted() error {
	path := r.opts.save
	if path == "" {
		path = filepath.Join(r.outDir, "interrupted.safetensors")
		if err := r.trainer.Save(path); err != nil {
			return fmt.Errorf("interrupted, and the checkpoint failed: %w", err)
		}
	}
	if err := r.writeOutputs(); err != nil {
		return err
	}
	where := fmt.Sprintf("after epoch %d (step %d)", r.trainer.Epoch(), r.trainer.Step())
	if r.trainer.Batch() > 0 {
		where = fmt.Sprintf("in epoch %d after batch %d (step %d)", r.trainer.Epoch()+1, r.trainer.Batch(), r.trainer.Step())
	}
	return &interruptedError{fmt.Sprintf("interrupted %s; checkpoint %s; continue with: tapegrad train --resume %s", where, path, path)}
}

// stepDone feeds the progress display and the steps log.
func (r *run) stepDone(s nn.StepEnd) error {
	r.progress.step(s)
	if r.afterStep != nil {
		r.afterStep(s)
	}
	return r.steps.add(s)
}

// epochDone prints a finished epoch's line and rewrites log.json and the
// plot (the trainer has written the checkpoint).
func (r *run) epochDone(rec nn.EpochStats) error {
	r.progress.epochEnd()
	defer r.progress.nextEpoch()
	fmt.Fprintf(r.stdout, "epoch %2d/%d  train loss %.4f  test loss %.4f  test acc %.2f%%  %.0f samples/s  %.1fs\n",
		rec.Epoch, r.cfg.Epochs, rec.TrainLoss, rec.TestLoss, 100*rec.TestAcc, rec.SamplesPerSec, rec.Seconds)
	if r.opts.memStats {
		r.printMemStats()
	}
	if r.scaler != nil {
		// Read once an epoch, when the trainer has waited for the device.
		scale, _ := r.scaler.State()
		skipped := 0.0
		if s := r.scaler.Skipped(); s != nil { // nil before this process's first step
			skipped = s.Item()
		}
		fmt.Fprintf(r.stdout, "  loss scale %g, %.0f steps skipped (gradients overflowed) in this run\n", scale, skipped)
	}
	if err := r.steps.flush(); err != nil {
		return err
	}
	return r.writeOutputs()
}

// summary prints the last line of a run.
func (r *run) summary() {
	hist := r.trainer.History()
	best, ok := r.trainer.Best()
	if !ok {
		fmt.Fprintf(r.stdout, "nothing to do: %d of %d epochs already done\n", r.trainer.Epoch(), r.cfg.Epochs)
		return
	}
	last := hist[len(hist)-1]
	fmt.Fprintf(r.stdout, "done: %d epochs, final test acc %.2f%% (best %.2f%% after epoch %d), %.1fs this run\n",
		last.Epoch, 100*last.TestAcc, 100*best.TestAcc, best.Epoch, time.Since(r.started).Seconds())
	fmt.Fprintf(r.stdout, "log %s, plot %s", r.logPath, r.plotPath)
	if r.opts.save != "" {
		fmt.Fprintf(r.stdout, ", checkpoint %s", r.opts.save)
	}
	fmt.Fprintln(r.stdout)
}
