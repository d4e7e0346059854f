package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// bar is an epoch's progress bar on stderr, or nothing when stderr is not
// a terminal (logs, pipes, tests) or --quiet is set.
type bar struct{ pb *progressbar.ProgressBar }

func newBar(n int, desc string, quiet bool) bar {
	if quiet || !isTerminal(os.Stderr) {
		return bar{}
	}
	return bar{progressbar.NewOptions(n,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// advance counts one batch.
func (b bar) advance() {
	if b.pb != nil {
		_ = b.pb.Add(1) // a failed write to the terminal is not worth stopping training for
	}
}

// finish clears the bar, leaving the line for the epoch's summary.
func (b bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

// isTerminal reports whether f is a character device, which is what a
// terminal is; pipes and files are not.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
