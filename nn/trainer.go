package nn

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TrainerOptions configure a Trainer. The zero value trains with the
// cross-entropy, at the optimizer's learning rate, without clipping,
// checkpoints or callbacks.
type TrainerOptions struct {
	// Epochs is how many epochs Fit trains until (a resumed run counts
	// the epochs done before).
	Epochs int
	// Schedule gives the learning rate before each optimizer step,
	// counted from 0 over the whole run; nil leaves the optimizer's.
	Schedule Schedule
	// Loss is what training minimises; nil means CrossEntropyLoss{}.
	Loss Loss
	// EvalLoss is the loss evaluation reports; nil means Loss.
	EvalLoss Loss
	// Metrics are averaged by evaluation after the loss and accuracy.
	Metrics []Metric
	// Clip, when positive, clips the gradients to this global norm
	// (ClipGradNorm) before each step.
	Clip float64
	// Autocast, when device.BFloat16 or device.Float16, runs training and
	// evaluation forward passes under autograd.Autocast: products (Linear,
	// convolutions) in that dtype with float32 accumulation, the rest, the
	// parameters and the optimizer in float32. Float32 (the zero value)
	// is off.
	Autocast device.DType
	// TF32 lets float32 products use TF32 operands on devices that have
	// such a mode (autograd.AllowTF32); the CPU ignores it.
	TF32 bool
	// Scaler, when set, scales the loss before backward and skips steps
	// whose gradients overflow (see GradScaler): what float16 training
	// needs. Clipping sees the unscaled gradients. Checkpoints save its
	// scale.
	Scaler *GradScaler
	// RNGs are the generators the model draws from while training
	// (Dropout's); checkpoints save their offsets and Resume restores
	// them, so a resumed run draws what an uninterrupted one would.
	RNGs []NamedRNG
	// Checkpoint, when set, is the path of the last checkpoint: written
	// atomically after every epoch and when Fit is cancelled.
	Checkpoint string
	// BestCheckpoint, when set, is written after an epoch whose
	// evaluation is the best so far (see EpochStats.Better).
	BestCheckpoint string
	// Meta returns extra checkpoint metadata (a program's settings, say);
	// keys must not clash with the Trainer's ("tapegrad.epoch", ...).
	Meta func() map[string]string
	// ReleaseMemory makes each step hand its device memory back as soon
	// as it is done with it instead of when the garbage collector runs:
	// Backward frees the model's intermediate values (autograd's
	// ReleaseValues) and each Param's gradient is freed when the next
	// step clears it (Var.ReleaseGrad). The model and Loss must not keep
	// a Var of the forward pass past its step, nor the caller a Grad past
	// the next step (nn's modules keep neither); reading one panics with
	// tensor.ErrReleased. `tapegrad train` sets it.
	ReleaseMemory bool
	// OnStep is called after every optimizer step; an error stops Fit.
	OnStep func(StepEnd) error
	// OnEpoch is called after every epoch, once its checkpoints are
	// written; an error stops Fit.
	OnEpoch func(EpochStats) error
}

// NamedRNG is a generator whose offset checkpoints save under
// "tapegrad.rng.<Name>.offset".
type NamedRNG struct {
	Name string
	RNG  *tensor.RNG
}

// StepEnd describes a finished optimizer step to TrainerOptions.OnStep.
type StepEnd struct {
	Epoch   int     // the epoch the step belongs to, from 1
	Batch   int     // batches done in this epoch, the step's included
	Batches int     // batches per epoch
	Step    int     // optimizer steps done in the whole run
	Samples int     // samples trained on in this epoch by this process
	LR      float64 // the step's learning rate
	// Loss is the step's mean loss, a scalar on the device: reading it
	// (Item) waits for the device, so a callback should do it rarely.
	Loss *tensor.Tensor
	// Correct is how many of the batch's samples the model classified
	// right before the step, a float64 scalar on the device; nil unless
	// the outputs and targets are a classifier's (see EpochStats.TrainAcc).
	Correct *tensor.Tensor
}

// EpochStats is one epoch of a run, as log files and checkpoints keep it.
type EpochStats struct {
	Epoch         int           `json:"epoch"`
	Step          int           `json:"step"` // optimizer steps done after the epoch
	LR            float64       `json:"lr"`   // learning rate of the epoch's last step
	TrainLoss     float64       `json:"train_loss"`
	TrainAcc      float64       `json:"train_acc"` // fraction in [0, 1] of the epoch's training samples, each counted at its own step (before that step's update); 0 unless a classifier
	TestLoss      float64       `json:"test_loss"`
	TestAcc       float64       `json:"test_acc"` // fraction in [0, 1]; 0 unless a classifier was evaluated
	SamplesPerSec float64       `json:"samples_per_sec"`
	Seconds       float64       `json:"seconds"` // training and evaluation
	Metrics       []MetricValue `json:"metrics,omitempty"`
}

