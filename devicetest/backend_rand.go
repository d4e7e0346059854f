package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// random checks Rand against the definitions themselves,
// device.PhiloxUniform (bit for bit, after the one rounding to the dtype)
// and device.PhiloxNormal (to a few ulps: log and cos differ by an ulp
// between Go and libdevice), at offsets that start mid-block and past
// 2^32 blocks. A half draw is the float32 draw rounded.
func (h *harness) random(t *testing.T) {
	for _, dt := range h.floats() {
		for _, dist := range []device.Dist{device.Uniform, device.Normal} {
			name := "uniform_"
			if dist == device.Normal {
				name = "normal_"
			}
			t.Run(name+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				seed := r.Uint64()
				lo, hi := -2+r.Float64(), 1+3*r.Float64()
				for _, n := range []int{1, 7, 1031} {
					for _, off := range []uint64{0, 3, 5, 1<<34 + 1} {
						out := h.alloc(t, dt, n)
						if err := h.be[dut].Rand(out.on(dut), n, dist, seed, off, lo, hi); err != nil {
							t.Fatal(err)
						}
						want := make([]float64, n)
						for i := range want {
							if dist == device.Uniform {
								want[i] = lo + (hi-lo)*device.PhiloxUniform(seed, off, i)
							} else {
								want[i] = lo + hi*device.PhiloxNormal(seed, off, i)
							}
							if compute(dt) == device.Float32 {
								want[i] = float64(float32(want[i]))
							}
						}
						tl := exact
						if dist == device.Normal {
							tl = tol{rel: 1e-14, abs: 1e-14}
							if compute(dt) == device.Float32 {
								tl = tol{rel: 2e-7, abs: 1e-7}
							}
						}
						if dt.IsHalf() {
							want, tl = halfTol(dt, want, tl)
						}
						compareValues(t, fmt.Sprintf("n=%d offset=%d", n, off), want, h.read(t, out, dut), tl)
					}
				}
			})
		}
	}
}
