package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/tapegrad/tapegrad/device"
)

// Report measures the targets' ceilings, runs every workload on every
// target and returns it all as a Report of this machine and build.
func (r *Runner) Report(ws []Workload, targets []Target) *Report {
	rep := &Report{
		Schema: Schema, Date: time.Now().UTC().Truncate(time.Second), Host: thisHost(),
		Library: thisLibrary(), Count: r.opts.Count,
	}
	rep.Ceilings = r.Ceilings(targets)
	rep.Results = r.Run(ws, targets)
	FillCeilingPct(rep.Results, rep.Ceilings)
	rep.Memory = memoryOf(targets)
	return rep
}

// memoryOf reads each target device's allocator statistics, once per
// device, in target order.
func memoryOf(targets []Target) []DeviceMemory {
	var out []DeviceMemory
	for _, t := range targets {
		name := t.Dev.String()
		if slices.ContainsFunc(out, func(m DeviceMemory) bool { return m.Device == name }) {
			continue
		}
		be, err := device.Open(t.Dev)
		if err != nil {
			continue
		}
		m := be.Memory()
		out = append(out, DeviceMemory{Device: name, PeakLive: m.Peak, PeakReserved: m.PeakReserved,
			Allocs: m.Allocs, CacheHits: m.CacheHits, Collections: m.Collections})
	}
	return out
}

// thisHost describes the machine from /proc/cpuinfo where there is one.
func thisHost() Host {
	h := Host{CPU: runtime.GOARCH, Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			h.CPU = strings.TrimSpace(v)
			break
		}
	}
	return h
}

// thisLibrary names this build: its commit (with "+dirty" for local
// changes), the Go version, GOMAXPROCS and the CPU backend's GEMM.
func thisLibrary() Library {
	l := Library{Name: "tapegrad", Version: "devel", Threads: runtime.GOMAXPROCS(0), Note: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(len(s.Value), 12)]
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			l.Version = rev + dirty
		}
	}
	if be, err := device.Open(device.CPUDevice); err == nil {
		l.BLAS = be.Info().Note
	}
	return l
}
