package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// stepsFlushEvery is how many steps stepLog keeps before writing them.
const stepsFlushEvery = 100

// stepRecord is one line of steps.jsonl.
type stepRecord struct {
	Epoch int     `json:"epoch"`
	Batch int     `json:"batch"`
	Step  int     `json:"step"`
	LR    float64 `json:"lr"`
	Loss  float64 `json:"loss"`
	Time  float64 `json:"seconds"` // since the run (this process) started
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
}

func newStepLog(path string, start time.Time) *stepLog { return &stepLog{path: path, start: start} }

// add records a finished step; it writes when enough are pending.
func (l *stepLog) add(s nn.StepEnd) error {
	l.pending = append(l.pending, stepRecord{Epoch: s.Epoch, Batch: s.Batch, Step: s.Step, LR: s.LR,
		Time: time.Since(l.start).Seconds()})
	l.losses = append(l.losses, s.Loss.Cast(device.Float64).Reshape(1))
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
	vals := tensor.Concat(0, l.losses...).Float64s()
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
	l.pending, l.losses = l.pending[:0], l.losses[:0]
	if err := f.Close(); err != nil {
		return fmt.Errorf("steps log %s: %w", l.path, err)
	}
	return nil
}
