package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/nn/safetensors"
)

// Checkpoint metadata keys of a Trainer: where the run stands. Programs
// may add their own keys through TrainerOptions.Meta.
const (
	MetaEpoch   = "tapegrad.epoch"   // epochs done
	MetaStep    = "tapegrad.step"    // optimizer steps done
	MetaHistory = "tapegrad.history" // JSON list of EpochStats
	// MetaBatch, MetaPartialLoss, MetaPartialCorrect and
	// MetaPartialSamples describe an epoch interrupted after MetaBatch
	// batches: its loss sum so far (a float64, written exactly), the
	// samples classified right (optional: 0 when absent) and the sample
	// count. Absent when no epoch is under way.
	MetaBatch          = "tapegrad.batch"
	MetaPartialLoss    = "tapegrad.partial.loss"
	MetaPartialCorrect = "tapegrad.partial.correct"
	MetaPartialSamples = "tapegrad.partial.samples"
	// MetaScalerScale and MetaScalerTracker are a GradScaler's State
	// (with TrainerOptions.Scaler).
	MetaScalerScale   = "tapegrad.scaler.scale"
	MetaScalerTracker = "tapegrad.scaler.growth_tracker"
	metaRNGPrefix     = "tapegrad.rng."
	metaRNGSuffix     = ".offset"
)

// MaxEpochs bounds the epoch count a checkpoint may claim.
const MaxEpochs = 1_000_000

// MetaRNG returns the metadata key of generator name's offset.
func MetaRNG(name string) string { return metaRNGPrefix + name + metaRNGSuffix }

// TrainState is where a run stands, as a checkpoint's metadata say.
type TrainState struct {
	Epoch, Step int          // epochs and optimizer steps done
	History     []EpochStats // one record per epoch done
	Batch       int          // batches done in the unfinished epoch
	PartialLoss float64      // their loss sum
	Correct     int          // their samples classified right
	Samples     int          // their sample count
	RNGs        []uint64     // offsets of the generators asked for, in order
}

// Save writes the model, the optimizer and the run's position to path
// atomically (SaveCheckpoint).
func (t *Trainer) Save(path string) error {
	hist := t.history
	if hist == nil {
		hist = []EpochStats{}
	}
	h, err := json.Marshal(hist)
	if err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	meta := map[string]string{}
	if t.o.Meta != nil {
		for k, v := range t.o.Meta() {
			meta[k] = v
		}
	}
	own := map[string]string{MetaEpoch: strconv.Itoa(t.epoch), MetaStep: strconv.Itoa(t.step), MetaHistory: string(h)}
	if t.batch > 0 {
		sum, hits := t.partialSum, t.hitsSum
		if t.partial != nil {
			sum = t.partial.Item()
		}
		if t.hits != nil {
			hits = t.hits.Item()
		}
		own[MetaBatch] = strconv.Itoa(t.batch)
		own[MetaPartialLoss] = strconv.FormatFloat(sum, 'g', -1, 64)
		own[MetaPartialCorrect] = strconv.FormatFloat(hits, 'f', -1, 64)
		own[MetaPartialSamples] = strconv.Itoa(t.partialN)
	}
	for _, r := range t.o.RNGs {
		own[MetaRNG(r.Name)] = strconv.FormatUint(r.RNG.Offset(), 10)
	}
	if t.o.Scaler != nil {
		scale, tracker := t.o.Scaler.State()
		own[MetaScalerScale] = strconv.FormatFloat(scale, 'g', -1, 64)
		own[MetaScalerTracker] = strconv.Itoa(tracker)
	}
	for k, v := range own {
		if _, clash := meta[k]; clash {
			return fmt.Errorf("nn: save %s: metadata key %q is the trainer's", path, k)
		}
		meta[k] = v
	}
	return SaveCheckpoint(path, t.model, t.opt, meta)
}

// Resume loads a checkpoint written by Save into the model, the optimizer
// and the trainer, after checking that its metadata describe a run that
// could have written it (ParseTrainState). It returns the metadata, for a
// program's own keys. Nothing changes when it fails.
func (t *Trainer) Resume(path string) (map[string]string, error) {
	f, err := readMeta(path)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(t.o.RNGs))
	for i, r := range t.o.RNGs {
		names[i] = r.Name
	}
	st, err := ParseTrainState(f, names)
	if err != nil {
		return nil, fmt.Errorf("resume: %s: %w", path, err)
	}
	if err := t.checkScalerState(f); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", path, err)
	}
	meta, err := LoadCheckpoint(path, t.model, t.opt)
	if err != nil {
		return nil, err
	}
	t.epoch, t.step, t.history = st.Epoch, st.Step, st.History
	t.batch, t.partialN, t.partial, t.hits = st.Batch, st.Samples, nil, nil
	t.partialSum, t.hitsSum, t.partialSet = st.PartialLoss, float64(st.Correct), st.Batch > 0
	for i, r := range t.o.RNGs {
		r.RNG.SetOffset(st.RNGs[i])
	}
	if err := t.loadScalerState(f); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", path, err)
	}
	return meta, nil
}

