package bench_test

import (
	"fmt"
	"regexp"
	"time"

	"github.com/tapegrad/tapegrad/bench"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
)

// A workload is data: an op, its shapes at three scales and its FLOP and
// byte counts. A Runner checks each target's outputs against the CPU in
// float64, then times them; `tapegrad bench` and the testing.B
// benchmarks run the same list. Here one GEMM, at the tiny scale, on the
// CPU and on cudasim.
func Example() {
	ws := bench.Select(bench.Workloads(), regexp.MustCompile(`^gemm/`))
	r := bench.NewRunner(bench.Options{Count: 1, MinTime: time.Millisecond})
	targets := []bench.Target{
		{Dev: device.CPUDevice, DType: device.Float32, Scale: bench.Tiny},
		{Dev: device.CUDASimDevice, DType: device.Float32, Scale: bench.Tiny},
	}
	for _, res := range r.Run(ws[:1], targets) {
		// Timings (res.MedianS, res.GFLOPs) vary run to run; the error
		// against the float64 reference does not.
		fmt.Printf("%s on %s (%s scale, %s): ran %v, error within %g: %v\n",
			res.Workload, res.Device, res.Scale, res.Shape, res.Err == "", float64(res.Tol), !res.Wrong)
	}
	// Output:
	// gemm/n=256 on cpu (tiny scale, 7x7 @ 7x7): ran true, error within 0.001: true
	// gemm/n=256 on cudasim (tiny scale, 7x7 @ 7x7): ran true, error within 0.001: true
}
