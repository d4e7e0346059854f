//go:build !cuda

package bench

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// perturbed is a deliberately wrong backend: the CPU, posing as cuda:0,
// with Exp off by one part in a hundred.
type perturbed struct{ device.Backend }

func (perturbed) Device() device.Device { return device.Device{Kind: device.CUDA} }

func (p perturbed) Unary(op device.UnaryOp, a float64, dst, src device.Buffer, sl device.Layout) error {
	if err := p.Backend.Unary(op, a, dst, src, sl); err != nil || op != device.Exp {
		return err
	}
	switch dst.DType() {
	case device.Float32:
		return scale(p.Backend, dst, make([]float32, dst.Len()))
	case device.Float64:
		return scale(p.Backend, dst, make([]float64, dst.Len()))
	}
	return fmt.Errorf("perturbed: Exp of %v", dst.DType())
}

func scale[T float32 | float64](be device.Backend, b device.Buffer, host []T) error {
	if err := be.Read(host, b); err != nil {
		return err
	}
	for i := range host {
		host[i] *= 1.01
	}
	return be.Write(b, host)
}

// perturbedDriver opens the perturbed backend as the one CUDA device, which
// a test binary built without the cuda tag has no other use for.
type perturbedDriver struct{ be device.Backend }

func (perturbedDriver) Count() (int, error)                { return 1, nil }
func (d perturbedDriver) Open(int) (device.Backend, error) { return d.be, nil }

// init opens the CPU here: device.Open holds the registry's lock while it
// calls a driver's Open.
func init() {
	device.Register(device.CUDA, perturbedDriver{perturbed{device.MustOpen(device.CPUDevice)}})
}

// TestWrongBackendFlagged runs exp beside workloads that do not call the
// Unary Exp kernel (the CPU's sigmoid is a kernel of its own) on the
// perturbed backend and on the CPU: the error column must flag exp on the
// perturbed backend and nothing else.
func TestWrongBackendFlagged(t *testing.T) {
	gpu := device.Device{Kind: device.CUDA}
	ws := Select(Workloads(), regexp.MustCompile(`^(elementwise/(exp|add)/1M|elementwise/sigmoid/1M|gemm/n=256)$`))
	rs := NewRunner(quick).Run(ws, []Target{{gpu, device.Float32, Tiny}, {device.CPUDevice, device.Float32, Tiny}})
	for _, r := range rs {
		if r.Err != "" {
			t.Fatalf("%s on %s: %s", r.Workload, r.Device, r.Err)
		}
		wantWrong := r.Device == gpu.String() && r.Workload == "elementwise/exp/1M"
		if r.Wrong != wantWrong {
			t.Errorf("%s on %s: wrong=%v (relative error %g), want %v", r.Workload, r.Device, r.Wrong, r.MaxRelErr, wantWrong)
		}
		if wantWrong && (r.MaxRelErr < 0.005 || r.MaxRelErr > 0.02) {
			t.Errorf("%s on %s: relative error %g, the perturbation is 0.01", r.Workload, r.Device, r.MaxRelErr)
		}
	}
}