// scalerState reads a GradScaler's state from checkpoint metadata; ok is
// false when the checkpoint has none (a run without a scaler).
func scalerState(meta map[string]string) (scale float64, tracker int, ok bool, err error) {
	s, has := meta[MetaScalerScale]
	if !has {
		return 0, 0, false, nil
	}
	if scale, err = strconv.ParseFloat(s, 64); err != nil {
		return 0, 0, false, fmt.Errorf("metadata %s = %q: want a number", MetaScalerScale, s)
	}
	if tracker, err = strconv.Atoi(meta[MetaScalerTracker]); err != nil {
		return 0, 0, false, fmt.Errorf("metadata %s = %q: want a count", MetaScalerTracker, meta[MetaScalerTracker])
	}
	return scale, tracker, true, nil
}

// checkScalerState checks the scaler state in meta against the Trainer's
// scaler without changing it; loadScalerState then applies it. A
// checkpoint without one leaves the scaler at its start, and one with a
// state but a Trainer without a scaler ignores it.
func (t *Trainer) checkScalerState(meta map[string]string) error {
	scale, tracker, ok, err := scalerState(meta)
	if err != nil || !ok || t.o.Scaler == nil {
		return err
	}
	probe := NewGradScaler(t.o.Scaler.Options())
	if err := probe.LoadState(scale, tracker); err != nil {
		return fmt.Errorf("metadata %s: %w", MetaScalerScale, err)
	}
	return nil
}

func (t *Trainer) loadScalerState(meta map[string]string) error {
	scale, tracker, ok, err := scalerState(meta)
	if err != nil || !ok || t.o.Scaler == nil {
		return err
	}
	return t.o.Scaler.LoadState(scale, tracker)
}

// ParseTrainState reads and checks the metadata of a trainer checkpoint:
// epoch and step are counts, the history holds one record per epoch done,
// numbered from 1, with the step counts rising, the steps of an
// unfinished epoch make up the difference, the optimizer took as many
// steps as the run, and each generator in rngs has an offset.
func ParseTrainState(meta map[string]string, rngs []string) (TrainState, error) {
	var st TrainState
	bad := func(key, why string) error {
		return fmt.Errorf("metadata %s = %q: %s", key, meta[key], why)
	}
	count := func(key string, dst *int, optional bool) error {
		s, ok := meta[key]
		if !ok && optional {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return bad(key, "want a count of 0 or more")
		}
		*dst = n
		return nil
	}
	for _, c := range []struct {
		key      string
		dst      *int
		optional bool
	}{{MetaEpoch, &st.Epoch, false}, {MetaStep, &st.Step, false}, {MetaBatch, &st.Batch, true}, {MetaPartialSamples, &st.Samples, true}} {
		if err := count(c.key, c.dst, c.optional); err != nil {
			return st, err
		}
	}
	if st.Epoch > MaxEpochs {
		return st, bad(MetaEpoch, fmt.Sprintf("want at most %d", MaxEpochs))
	}
	if s := meta[MetaOptimSteps]; s != meta[MetaStep] {
		return st, bad(MetaStep, fmt.Sprintf("the optimizer took %s steps", s))
	}
	if st.Batch > 0 {
		v, err := strconv.ParseFloat(meta[MetaPartialLoss], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return st, bad(MetaPartialLoss, "want a finite number")
		}
		if st.Samples < st.Batch {
			return st, bad(MetaPartialSamples, fmt.Sprintf("want at least one sample per batch (%d batches)", st.Batch))
		}
		st.PartialLoss = v
		if s, ok := meta[MetaPartialCorrect]; ok {
			c, err := strconv.Atoi(s)
			if err != nil || c < 0 || c > st.Samples {
				return st, bad(MetaPartialCorrect, fmt.Sprintf("want a count from 0 to the %d samples", st.Samples))
			}
			st.Correct = c
		}
	}
	for _, name := range rngs {
		off, err := strconv.ParseUint(meta[MetaRNG(name)], 10, 64)
		if err != nil {
			return st, bad(MetaRNG(name), "want a generator offset, 0 or more")
		}
		st.RNGs = append(st.RNGs, off)
	}
	if err := json.Unmarshal([]byte(meta[MetaHistory]), &st.History); err != nil {
		return st, fmt.Errorf("metadata %s: %v", MetaHistory, oneLine(err.Error()))
	}
	if len(st.History) != st.Epoch {
		return st, fmt.Errorf("metadata %s holds %d epochs, %s says %d", MetaHistory, len(st.History), MetaEpoch, st.Epoch)
	}
	prev := 0
	for i, h := range st.History {
		if h.Epoch != i+1 || h.Step <= prev || h.Step > st.Step {
			return st, fmt.Errorf("metadata %s: record %d (epoch %d, step %d) breaks the sequence of epochs 1..%d with steps rising to %d",
				MetaHistory, i, h.Epoch, h.Step, st.Epoch, st.Step)
		}
		prev = h.Step
	}
	if prev+st.Batch != st.Step {
		return st, bad(MetaStep, fmt.Sprintf("the last finished epoch ended at step %d and %d batches followed", prev, st.Batch))
	}
	return st, nil
}

// readMeta reads only a checkpoint's header.
func readMeta(path string) (map[string]string, error) {
	meta, err := safetensors.ReadMetadata(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load checkpoint: %w", err)
	}
	return meta, nil
}

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
