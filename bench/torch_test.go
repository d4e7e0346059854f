package bench

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// TestTorchScriptMirrorsWorkloads compares bench/torch/bench.py's workload
// table (its --list, which needs Python but not PyTorch) with Workloads()
// at every scale, so that the two sides of a PyTorch comparison cannot
// drift apart.
func TestTorchScriptMirrorsWorkloads(t *testing.T) {
	const python = "/usr/bin/python3" // Debian's, the one with python3-torch
	if _, err := os.Stat(python); err != nil {
		t.Skip("no", python)
	}
	out, err := exec.Command(python, "torch/bench.py", "--list").Output()
	if err != nil {
		t.Fatalf("bench.py --list: %v", err)
	}
	type size struct {
		Shape        string
		FLOPs, Moved float64
	}
	var table []struct {
		ID, Bound string
		Tol       float64
		Sizes     map[string]struct {
			Shape        string
			FLOPs, Moved float64
		}
	}
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatalf("bench.py --list: %v", err)
	}
	ws := Workloads()
	if len(table) != len(ws) {
		t.Errorf("bench.py has %d workloads, bench %d", len(table), len(ws))
	}
	for i, w := range ws[:min(len(ws), len(table))] {
		py := table[i]
		if py.ID != w.ID() || py.Bound != w.Bound.String() || py.Tol != w.Tol {
			t.Errorf("workload %d: bench.py has %s (%s, tol %g), bench %s (%s, tol %g)",
				i, py.ID, py.Bound, py.Tol, w.ID(), w.Bound, w.Tol)
			continue
		}
		for _, s := range []Scale{Full, Small, Tiny} {
			g := w.Size(s)
			if got, want := size(py.Sizes[s.String()]), (size{g.Shape, g.FLOPs, g.Moved}); got != want {
				t.Errorf("%s at %v: bench.py has %+v, bench %+v", w.ID(), s, got, want)
			}
		}
	}
}

// TestTorchGEMMScript runs bench/torch/gemm_cuda.py (PyTorch's cuBLAS
// figures for the GPU check kit) on the CPU at a tiny size, the one way a
// machine without a GPU can run it, and checks that every row it prints
// in its JSON is one of bench's GEMM workloads with a sane result.
func TestTorchGEMMScript(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no", python)
	}
	if testing.Short() {
		t.Skip("-short: importing torch takes seconds")
	}
	if exec.Command(python, "-c", "import torch").Run() != nil {
		t.Skip("no PyTorch in", python)
	}
	out := t.TempDir() + "/gemm.json"
	if b, err := exec.Command(python, "torch/gemm_cuda.py", "--device", "cpu", "--sizes", "256",
		"--count", "1", "--min-time", "0.001", "--json", out).CombinedOutput(); err != nil {
		t.Fatalf("gemm_cuda.py: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Rows []struct {
			Workload  string
			MedianS   float64 `json:"median_s"`
			MaxRelErr float64 `json:"max_rel_err"`
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, w := range Workloads() {
		ids[w.ID()] = true
	}
	if len(res.Rows) != 3 { // fp32, tf32, bf16 (no float16 GEMM on the CPU)
		t.Fatalf("gemm_cuda.py wrote %d rows, want 3", len(res.Rows))
	}
	for _, r := range res.Rows {
		if !ids[r.Workload] || !(r.MedianS > 0) || !(r.MaxRelErr < 1e-2) {
			t.Errorf("row %+v: not a bench workload, or no time, or wrong", r)
		}
	}
}
