package main

import (
	"encoding/json"
	"time"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

// epochRecord is one epoch of a run, as log.json and checkpoints keep it.
type epochRecord struct {
	Epoch         int     `json:"epoch"`
	Step          int     `json:"step"` // optimizer steps done after the epoch
	LR            float64 `json:"lr"`   // learning rate of the epoch's last step
	TrainLoss     float64 `json:"train_loss"`
	TestLoss      float64 `json:"test_loss"`
	TestAcc       float64 `json:"test_acc"` // fraction in [0, 1]
	SamplesPerSec float64 `json:"samples_per_sec"`
	Seconds       float64 `json:"seconds"` // training and evaluation
}

// trainLog is the content of log.json.
type trainLog struct {
	Config  trainConfig   `json:"config"`
	Device  string        `json:"device"`
	Started time.Time     `json:"started"`
	Resumed string        `json:"resumed_from,omitempty"`
	Epochs  []epochRecord `json:"epochs"`
}

// writeOutputs rewrites log.json and curves.png from the history so far,
// so an interrupted run still leaves them.
func (r *run) writeOutputs() error {
	l := trainLog{Config: r.cfg, Device: r.dev.String(), Started: r.started, Resumed: r.opts.resume, Epochs: r.history}
	if l.Epochs == nil {
		l.Epochs = []epochRecord{}
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(r.logPath, append(b, '\n')); err != nil {
		return err
	}
	return writePlot(r.plotPath, r.cfg.Model, r.history)
}
