package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tapegrad/tapegrad/bench"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/internal/atomicfile"
)

// runBench is `tapegrad bench`: every workload of package bench on each
// device, a table with ratio columns, and optionally JSON and a PNG chart.
func runBench(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	devices := fs.String("device", "", "comma-separated devices (default: every device this build can open)")
	dtypes := fs.String("dtype", "f32", "comma-separated dtypes: f32, f64")
	run := fs.String("run", "", "only workloads whose ID (group/name) matches this regular expression")
	count := fs.Int("count", 5, "timed samples per row")
	minTime := fs.Duration("min-time", 20*time.Millisecond, "shortest timed sample: each repeats its workload until it lasts this long")
	scale := fs.String("scale", "full", "sizes on cpu and cuda devices: full, small or tiny")
	simScale := fs.String("sim-scale", "small", "sizes on cudasim, which interprets PTX and is slow: small or tiny (or full)")
	threads := fs.Int("threads", 0, "set GOMAXPROCS, the CPU backend's thread count (0: leave it)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	baseline := fs.String("baseline", "", "an earlier JSON (another commit, machine, or bench/torch/bench.py) to add ratio columns against")
	pngOut := fs.String("png", "", "also draw the ratio columns as a bar chart PNG to this file")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	cpuProfile := fs.String("cpuprofile", "", "also write a pprof CPU profile of the timed runs to this file (go tool pprof reads it)")
	list := fs.Bool("list", false, "list the workloads (those --run selects): ID, bound, shape and what one run computes; run nothing")
	if help, err := parseFlags(fs, args, w, "tapegrad bench [flags]",
		"Runs every workload of package bench (or those --run selects) on each\ndevice and dtype, and prints a table with ratio columns against the first\ndevice and, with --baseline, against an earlier run's JSON."); help || err != nil {
		return err
	}
	if *count < 1 {
		return usagef("--count %d: need at least 1 sample", *count)
	}
	if *minTime < 0 {
		return usagef("--min-time %v: want a duration of 0 or more", *minTime)
	}
	if *threads < 0 {
		return usagef("--threads %d: want 0 (leave GOMAXPROCS) or more", *threads)
	}
	var re *regexp.Regexp
	if *run != "" {
		var err error
		if re, err = regexp.Compile(*run); err != nil {
			return usagef("--run: %v", err)
		}
	}
	ws := bench.Select(bench.Workloads(), re)
	if len(ws) == 0 {
		return usagef("--run %q matches no workload", *run)
	}
	full, sim, dts, err := benchChoices(*scale, *simScale, *dtypes)
	if err != nil {
		return err
	}
	devs, err := benchDevices(*devices)
	if err != nil {
		return err
	}
	if *list {
		return listWorkloads(w, ws)
	}
	for _, out := range []struct{ flag, path string }{{"--json", *jsonOut}, {"--png", *pngOut}} {
		if out.path == "" {
			continue
		}
		if err := atomicfile.CheckWritable(out.path); err != nil {
			return fmt.Errorf("%s %s: cannot write there: %w", out.flag, out.path, err)
		}
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	targets, err := benchTargets(devs, dts, full, sim)
	if err != nil {
		return err
	}
	var base *bench.Report
	if *baseline != "" {
		if base, err = bench.ReadFile(*baseline); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	if *pngOut != "" && base == nil && !twoDevices(targets) {
		return usagef("--png draws ratio columns: name two devices or a --baseline")
	}
	opts := bench.Options{Count: *count, MinTime: *minTime}
	if !*quiet {
		opts.Log = os.Stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep := bench.NewRunner(opts).Report(ws, targets)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	table := bench.NewTable(rep, base)
	if err := table.Write(w); err != nil {
		return err
	}
	if err := writeOutput("--json", *jsonOut, rep.JSON); err != nil {
		return err
	}
	return writeOutput("--png", *pngOut, table.PNG)
}

// listWorkloads prints each workload's ID, bound, full-size shape and doc.
func listWorkloads(w io.Writer, ws []bench.Workload) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tbound\tshape\twhat one run computes")
	for _, wl := range ws {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", wl.ID(), wl.Bound, wl.Size(bench.Full).Shape, wl.Doc)
	}
	return tw.Flush()
}

// writeOutput writes what gen returns to path atomically, when the flag
// named path.
func writeOutput(flag, path string, gen func() ([]byte, error)) error {
	if path == "" {
		return nil
	}
	b, err := gen()
	if err == nil {
		err = atomicfile.WriteBytes(path, b)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// benchChoices parses --scale, --sim-scale and --dtype.
func benchChoices(scale, simScale, dtypes string) (full, sim bench.Scale, dts []device.DType, err error) {
	if full, err = parseScale("--scale", scale); err != nil {
		return
	}
	if sim, err = parseScale("--sim-scale", simScale); err != nil {
		return
	}
	for _, s := range strings.Split(dtypes, ",") {
		switch strings.TrimSpace(s) {
		case "f32", "float32":
			dts = append(dts, device.Float32)
		case "f64", "float64":
			dts = append(dts, device.Float64)
		default:
			return full, sim, nil, usagef("--dtype: unknown dtype %q: want f32 or f64", s)
		}
	}
	return full, sim, dts, nil
}

// benchDevices parses --device: a comma-separated list, or empty for every
// device this build can open.
func benchDevices(devices string) ([]device.Device, error) {
	if devices == "" {
		return device.Available(), nil
	}
	var devs []device.Device
	for _, s := range strings.Split(devices, ",") {
		d, err := device.Parse(s)
		if err != nil {
			return nil, usagef("--device: %v", err)
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// benchTargets opens each device and pairs it with each dtype, cudasim at
// sim and the rest at full.
func benchTargets(devs []device.Device, dts []device.DType, full, sim bench.Scale) ([]bench.Target, error) {
	var ts []bench.Target
	for _, d := range devs {
		if _, err := device.Open(d); err != nil {
			return nil, err
		}
		s := full
		if d.Kind == device.CUDASim {
			s = sim
		}
		for _, dt := range dts {
			ts = append(ts, bench.Target{Dev: d, DType: dt, Scale: s})
		}
	}
	return ts, nil
}

func parseScale(flag, s string) (bench.Scale, error) {
	for _, sc := range []bench.Scale{bench.Full, bench.Small, bench.Tiny} {
		if sc.String() == s {
			return sc, nil
		}
	}
	return 0, usagef("%s: unknown scale %q: want full, small or tiny", flag, s)
}

// twoDevices reports whether the targets span more than one device.
func twoDevices(ts []bench.Target) bool {
	for _, t := range ts {
		if t.Dev != ts[0].Dev {
			return true
		}
	}
	return false
}
