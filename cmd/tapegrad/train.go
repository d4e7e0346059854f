package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/internal/atomicfile"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/data"
	"github.com/tapegrad/tapegrad/tensor"
)

// run is one training run's state.
type run struct {
	cfg      trainConfig
	opts     trainOptions
	dev      device.Device
	model    nn.Module
	opt      nn.Optimizer
	sched    nn.Schedule
	dropRNG  *tensor.RNG
	train    *nn.Loader
	test     *nn.Loader
	epoch    int // epochs done
	step     int // optimizer steps done
	history  []epochRecord
	stdout   io.Writer
	started  time.Time
	logPath  string
	plotPath string
}

// runTrain is `tapegrad train`: it trains an MLP or CNN on Fashion-MNIST,
// printing a line per epoch, and writes log.json and curves.png into
// --out and a checkpoint to --save after every epoch.
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
	if opts.anomaly {
		autograd.SetAnomalyDetection(true)
		defer autograd.SetAnomalyDetection(false)
		if perr := tensor.Try(func() { err = r.loop() }); perr != nil {
			return perr
		}
		return err
	}
	return r.loop()
}

// newRun loads the data, builds the model and optimizer, and restores a
// checkpoint when resuming.
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
		Device: dev, Flat: flat, Mean: nn.FashionMNISTMean, Std: nn.FashionMNISTStd})
	if err != nil {
		return nil, err
	}
	r.test, err = nn.NewLoader(head(ds.Test, cfg.TestLimit), nn.LoaderConfig{Batch: 1000,
		Device: dev, Flat: flat, Mean: nn.FashionMNISTMean, Std: nn.FashionMNISTStd})
	if err != nil {
		return nil, err
	}
	// Weights, shuffling (cfg.Seed+1 above) and dropout draw from Philox
	// under different keys: independent streams from one --seed.
	r.dropRNG = tensor.NewRNG(cfg.Seed + 2)
	init := nn.Config{Device: dev, DType: device.Float32, RNG: tensor.NewRNG(cfg.Seed)}
	r.model = buildModel(cfg.Model, init, cfg.Dropout, r.dropRNG)
	r.opt = buildOptimizer(cfg, r.model.Parameters())
	r.sched = buildSchedule(cfg, r.train.Len())
	if opts.resume != "" {
		if err := r.restore(opts.resume); err != nil {
			return nil, err
		}
	}
	return r, nil
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

// restore loads a checkpoint written by save into the run, after
// checking that its resume metadata describe a run that could have
// written it.
func (r *run) restore(path string) error {
	meta, err := nn.LoadCheckpoint(path, r.model, r.opt)
	if err != nil {
		return err
	}
	st, err := parseResume(meta)
	if err != nil {
		return fmt.Errorf("resume: %s: %w", path, err)
	}
	r.epoch, r.step, r.history = st.epoch, st.step, st.history
	r.dropRNG.SetOffset(st.dropout)
	return nil
}

// resumeState is what a checkpoint's metadata say about the run so far.
type resumeState struct {
	epoch, step int
	dropout     uint64
	history     []epochRecord
}

