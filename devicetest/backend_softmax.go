package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// softmaxShapes are [rows, cols] pairs: single elements, rows a warp
// takes, and rows long enough for a block each.
var softmaxShapes = [][2]int{{1, 1}, {3, 7}, {5, 1000}, {2, 1500}, {64, 33}, {1, 4099}}

// softmaxTol is looser for float32: the CPU sums exp in float64.
func softmaxTol(dt device.DType) tol {
	if compute(dt) == device.Float32 {
		return tol{rel: 1e-4, abs: 1e-5}
	}
	return tol{rel: 1e-11, abs: 1e-13}
}

// softmax covers Softmax, SoftmaxBackward, CrossEntropy and
// CrossEntropyBackward, plain and log, with and without smoothing.
func (h *harness) softmax(t *testing.T) {
	for _, dt := range h.floats() {
		for _, log := range []bool{false, true} {
			name := "softmax"
			if log {
				name = "log_softmax"
			}
			t.Run(name+"_"+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				for _, rc := range softmaxShapes {
					rows, cols := rc[0], rc[1]
					n := rows * cols
					x := h.upload(t, dt, scaled(values(r, dt, n), 4))
					y := h.alloc(t, dt, n)
					what := fmt.Sprintf("%dx%d", rows, cols)
					if !h.run(t, func(be device.Backend, s side) error { return be.Softmax(y.on(s), x.on(s), rows, cols, log) }) {
						continue
					}
					h.compare(t, what+" forward", y, n, softmaxTol(dt))
					// Both sides differentiate the reference's output.
					yv := h.upload(t, dt, h.read(t, y, ref))
					dy := h.upload(t, dt, values(r, dt, n))
					dx := h.alloc(t, dt, n)
					if h.run(t, func(be device.Backend, s side) error {
						return be.SoftmaxBackward(dx.on(s), yv.on(s), dy.on(s), rows, cols, log)
					}) {
						h.compare(t, what+" backward", dx, n, softmaxTol(dt))
					}
				}
			})
		}
		t.Run("cross_entropy_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			for _, rc := range softmaxShapes {
				for _, smooth := range []float64{0, 0.1} {
					rows, cols := rc[0], rc[1]
					n := rows * cols
					labels := make([]float64, rows)
					for i := range labels {
						labels[i] = float64(r.IntN(cols))
					}
					x := h.upload(t, dt, scaled(values(r, dt, n), 4))
					lb := h.upload(t, device.Int32, labels)
					loss := h.alloc(t, dt, rows)
					what := fmt.Sprintf("%dx%d smoothing %g", rows, cols, smooth)
					if h.run(t, func(be device.Backend, s side) error {
						return be.CrossEntropy(loss.on(s), x.on(s), lb.on(s), rows, cols, smooth)
					}) {
						h.compare(t, what+" loss", loss, rows, softmaxTol(dt))
					}
					dl := h.upload(t, dt, values(r, dt, rows))
					dx := h.alloc(t, dt, n)
					if h.run(t, func(be device.Backend, s side) error {
						return be.CrossEntropyBackward(dx.on(s), x.on(s), lb.on(s), dl.on(s), rows, cols, smooth)
					}) {
						h.compare(t, what+" dlogits", dx, n, softmaxTol(dt))
					}
				}
			}
		})
	}
}

// scaled multiplies every value by k.
func scaled(v []float64, k float64) []float64 {
	for i := range v {
		v[i] *= k
	}
	return v
}