// Better reports whether e is a better epoch than o: a higher accuracy
// for a classifier, else a lower evaluation loss, else (without an
// evaluation set, where both are 0) a lower training loss.
func (e EpochStats) Better(o EpochStats) bool {
	if e.TestAcc != o.TestAcc {
		return e.TestAcc > o.TestAcc
	}
	if e.TestLoss != o.TestLoss {
		return e.TestLoss < o.TestLoss
	}
	return e.TrainLoss < o.TrainLoss
}

// EvalResult is an evaluation's means over a data set.
type EvalResult struct {
	Loss     float64
	Accuracy float64 // 0 unless the outputs and targets are a classifier's
	Metrics  []MetricValue
}

// Trainer fits a Module with an Optimizer. It keeps the run's position
// (epochs and steps done, the history) so that Fit can be cancelled,
// checkpointed and resumed to the same numbers an uninterrupted run
// gives: batches come in an order fixed by the loader's seed and the
// epoch, generators restart at their saved offsets, and the partial
// epoch's loss sum is saved exactly.
//
// A step never waits for the device: the loss is summed there and read
// once per epoch, clipping stays on the device, and only OnStep
// callbacks that read StepEnd.Loss synchronise.
type Trainer struct {
	model Module
	opt   Optimizer
	o     TrainerOptions

	epoch, step int // epochs and optimizer steps done
	history     []EpochStats
	// The current epoch's progress: batches done, their loss sum, the
	// samples classified right and the sample count (the sums restored
	// from a checkpoint as host numbers).
	batch      int
	partial    *tensor.Tensor
	hits       *tensor.Tensor
	partialN   int
	partialSet bool
	partialSum float64
	hitsSum    float64
}

// NewTrainer returns a trainer of model with opt.
func NewTrainer(model Module, opt Optimizer, o TrainerOptions) *Trainer {
	if o.Loss == nil {
		o.Loss = CrossEntropyLoss{}
	}
	if o.EvalLoss == nil {
		o.EvalLoss = o.Loss
	}
	return &Trainer{model: model, opt: opt, o: o}
}

// Epoch returns the number of epochs done.
func (t *Trainer) Epoch() int { return t.epoch }

// Step returns the number of optimizer steps done.
func (t *Trainer) Step() int { return t.step }

// Batch returns the batches done in the current, unfinished epoch.
func (t *Trainer) Batch() int { return t.batch }

// History returns the finished epochs' statistics.
func (t *Trainer) History() []EpochStats { return t.history }

// Best returns the best epoch so far (EpochStats.Better) and false when
// none is done.
func (t *Trainer) Best() (EpochStats, bool) {
	if len(t.history) == 0 {
		return EpochStats{}, false
	}
	best := t.history[0]
	for _, h := range t.history[1:] {
		if h.Better(best) {
			best = h
		}
	}
	return best, true
}

// DivergedError is a training loss that became NaN or infinite.
type DivergedError struct {
	Epoch int
	Loss  float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("epoch %d: training loss is %v", e.Epoch, e.Loss)
}