// parseResume reads and checks the resume metadata: epoch and step are
// counts, the history holds one record per epoch done, numbered from 1,
// with the step counts rising to step, and the optimizer took as many
// steps as the run.
func parseResume(meta map[string]string) (resumeState, error) {
	var st resumeState
	bad := func(key, why string) error {
		return fmt.Errorf("metadata %s = %q: %s", key, meta[key], why)
	}
	ints := []struct {
		key string
		dst *int
	}{{metaEpoch, &st.epoch}, {metaStep, &st.step}}
	for _, kv := range ints {
		n, err := strconv.Atoi(meta[kv.key])
		if err != nil || n < 0 {
			return st, bad(kv.key, "want a count of 0 or more")
		}
		*kv.dst = n
	}
	if st.epoch > maxEpochs {
		return st, bad(metaEpoch, fmt.Sprintf("want at most %d", maxEpochs))
	}
	if s := meta[nn.MetaOptimSteps]; s != meta[metaStep] {
		return st, bad(metaStep, fmt.Sprintf("the optimizer took %s steps", s))
	}
	off, err := strconv.ParseUint(meta[metaDropout], 10, 64)
	if err != nil {
		return st, bad(metaDropout, "want a generator offset, 0 or more")
	}
	st.dropout = off
	if err := json.Unmarshal([]byte(meta[metaHistory]), &st.history); err != nil {
		return st, fmt.Errorf("metadata %s: %v", metaHistory, err)
	}
	if len(st.history) != st.epoch {
		return st, fmt.Errorf("metadata %s holds %d epochs, %s says %d", metaHistory, len(st.history), metaEpoch, st.epoch)
	}
	prev := 0
	for i, h := range st.history {
		if h.Epoch != i+1 || h.Step <= prev || h.Step > st.step {
			return st, fmt.Errorf("metadata %s: record %d (epoch %d, step %d) breaks the sequence of epochs 1..%d with steps rising to %d",
				metaHistory, i, h.Epoch, h.Step, st.epoch, st.step)
		}
		prev = h.Step
	}
	if st.epoch > 0 && prev != st.step {
		return st, bad(metaStep, fmt.Sprintf("the last epoch of %s ended at step %d", metaHistory, prev))
	}
	return st, nil
}

// save writes the checkpoint of the epochs done so far.
func (r *run) save() error {
	cfg, err := json.Marshal(r.cfg)
	if err != nil {
		return err
	}
	hist, err := json.Marshal(r.history)
	if err != nil {
		return err
	}
	meta := map[string]string{
		metaConfig: string(cfg), metaHistory: string(hist),
		metaEpoch: strconv.Itoa(r.epoch), metaStep: strconv.Itoa(r.step),
		metaDropout: strconv.FormatUint(r.dropRNG.Offset(), 10),
	}
	return nn.SaveCheckpoint(r.opts.save, r.model, r.opt, meta)
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
	r.logPath = filepath.Join(dir, "log.json")
	r.plotPath = filepath.Join(dir, "curves.png")
	for _, p := range []string{r.logPath, r.plotPath} {
		if err := atomicfile.CheckWritable(p); err != nil {
			return made, fmt.Errorf("--out %s: cannot write %s: %w", dir, filepath.Base(p), err)
		}
	}
	return made, nil
}

// loop trains the remaining epochs, then prints the summary.
func (r *run) loop() error {
	fmt.Fprintf(r.stdout, "training %s (%d parameters) on %v with %s, lr %g, batch %d: %d training and %d test samples\n",
		r.cfg.Model, nn.NumParams(r.model), r.dev, r.cfg.Optimizer, r.cfg.LR, r.cfg.Batch, r.train.Samples(), r.test.Samples())
	if r.epoch > 0 {
		fmt.Fprintf(r.stdout, "resumed after epoch %d (step %d)\n", r.epoch, r.step)
	}
	for r.epoch < r.cfg.Epochs {
		if err := r.epochDone(r.runEpoch()); err != nil {
			return err
		}
	}
	if err := r.writeOutputs(); err != nil {
		return err
	}
	r.summary()
	return nil
}

// epochDone records a finished epoch: its line, log.json, the plot and
// the checkpoint.
func (r *run) epochDone(rec epochRecord, err error) error {
	if err != nil {
		return err
	}
	r.epoch++
	r.history = append(r.history, rec)
	fmt.Fprintf(r.stdout, "epoch %2d/%d  train loss %.4f  test loss %.4f  test acc %.2f%%  %.0f samples/s  %.1fs\n",
		rec.Epoch, r.cfg.Epochs, rec.TrainLoss, rec.TestLoss, 100*rec.TestAcc, rec.SamplesPerSec, rec.Seconds)
	if err := r.writeOutputs(); err != nil {
		return err
	}
	if r.opts.save != "" {
		return r.save()
	}
	return nil
}

