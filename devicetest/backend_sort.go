package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// sortShapes are [rows, n, k]: single elements, short rows, a first k,
// rows that fill a block's shared memory (2048) or miss it by one, and
// longer ones that a GPU sorts in shared-memory tiles and global steps
// (5000 pads to 8192: merge sizes 4096 and 8192, a single and a double
// global step) or, for a small first k, selects in rounds of chunks
// (4099 and 7919 are prime). kernels/cuda's TestSortLongRows goes longer.
var sortShapes = [][3]int{{1, 1, 1}, {3, 7, 7}, {2, 7, 3}, {5, 129, 129}, {64, 33, 5}, {1, 2047, 2047},
	{1, 2048, 2048}, {1, 2049, 2049}, {1, 2500, 2500}, {2, 2100, 7}, {1, 5000, 5000}, {3, 4099, 1}, {2, 7919, 256}}

// scanShapes are [rows, n] for Cumsum: up to several 2048-element chunks.
var scanShapes = [][2]int{{1, 1}, {3, 7}, {5, 129}, {64, 33}, {2, 2048}, {1, 5000}}

// sortValues returns n values of dt with ties (small integers, zeros of
// both signs) and, for floats, NaN and ±Inf; Int32 gets its extremes.
func sortValues(r *rand.Rand, dt device.DType, n int) []float64 {
	v := values(r, dt, n)
	for i := range v {
		switch u := r.IntN(10); {
		case u < 3:
			v[i] = float64(r.IntN(3) - 1)
		case u == 3 && dt.IsFloat():
			v[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}[r.IntN(4)]
		case u == 3:
			v[i] = []float64{math.MinInt32, math.MaxInt32}[r.IntN(2)]
		}
	}
	return v
}

// sortScan covers the optional kernels device.Sorter and device.Scanner,
// where the backend has them: the positions of a stable sort exactly, the
// values exactly, and running sums within the rounding of the partial
// sums (|got-want| bounded by n ulps of the largest partial sum).
func (h *harness) sortScan(t *testing.T) {
	b := h.be[dut]
	if _, ok := b.(device.Sorter); !ok {
		t.Logf("%v has no Sorter: the tensor layer composes Sort", b.Device())
	} else {
		for _, dt := range h.all() {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("sort_%s_desc=%v", dt.Suffix(), desc), func(t *testing.T) {
					r := h.rng(t)
					for _, sh := range sortShapes {
						rows, n, k := sh[0], sh[1], sh[2]
						x := h.upload(t, dt, sortValues(r, dt, rows*n))
						vals, idx := h.alloc(t, dt, rows*k), h.alloc(t, device.Int32, rows*k)
						what := fmt.Sprintf("%dx%d first %d", rows, n, k)
						if h.run(t, func(be device.Backend, s side) error {
							return be.(device.Sorter).Sort(vals.on(s), idx.on(s), x.on(s), rows, n, k, desc)
						}) {
							h.compare(t, what+" positions", idx, rows*k, exact)
							h.compare(t, what+" values", vals, rows*k, exact)
						}
					}
				})
			}
		}
	}
	if _, ok := b.(device.Scanner); !ok {
		t.Logf("%v has no Scanner: the tensor layer composes Cumsum", b.Device())
		return
	}
	for _, dt := range h.all() {
		t.Run("cumsum_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			for _, sh := range scanShapes {
				rows, n := sh[0], sh[1]
				x := h.upload(t, dt, values(r, dt, rows*n))
				y := h.alloc(t, dt, rows*n)
				if h.run(t, func(be device.Backend, s side) error {
					return be.(device.Scanner).Cumsum(y.on(s), x.on(s), rows, n)
				}) {
					tl := tolFor(dt)
					tl.abs *= 3 * float64(n) // |x| <= 3: partial sums up to 3n
					h.compare(t, fmt.Sprintf("%dx%d", rows, n), y, rows*n, tl)
				}
			}
		})
	}
}