// Fit trains on train until Epochs epochs are done, evaluating on eval
// (which may be nil) after each. When ctx is cancelled, Fit finishes the
// step under way, writes the last checkpoint (when one is configured)
// and returns an error wrapping ctx.Err(); the model is then exactly as
// after that step, and Resume continues from it.
func (t *Trainer) Fit(ctx context.Context, train, eval *Loader) error {
	for t.epoch < t.o.Epochs {
		rec, err := t.runEpoch(ctx, train, eval)
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				if t.o.Checkpoint != "" {
					if serr := t.Save(t.o.Checkpoint); serr != nil {
						return fmt.Errorf("nn: training stopped (%w) but the checkpoint failed: %v", ctx.Err(), serr)
					}
				}
				return fmt.Errorf("nn: training stopped at epoch %d after batch %d (step %d): %w", t.epoch+1, t.batch, t.step, err)
			}
			return err
		}
		best, _ := t.Best()
		t.epoch++
		t.batch, t.partial, t.hits, t.partialN, t.partialSet = 0, nil, nil, 0, false
		t.history = append(t.history, rec)
		if t.o.Checkpoint != "" {
			if err := t.Save(t.o.Checkpoint); err != nil {
				return err
			}
		}
		if t.o.BestCheckpoint != "" && (len(t.history) == 1 || rec.Better(best)) {
			if err := t.Save(t.o.BestCheckpoint); err != nil {
				return err
			}
		}
		if t.o.OnEpoch != nil {
			if err := t.o.OnEpoch(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// input marks a batch for autocast and TF32 as the options ask.
func (t *Trainer) input(x *autograd.Var) *autograd.Var {
	if t.o.TF32 {
		x = autograd.AllowTF32(x, true)
	}
	if t.o.Autocast == device.Float32 {
		return x
	}
	return autograd.Autocast(x, t.o.Autocast)
}

// backwardAndStep differentiates loss and takes the optimizer step,
// through the scaler when there is one, clipping in between.
func (t *Trainer) backwardAndStep(loss *autograd.Var) {
	s := t.o.Scaler
	g := autograd.GradOptions{ReleaseValues: t.o.ReleaseMemory}
	if s != nil {
		// The gradient of loss*scale, as a seed rather than a recorded
		// product, so the loss stays the pass's output and keeps the value
		// the step still reads when ReleaseValues frees the rest.
		g.Seeds = []*autograd.Var{s.Seed(loss)}
	}
	autograd.Backward([]*autograd.Var{loss}, g)
	if s == nil {
		if t.o.Clip > 0 {
			ClipGradNorm(t.opt.Params(), t.o.Clip)
		}
		t.opt.Step()
		return
	}
	if t.o.Clip > 0 {
		s.Unscale(t.opt)
		ClipGradNorm(t.opt.Params(), t.o.Clip)
	}
	s.Step(t.opt)
	s.Update()
}

// runEpoch trains the rest of the current epoch and evaluates. A
// cancelled ctx returns ctx.Err() at a step boundary, with the epoch's
// progress kept in t.
func (t *Trainer) runEpoch(ctx context.Context, train, eval *Loader) (EpochStats, error) {
	start := time.Now()
	t.model.Train(true)
	n := 0
	if t.partialSet {
		// The partial sum of a resumed epoch, as the same float64 on the
		// device, so the epoch's mean is the uninterrupted run's.
		t.partialSet = false
		t.partial, t.hits = nil, nil
		if t.partialN > 0 {
			t.partial = tensor.Scalar(train.cfg.Device, device.Float64, t.partialSum)
			t.hits = tensor.Scalar(train.cfg.Device, device.Float64, t.hitsSum)
		}
	}
	for x, y := range train.BatchesFrom(t.epoch, t.batch) {
		if err := ctx.Err(); err != nil {
			return EpochStats{}, err
		}
		if t.o.Schedule != nil {
			t.opt.SetLR(t.o.Schedule.LR(t.step))
		}
		out := t.model.Forward(t.input(autograd.Const(x)))
		loss := t.o.Loss.Mean(out, y)
		hits := correct(out.Value(), y)
		if hits != nil {
			accumulate(&t.hits, hits)
		}
		if t.o.ReleaseMemory {
			for _, p := range t.opt.Params() {
				p.Var.ReleaseGrad()
			}
		} else {
			t.opt.ZeroGrad()
		}
		t.backwardAndStep(loss)
		t.step++
		t.batch++
		b := y.Shape()[0]
		accumulate(&t.partial, loss.Value().Cast(device.Float64).MulScalar(float64(b)))
		t.partialN += b
		n += b
		if t.o.OnStep != nil {
			err := t.o.OnStep(StepEnd{Epoch: t.epoch + 1, Batch: t.batch, Batches: train.Len(), Step: t.step,
				Samples: n, LR: t.opt.LR(), Loss: loss.Value(), Correct: hits})
			if err != nil {
				return EpochStats{}, err
			}
		}
	}
	trainLoss := math.NaN()
	if t.partial != nil {
		trainLoss = t.partial.Item() / float64(t.partialN)
	}
	trainTime := time.Since(start)
	if math.IsNaN(trainLoss) || math.IsInf(trainLoss, 0) {
		return EpochStats{}, &DivergedError{Epoch: t.epoch + 1, Loss: trainLoss}
	}
	rec := EpochStats{Epoch: t.epoch + 1, Step: t.step, LR: t.opt.LR(), TrainLoss: trainLoss,
		SamplesPerSec: float64(n) / trainTime.Seconds()}
	if t.hits != nil {
		rec.TrainAcc = t.hits.Item() / float64(t.partialN)
	}
	if eval != nil {
		r := t.Evaluate(eval)
		rec.TestLoss, rec.TestAcc, rec.Metrics = r.Loss, r.Accuracy, r.Metrics
	}
	rec.Seconds = time.Since(start).Seconds()
	return rec, nil
}

// Evaluate returns the mean EvalLoss, the accuracy (for a classifier) and
// the Metrics of the model on l, in evaluation mode and without recording
// (autograd.NoGrad), then puts the model back in training mode. Sums stay
// on the device until the end.
func (t *Trainer) Evaluate(l *Loader) EvalResult {
	t.model.Train(false)
	defer t.model.Train(true)
	var loss, hits *tensor.Tensor
	sums := make([]*tensor.Tensor, len(t.o.Metrics))
	classifier := true
	for x, y := range l.Batches(0) {
		out := t.model.Forward(t.input(autograd.NoGrad(autograd.Const(x)))).Value()
		accumulate(&loss, t.o.EvalLoss.Sum(out, y))
		if c := correct(out, y); c != nil && classifier {
			accumulate(&hits, c)
		} else {
			classifier = false
		}
		for i, m := range t.o.Metrics {
			accumulate(&sums[i], m.Sum(out, y))
		}
	}
	n := float64(l.Samples())
	var r EvalResult
	if loss == nil {
		return r
	}
	r.Loss = loss.Item() / n
	if classifier && hits != nil {
		r.Accuracy = hits.Item() / n
	}
	for i, m := range t.o.Metrics {
		r.Metrics = append(r.Metrics, MetricValue{Name: m.Name, Value: sums[i].Item() / n})
	}
	return r
}
