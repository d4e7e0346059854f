package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// optim covers SGD (plain, momentum, Nesterov, weight decay) and Adam and
// AdamW over several steps, in float32 and float64; in the half types
// over one step, as each step rounds the state to the type while the
// float64 reference does not.
func (h *harness) optim(t *testing.T) {
	sgds := []device.SGDParams{
		{LR: 0.1},
		{LR: 0.05, Momentum: 0.9},
		{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01},
		{LR: 0.01, WeightDecay: 0.1},
	}
	adams := []device.AdamParams{
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{LR: 1e-2, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1},
		{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Decoupled: true},
	}
	for _, dt := range h.floats() {
		tl := tolFor(dt)
		if compute(dt) == device.Float32 {
			tl = tol{rel: 1e-5, abs: 1e-5}
		}
		steps := 3
		if dt.IsHalf() {
			steps = 1
		}
		for i, hp := range sgds {
			t.Run(fmt.Sprintf("sgd_%s/%d", dt.Suffix(), i), func(t *testing.T) {
				r := h.rng(t)
				for _, n := range []int{1, 7, 1031} {
					param := h.upload(t, dt, values(r, dt, n))
					var mom pair
					if hp.Momentum != 0 {
						mom = h.upload(t, dt, values(r, dt, n))
					}
					for step := 0; step < steps; step++ {
						grad := h.upload(t, dt, values(r, dt, n))
						if !h.run(t, func(be device.Backend, s side) error {
							return be.SGD(param.on(s), grad.on(s), mom.on(s), n, hp)
						}) {
							break
						}
					}
					h.compare(t, fmt.Sprintf("param n=%d", n), param, n, tl)
					if hp.Momentum != 0 {
						h.compare(t, fmt.Sprintf("momentum n=%d", n), mom, n, tl)
					}
				}
			})
		}
		for i, hp := range adams {
			t.Run(fmt.Sprintf("adam_%s/%d", dt.Suffix(), i), func(t *testing.T) {
				r := h.rng(t)
				for _, n := range []int{1, 7, 1031} {
					param := h.upload(t, dt, values(r, dt, n))
					m := h.upload(t, dt, scaled(values(r, dt, n), 0.1))
					v := h.upload(t, dt, positive(r, n))
					for step := 1; step <= steps; step++ {
						hp.Step = step * 5
						grad := h.upload(t, dt, values(r, dt, n))
						if !h.run(t, func(be device.Backend, s side) error {
							return be.Adam(param.on(s), grad.on(s), m.on(s), v.on(s), n, hp)
						}) {
							break
						}
					}
					for _, c := range []struct {
						what string
						p    pair
					}{{"param", param}, {"m", m}, {"v", v}} {
						h.compare(t, fmt.Sprintf("%s n=%d", c.what, n), c.p, n, tl)
					}
				}
			})
		}
	}
}
