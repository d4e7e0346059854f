package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
)

// buildVersion returns the module version and VCS commit this binary was
// built from, as runtime/debug records them ("(devel)" and "unknown" for
// `go run` or a test).
func buildVersion() (version, commit string) {
	version, commit = "(devel)", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, commit
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		commit += " (modified)"
	}
	return version, commit
}

// runVersion is `tapegrad version`.
func runVersion(args []string, stdout io.Writer) error {
	if help, err := parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args, stdout, "tapegrad version",
		"Prints the version and commit of this build and the Go version."); help || err != nil {
		return err
	}
	v, c := buildVersion()
	fmt.Fprintf(stdout, "tapegrad %s commit %s %s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// header prints what a run is: the build, the device, the settings, the
// data and the model's layers.
func (r *run) header() {
	v, c := buildVersion()
	fmt.Fprintf(r.stdout, "tapegrad %s commit %s, %s, %d threads\n", v, c, runtime.Version(), runtime.GOMAXPROCS(0))
	dev := r.dev.String()
	if b, err := device.Open(r.dev); err == nil {
		info := b.Info()
		dev += ": " + info.Name
		if info.TotalMemory > 0 {
			dev += ", " + bytesString(info.TotalMemory)
		}
	}
	fmt.Fprintf(r.stdout, "device %s; precision %s, seed %d\n", dev, precisionString(r.cfg.Precision), r.cfg.Seed)
	fmt.Fprintf(r.stdout, "training %s (%d parameters) on %v with %s, lr %g, batch %d: %d training and %d test samples\n",
		r.cfg.Model, nn.NumParams(r.model), r.dev, r.cfg.Optimizer, r.cfg.LR, r.cfg.Batch, r.train.Samples(), r.test.Samples())
	x, _ := r.test.Dataset().Batch(r.dev, []int{0})
	tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  layer\ttype\toutput\tparameters\t")
	for _, l := range nn.Summarize(r.model, x) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t\n", l.Name, l.Type, shapeString(l.Output), l.Params)
	}
	_ = tw.Flush() // r.stdout's errors are not worth stopping a run for
}

// shapeString writes a per-sample output shape with the batch axis as B.
func shapeString(s []int) string {
	parts := []string{"B"}
	for _, d := range s[1:] {
		parts = append(parts, fmt.Sprint(d))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// printMemStats prints the device allocator's counters.
func (r *run) printMemStats() {
	b, err := device.Open(r.dev)
	if err != nil {
		return
	}
	m := b.Memory()
	fmt.Fprintf(r.stdout, "  memory: live %s, cached %s, peak %s, peak reserved %s, %d allocs, %d cache hits, %d collections\n",
		bytesString(m.Live), bytesString(m.Cached), bytesString(m.Peak), bytesString(m.PeakReserved), m.Allocs, m.CacheHits, m.Collections)
}

// bytesString formats n bytes in binary units.
func bytesString(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGT"[i-1])
}
