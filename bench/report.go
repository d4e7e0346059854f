package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// Schema names the JSON layout of a Report; a reader refuses any other.
const Schema = "tapegrad-bench/1"

// Report is one run of the bench, by tapegrad or by bench/torch/bench.py:
// the machine, the library, the measured ceilings and a Result per
// workload, device and dtype.
type Report struct {
	Schema   string    `json:"schema"`
	Date     time.Time `json:"date"`
	Host     Host      `json:"host"`
	Library  Library   `json:"library"`
	Count    int       `json:"count"` // timed samples per row
	Ceilings []Ceiling `json:"ceilings"`
	Results  []Result  `json:"results"`
	// Memory is each device's allocator statistics after the run.
	Memory []DeviceMemory `json:"memory,omitempty"`
}

// DeviceMemory is a device's allocator statistics (device.MemStats) at the end
// of a run: the peaks show what the largest workload needed, the cache
// hits how often the caching allocator served a request itself.
type DeviceMemory struct {
	Device       string `json:"device"`
	PeakLive     int64  `json:"peak_live"`
	PeakReserved int64  `json:"peak_reserved,omitempty"`
	Allocs       int64  `json:"allocs,omitempty"`
	CacheHits    int64  `json:"cache_hits,omitempty"`
	Collections  int64  `json:"collections,omitempty"`
}

// Host describes the machine.
type Host struct {
	CPU   string `json:"cpu"`   // model name
	Cores int    `json:"cores"` // logical CPUs
	OS    string `json:"os"`
	Arch  string `json:"arch"`
}

// Library describes what was measured: tapegrad (its commit, the Go
// version, the CPU GEMM) or PyTorch (its version and BLAS).
type Library struct {
	Name    string `json:"name"`    // "tapegrad" or "pytorch"
	Version string `json:"version"` // a commit, or torch.__version__
	Threads int    `json:"threads"` // GOMAXPROCS, or torch.get_num_threads()
	BLAS    string `json:"blas"`    // the CPU GEMM in use
	Note    string `json:"note,omitempty"`
}

// Ceiling is a device's measured limits, which rows are a percentage of.
type Ceiling struct {
	Device string `json:"device"`
	DType  string `json:"dtype"`
	// CopyGBps is a large device-to-device copy, bytes read plus written
	// per second: the memory-bound rows' ceiling.
	CopyGBps Num `json:"copy_gbps"`
	// FMAGFLOPs is the FMA probe's rate (2 FLOPs a fused multiply-add):
	// the compute-bound rows' ceiling. 0 where the device has no probe.
	FMAGFLOPs Num    `json:"fma_gflops"`
	Note      string `json:"note,omitempty"`
}

// Result is one workload on one device in one dtype.
type Result struct {
	Workload string `json:"workload"` // Workload.ID()
	Device   string `json:"device"`
	DType    string `json:"dtype"`
	Scale    string `json:"scale"` // full, small or tiny
	Shape    string `json:"shape"`
	Bound    string `json:"bound"` // compute, memory or overhead
	// Iters is the runs per timed sample, Runs the samples.
	Iters int `json:"iters"`
	Runs  int `json:"runs"`
	// MedianS and MinS are seconds per run over the samples.
	MedianS Num `json:"median_s"`
	MinS    Num `json:"min_s"`
	// FLOPs and Bytes are one run's work; GFLOPs and GBps the median
	// run's rates; CeilingPct the rate as a percentage of the device's
	// ceiling for Bound (0 for overhead rows or a missing ceiling).
	FLOPs      Num `json:"flops"`
	Bytes      Num `json:"bytes"`
	GFLOPs     Num `json:"gflops"`
	GBps       Num `json:"gbps"`
	CeilingPct Num `json:"ceiling_pct"`
	// AllocsPerOp is Go heap allocations per run (PyTorch: 0, not
	// measured).
	AllocsPerOp Num `json:"allocs_per_op"`
	// MaxAbsErr is the largest |x - ref| over every output of one run
	// from the workload's fixed inputs, and MaxRelErr the largest, over
	// outputs, of that output's max |x - ref| / max |ref|, against the
	// CPU backend in float64 (PyTorch: against itself in float64). Tol is
	// the MaxRelErr above which the row is flagged Wrong.
	MaxAbsErr Num  `json:"max_abs_err"`
	MaxRelErr Num  `json:"max_rel_err"`
	Tol       Num  `json:"tol"`
	Wrong     bool `json:"wrong,omitempty"`
	// Err says why the workload did not run, if it did not.
	Err string `json:"error,omitempty"`
}

// Num is a float64 that survives JSON: NaN and ±Inf, which JSON numbers
// cannot hold, are written as the strings "NaN", "Inf" and "-Inf".
type Num float64

// MarshalJSON writes n as a number, or one of those strings.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes, and null as 0.
func (n *Num) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	switch s {
	case "null":
		*n = 0
		return nil
	case `"NaN"`, "NaN":
		*n = Num(math.NaN())
		return nil
	case `"Inf"`, `"Infinity"`, "Infinity":
		*n = Num(math.Inf(1))
		return nil
	case `"-Inf"`, `"-Infinity"`, "-Infinity":
		*n = Num(math.Inf(-1))
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", s)
	}
	*n = Num(f)
	return nil
}

// JSON returns r as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// ReadFile reads a Report written from JSON or bench/torch/bench.py,
// refusing other schemas.
func ReadFile(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a bench report: %v", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, r.Schema, Schema)
	}
	return &r, nil
}
