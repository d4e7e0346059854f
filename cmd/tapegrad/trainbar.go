package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tapegrad/tapegrad/nn"
)

// progress shows a run moving: in a terminal, a bar on stderr with the
// epoch's and the run's ETA; otherwise (a log file, `| tee`, CI) a line on
// stdout every --progress and at each epoch's end, with the step's loss,
// the speed and the ETA. Only those lines read the loss, which waits for
// the device: they are rare.
type progress struct {
	r      *run
	w      io.Writer // where lines go; nil: no lines
	every  time.Duration
	bar    *progressbar.ProgressBar
	useBar bool

	start     time.Time // of this process's training (begin)
	steps     int       // steps done by this process
	epochFrom time.Time // when the current epoch's training began
	lastLine  time.Time
	lastDesc  time.Time
}

func newProgress(r *run, o trainOptions) *progress {
	p := &progress{r: r, every: o.progressEvery}
	if o.quiet {
		return p
	}
	if f, ok := r.stdout.(*os.File); !ok || !isTerminal(f) {
		p.w = r.stdout
	}
	p.useBar = isTerminal(os.Stderr)
	return p
}

// begin starts the clocks, just before training.
func (p *progress) begin() {
	now := time.Now()
	p.start, p.epochFrom, p.lastLine = now, now, now
}

// step counts a finished step, and prints or redraws when it is time.
func (p *progress) step(s nn.StepEnd) {
	now := time.Now()
	if p.useBar && (s.Batch == 1 || p.bar == nil) {
		p.newBar(s)
	}
	p.steps++
	if p.bar != nil {
		_ = p.bar.Add(1) // a failed write to the terminal is not worth stopping training for
		if now.Sub(p.lastDesc) >= time.Second {
			p.lastDesc = now
			p.bar.Describe(fmt.Sprintf("epoch %d/%d (run ETA %s)", s.Epoch, p.r.cfg.Epochs, p.runETA(s)))
		}
	}
	if p.w != nil && (s.Batch == s.Batches || p.every > 0 && now.Sub(p.lastLine) >= p.every) {
		p.lastLine = now
		fmt.Fprintf(p.w, "  epoch %d/%d  step %d/%d  batch %d/%d  loss %.4f  %.0f samples/s  ETA %s\n",
			s.Epoch, p.r.cfg.Epochs, s.Step, p.r.cfg.Epochs*s.Batches, s.Batch, s.Batches, s.Loss.Item(),
			float64(s.Samples)/now.Sub(p.epochFrom).Seconds(), p.runETA(s))
	}
}

// runETA estimates the time left in the whole run from this process's
// steps per second.
func (p *progress) runETA(s nn.StepEnd) string {
	left := p.r.cfg.Epochs*s.Batches - s.Step
	el := time.Since(p.start)
	if p.steps == 0 {
		return "?"
	}
	eta := time.Duration(float64(el) / float64(p.steps) * float64(left))
	if eta < 10*time.Second {
		return eta.Round(100 * time.Millisecond).String()
	}
	return eta.Round(time.Second).String()
}

func (p *progress) newBar(s nn.StepEnd) {
	p.finish()
	p.lastDesc = time.Time{} // describe the new bar at its first step
	p.bar = progressbar.NewOptions(s.Batches,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", s.Epoch, p.r.cfg.Epochs)),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	// A resumed epoch starts part way.
	_ = p.bar.Set(s.Batch - 1)
}

// epochEnd clears the bar, leaving the line for the epoch's summary.
func (p *progress) epochEnd() { p.finish() }

// nextEpoch notes that the next epoch's training begins now, once the
// epoch's outputs are written.
func (p *progress) nextEpoch() { p.epochFrom = time.Now() }

// finish clears the bar, if any.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// isTerminal reports whether f is a character device, which is what a
// terminal is; pipes and files are not.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
