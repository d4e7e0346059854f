package devicetest

import (
	"fmt"
	"strings"
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
		for _, dt := range h.all() {
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
					if compute(dt) == device.Float32 {
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

// badIndex checks that an index or label out of range is an error naming
// the op, the value and its position, from the call or (asynchronous
// backends, which check on the device) from the next Sync, and that the
// backend works normally after it. The CPU reference fails the same way.
func (h *harness) badIndex(t *testing.T) {
	if h.self {
		t.Skip("float32 only: the CPU is the reference")
	}
	const o, n, in, k = 2, 5, 3, 4
	type badOp struct {
		name, what string
		nidx, pos  int
		call       func(be device.Backend, dst, src, idx device.Buffer) error
	}
	ops := []badOp{
		{"IndexSelect", "index", k, 2, func(be device.Backend, dst, src, idx device.Buffer) error {
			return be.IndexSelect(dst, src, idx, o, n, in, k)
		}},
		{"IndexAdd", "index", k, 3, func(be device.Backend, dst, src, idx device.Buffer) error {
			return be.IndexAdd(dst, src, idx, o, n, in, k)
		}},
		{"Gather", "index", o * k * in, 17, func(be device.Backend, dst, src, idx device.Buffer) error {
			return be.Gather(dst, src, idx, o, n, in, k)
		}},
		{"ScatterAdd", "index", o * k * in, 0, func(be device.Backend, dst, src, idx device.Buffer) error {
			return be.ScatterAdd(dst, src, idx, o, n, in, k)
		}},
		{"CrossEntropy", "label", k, 1, func(be device.Backend, dst, src, idx device.Buffer) error {
			return be.CrossEntropy(dst, src, idx, k, n, 0)
		}},
	}
	for _, op := range ops {
		for _, bad := range []int{n, -3} {
			t.Run(fmt.Sprintf("%s_%d", op.name, bad), func(t *testing.T) {
				r := h.rng(t)
				idx := make([]float64, op.nidx)
				for j := range idx {
					idx[j] = float64(r.IntN(n))
				}
				idx[op.pos] = float64(bad)
				big := o * max(n, k) * in
				src := h.upload(t, device.Float32, values(r, device.Float32, big))
				dst := h.upload(t, device.Float32, values(r, device.Float32, big))
				ix := h.upload(t, device.Int32, idx)
				want := fmt.Sprintf("%s %d at position %d is outside [0, %d)", op.what, bad, op.pos, n)
				for s, be := range h.be {
					err := op.call(be, dst.on(side(s)), src.on(side(s)), ix.on(side(s)))
					if err == nil {
						err = be.Sync()
					}
					if err == nil || !strings.Contains(err.Error(), op.name) || !strings.Contains(err.Error(), want) {
						t.Fatalf("%v: %s with %s %d: got error %v, want one naming %s and %q", be.Device(), op.name, op.what, bad, err, op.name, want)
					}
					if err := be.Sync(); err != nil {
						t.Fatalf("%v: the error was reported twice: %v", be.Device(), err)
					}
				}
				idx[op.pos] = 0
				good := h.upload(t, device.Int32, idx)
				h.run(t, func(be device.Backend, s side) error {
					return op.call(be, dst.on(s), src.on(s), good.on(s))
				})
			})
		}
	}
}
