package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// indexCases are (outer, n, inner, k) blocks; k > n forces repeated
// indices, so the accumulating ops meet collisions.
var indexCases = [][4]int{{1, 5, 1, 3}, {3, 7, 4, 5}, {2, 50, 33, 80}, {1, 1, 1031, 1}}

// index covers IndexSelect, IndexAdd, Gather and ScatterAdd in every dtype.
func (h *harness) index(t *testing.T) {
	type indexOp struct {
		name   string
		dstN   func(o, n, i, k int) int // dst rows per outer block
		perElt bool                     // one index per element, not per row
		call   func(be device.Backend, dst, src, idx device.Buffer, o, n, i, k int) error
	}
	ops := []indexOp{
		{"index_select", func(o, n, i, k int) int { return k }, false, device.Backend.IndexSelect},
		{"index_add", func(o, n, i, k int) int { return n }, false, device.Backend.IndexAdd},
		{"gather", func(o, n, i, k int) int { return k }, true, device.Backend.Gather},
		{"scatter_add", func(o, n, i, k int) int { return n }, true, device.Backend.ScatterAdd},
	}
	for _, op := range ops {
		for _, dt := range all {
			t.Run(op.name+"_"+dt.Suffix(), func(t *testing.T) {
				r := h.rng(t)
				for _, c := range indexCases {
					o, n, in, k := c[0], c[1], c[2], c[3]
					nidx := k
					if op.perElt {
						nidx = o * k * in
					}
					idx := make([]float64, nidx)
					for j := range idx {
						idx[j] = float64(r.IntN(n))
					}
					srcRows := n
					if op.dstN(o, n, in, k) == n {
						srcRows = k
					}
					src := h.upload(t, dt, values(r, dt, o*srcRows*in))
					ix := h.upload(t, device.Int32, idx)
					dn := o * op.dstN(o, n, in, k) * in
					dst := h.upload(t, dt, values(r, dt, dn))
					tl := tolFor(dt)
					if dt == device.Float32 {
						tl.abs = 1e-5 // atomics add in any order
					}
					if h.run(t, func(be device.Backend, s side) error {
						return op.call(be, dst.on(s), src.on(s), ix.on(s), o, n, in, k)
					}) {
						h.compare(t, fmt.Sprintf("outer %d n %d inner %d k %d", o, n, in, k), dst, dn, tl)
					}
				}
			})
		}
	}
}
