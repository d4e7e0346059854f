package bench

import (
	"regexp"
	"slices"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// quick runs each row once to check it and once timed.
var quick = Options{Count: 1, MinTime: 1}

// TestWorkloadsTiny runs every workload at Tiny sizes on the CPU in both
// float dtypes and on cudasim, and checks each row is complete and agrees
// with the float64 reference. The CPU in float64 is the reference's own
// computation, so it must agree to the bit.
func TestWorkloadsTiny(t *testing.T) {
	targets := []Target{
		{device.CPUDevice, device.Float32, Tiny},
		{device.CPUDevice, device.Float64, Tiny},
		{device.CUDASimDevice, device.Float32, Tiny},
	}
	ws := Workloads()
	rs := NewRunner(quick).Run(ws, targets)
	want := 0
	for _, w := range ws {
		for _, tg := range targets {
			if w.Runs(tg) {
				want++
			}
		}
	}
	if len(rs) != want {
		t.Fatalf("%d results for %d workload-target pairs", len(rs), want)
	}
	for _, r := range rs {
		name := r.Workload + " on " + r.Device + "/" + r.DType
		switch {
		case r.Err != "":
			t.Errorf("%s: %s", name, r.Err)
		case r.Wrong:
			t.Errorf("%s: relative error %g above %g", name, r.MaxRelErr, r.Tol)
		case r.DType == "float64" && r.Device == "cpu" && r.MaxAbsErr != 0:
			t.Errorf("%s: the reference's own computation differs from it by %g", name, r.MaxAbsErr)
		case r.Runs != 1 || r.Iters < 1 || r.MedianS <= 0 || r.MinS > r.MedianS:
			t.Errorf("%s: timings runs=%d iters=%d median=%g min=%g", name, r.Runs, r.Iters, r.MedianS, r.MinS)
		case r.FLOPs <= 0 || r.Bytes <= 0 || r.GFLOPs <= 0 || r.GBps <= 0 || r.AllocsPerOp < 0:
			t.Errorf("%s: rates flops=%g bytes=%g gflops=%g gbps=%g allocs=%g", name, r.FLOPs, r.Bytes, r.GFLOPs, r.GBps, r.AllocsPerOp)
		case r.Scale != "tiny" || r.Shape == "":
			t.Errorf("%s: scale %q shape %q", name, r.Scale, r.Shape)
		}
	}
}

// TestWorkloadList checks the list's invariants: unique IDs, the groups
// the benchmarks cover, sizes at every scale, and what the issue that
// asked for the bench named.
func TestWorkloadList(t *testing.T) {
	ws := Workloads()
	var ids []string
	groups := []string{"gemm", "elementwise", "reduce", "softmax", "conv", "optim", "train", "overhead", "jacobian"}
	for _, w := range ws {
		if slices.Contains(ids, w.ID()) {
			t.Errorf("duplicate workload %s", w.ID())
		}
		ids = append(ids, w.ID())
		if !slices.Contains(groups, w.Group) {
			t.Errorf("%s: group %q has no Benchmark function", w.ID(), w.Group)
		}
		if w.Doc == "" {
			t.Errorf("%s: no Doc", w.ID())
		}
		full, small, tiny := w.Size(Full), w.Size(Small), w.Size(Tiny)
		if full.FLOPs < small.FLOPs || small.FLOPs < tiny.FLOPs || tiny.FLOPs <= 0 || tiny.Moved <= 0 {
			t.Errorf("%s: FLOPs full %g small %g tiny %g, Moved tiny %g", w.ID(), full.FLOPs, small.FLOPs, tiny.FLOPs, tiny.Moved)
		}
	}
	for _, want := range []string{"gemm/n=256", "gemm/n=2048", "gemm/mlp-fwd", "gemm/mlp-dw", "gemm/mlp-dx", "gemm/mlp-fwd-b1", "gemm/mlp-dx-b1", "gemm/batched",
		"elementwise/sigmoid/16M", "elementwise/bias-add/1M", "reduce/sum-cols/16M", "softmax/softmax/4096x1000",
		"softmax/xent/128x10", "conv/conv2-fwdbwd", "conv/conv2-dil2-fwdbwd", "conv/maxpool-fwdbwd", "optim/adam-mlp", "train/mlp-sgd",
		"train/mlp-adam", "train/cnn-adam", "train/mlp-adam-bf16", "train/cnn-adam-bf16", "train/mlp-adam-fp16",
		"train/cnn-adam-fp16", "train/mlp-adam-tf32", "train/cnn-adam-tf32", "overhead/add4", "overhead/add4-grad", "overhead/chain64",
		"jacobian/fwd/in1024-out16", "jacobian/rev/in1024-out16", "jacobian/fwd/in16-out1024", "jacobian/rev/in16-out1024"} {
		if !slices.Contains(ids, want) {
			t.Errorf("no workload %s", want)
		}
	}
	if got := Select(ws, regexp.MustCompile(`^gemm/n=\d+$`)); len(got) != 4 {
		t.Errorf("Select(^gemm/n=\\d+$) gave %d workloads, want 4", len(got))
	}
}