// runEpoch trains one epoch and evaluates on the test set.
func (r *run) runEpoch() (epochRecord, error) {
	start := time.Now()
	r.model.Train(true)
	bar := newBar(r.train.Len(), fmt.Sprintf("epoch %d/%d", r.epoch+1, r.cfg.Epochs), r.opts.quiet)
	// The loss is summed on the device and read once per epoch, so a step
	// never waits for the GPU (the same float64 sum, in the same order, as
	// reading each step's loss would give).
	var sum *tensor.Tensor
	n := 0
	for x, y := range r.train.Batches(r.epoch) {
		r.opt.SetLR(r.sched.LR(r.step))
		loss := nn.CrossEntropy(r.model.Forward(autograd.Const(x)), y, r.cfg.Smoothing)
		r.opt.ZeroGrad()
		loss.Backward()
		if r.cfg.Clip > 0 {
			nn.ClipGradNorm(r.opt.Params(), r.cfg.Clip)
		}
		r.opt.Step()
		r.step++
		b := y.Numel()
		l := loss.Value().Cast(device.Float64).MulScalar(float64(b))
		if sum == nil {
			sum = l
		} else {
			sum = sum.Add(l)
		}
		n += b
		bar.advance()
	}
	bar.finish()
	trainLoss := math.NaN()
	if sum != nil {
		trainLoss = sum.Item() / float64(n)
	}
	trainTime := time.Since(start)
	if math.IsNaN(trainLoss) || math.IsInf(trainLoss, 0) {
		return epochRecord{}, fmt.Errorf("epoch %d: training loss is %v; lower --lr, add --clip, or find the op with --detect-anomaly", r.epoch+1, trainLoss)
	}
	testLoss, testAcc := evaluate(r.model, r.test)
	return epochRecord{
		Epoch: r.epoch + 1, Step: r.step, LR: r.opt.LR(),
		TrainLoss: trainLoss, TestLoss: testLoss, TestAcc: testAcc,
		SamplesPerSec: float64(n) / trainTime.Seconds(), Seconds: time.Since(start).Seconds(),
	}, nil
}

// evaluate returns the mean cross-entropy and the accuracy of m on l, in
// evaluation mode and without recording.
func evaluate(m nn.Module, l *nn.Loader) (loss, acc float64) {
	m.Train(false)
	defer m.Train(true)
	var sum, correct float64
	for x, y := range l.Batches(0) {
		logits := m.Forward(autograd.NoGrad(autograd.Const(x))).Value()
		sum += tensor.CrossEntropy(logits, y, 0).Sum(false).Item()
		correct += logits.ArgMax(1, false).Eq(y).Sum(false).Item()
	}
	n := float64(l.Samples())
	return sum / n, correct / n
}

// summary prints the last line of a run.
func (r *run) summary() {
	if len(r.history) == 0 {
		fmt.Fprintf(r.stdout, "nothing to do: %d of %d epochs already done\n", r.epoch, r.cfg.Epochs)
		return
	}
	last, best := r.history[len(r.history)-1], r.history[0]
	for _, h := range r.history {
		if h.TestAcc > best.TestAcc {
			best = h
		}
	}
	fmt.Fprintf(r.stdout, "done: %d epochs, final test acc %.2f%% (best %.2f%% after epoch %d), %.1fs this run\n",
		last.Epoch, 100*last.TestAcc, 100*best.TestAcc, best.Epoch, time.Since(r.started).Seconds())
	fmt.Fprintf(r.stdout, "log %s, plot %s", r.logPath, r.plotPath)
	if r.opts.save != "" {
		fmt.Fprintf(r.stdout, ", checkpoint %s", r.opts.save)
	}
	fmt.Fprintln(r.stdout)
}
