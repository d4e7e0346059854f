package main

import (
	"encoding/json"
	"time"

	"github.com/tapegrad/tapegrad/internal/atomicfile"
	"github.com/tapegrad/tapegrad/nn"
)

// epochRecord is one epoch of a run, as log.json and checkpoints keep it.
type epochRecord = nn.EpochStats

// trainLog is the content of log.json.
type trainLog struct {
	Config  trainConfig   `json:"config"`
	Device  string        `json:"device"`
	Started time.Time     `json:"started"`
	Resumed string        `json:"resumed_from,omitempty"`
	Epochs  []epochRecord `json:"epochs"`
}

// writeOutputs rewrites log.json and curves.png from the history and the
// steps so far, so an interrupted run still leaves them.
func (r *run) writeOutputs() error {
	l := trainLog{Config: r.cfg, Device: r.dev.String(), Started: r.started, Resumed: r.opts.resume, Epochs: r.trainer.History()}
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
	steps, err := readSteps(r.steps.path)
	if err != nil {
		return err
	}
	return writePlot(r.plotPath, r.cfg.Model, l.Epochs, steps)
}
