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
