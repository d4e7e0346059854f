package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// stepsFlushEvery is how many steps stepLog keeps before writing them.
const stepsFlushEvery = 100

// stepRecord is one line of steps.jsonl.
type stepRecord struct {
	Epoch   int      `json:"epoch"`
	Batch   int      `json:"batch"`
	Batches int      `json:"batches"` // per epoch
	Step    int      `json:"step"`
	LR      float64  `json:"lr"`
	Loss    float64  `json:"loss"`
	Acc     *float64 `json:"acc,omitempty"` // the batch's accuracy before the step; absent unless a classifier
	Time    float64  `json:"seconds"`       // since the run (this process) started
}

// stepLog appends a JSON line per optimizer step to steps.jsonl in --out.
// Reading a step's loss waits for the device, so the losses stay on the
// device and are read together, one copy per stepsFlushEvery steps and at
// each epoch's end.
type stepLog struct {
	path    string
	start   time.Time
	pending []stepRecord
	losses  []*tensor.Tensor // the pending steps' losses, on the device
	correct []*tensor.Tensor // and their right-classified counts (nil when none)
	sizes   []int            // and their batch sizes
	// The epoch and sample count of the last step added, from which the
	// next step's batch size follows.
	lastEpoch, lastSamples int
}

func newStepLog(path string, start time.Time) *stepLog { return &stepLog{path: path, start: start} }

// add records a finished step; it writes when enough are pending.
func (l *stepLog) add(s nn.StepEnd) error {
	l.pending = append(l.pending, stepRecord{Epoch: s.Epoch, Batch: s.Batch, Batches: s.Batches, Step: s.Step, LR: s.LR,
		Time: time.Since(l.start).Seconds()})
	l.losses = append(l.losses, s.Loss.Cast(device.Float64).Reshape(1))
	size := s.Samples
	if s.Epoch == l.lastEpoch {
		size -= l.lastSamples
	}
	l.lastEpoch, l.lastSamples = s.Epoch, s.Samples
	l.sizes = append(l.sizes, size)
	var c *tensor.Tensor
	if s.Correct != nil {
		c = s.Correct.Cast(device.Float64).Reshape(1)
	}
	l.correct = append(l.correct, c)
	if len(l.pending) >= stepsFlushEvery {
		return l.flush()
	}
	return nil
}

// flush reads the pending losses in one copy and appends their lines.
func (l *stepLog) flush() error {
	if len(l.pending) == 0 {
		return nil
	}
	// One copy for the losses and the counts together.
	all := slices.Clone(l.losses)
	for _, c := range l.correct {
		if c != nil {
			all = append(all, c)
		}
	}
	vals := tensor.Concat(0, all...).Float64s()
	counts := vals[len(l.losses):]
	for i, c := range l.correct {
		if c != nil {
			acc := counts[0] / float64(max(l.sizes[i], 1))
			l.pending[i].Acc = &acc
			counts = counts[1:]
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("steps log: %w", err)
	}
	enc := json.NewEncoder(f)
	for i, r := range l.pending {
		r.Loss = vals[i]
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("steps log %s: %w", l.path, err)
		}
	}
	l.pending, l.losses, l.correct, l.sizes = l.pending[:0], l.losses[:0], l.correct[:0], l.sizes[:0]
	if err := f.Close(); err != nil {
		return fmt.Errorf("steps log %s: %w", l.path, err)
	}
	return nil
}

// readSteps returns the records of the steps.jsonl at path in step order,
// the last of any step written twice (a run resumed from an earlier
// checkpoint repeats steps), and none when the file does not exist. A
// line that does not parse (one cut short by a crash) is skipped: the
// plot is drawn from what was written.
func readSteps(path string) ([]stepRecord, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("steps log: %w", err)
	}
	defer f.Close()
	var recs []stepRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r stepRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Step > 0 && r.Epoch > 0 {
			recs = append(recs, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("steps log %s: %w", path, err)
	}
	// A stable sort keeps repeats in file order, so the later one wins.
	slices.SortStableFunc(recs, func(a, b stepRecord) int { return a.Step - b.Step })
	out := recs[:0]
	for _, r := range recs {
		if n := len(out); n > 0 && out[n-1].Step == r.Step {
			out[n-1] = r
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
