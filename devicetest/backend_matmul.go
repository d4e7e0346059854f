package devicetest

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// matmulCase is one MatMul shape; pad widens the leading dimensions,
// shared broadcasts A or B over the batch (stride 0) and off shifts both.
type matmulCase struct {
	batch, m, n, k int
	pad, off       int
	sharedA        bool
	sharedB        bool
}

var matmulCases = []matmulCase{
	{batch: 1, m: 1, n: 1, k: 1},
	{batch: 1, m: 7, n: 13, k: 5, off: 3},
	{batch: 1, m: 3, n: 5, k: 0},
	{batch: 2, m: 33, n: 65, k: 17, pad: 3},
	{batch: 3, m: 31, n: 2, k: 37, sharedA: true},
	{batch: 2, m: 1, n: 67, k: 19, sharedB: true, off: 1},
	{batch: 1, m: 130, n: 129, k: 41, pad: 1},
	{batch: 4, m: 64, n: 64, k: 64},
}

// matmul covers every transpose pair on each case, in float32 and float64
// and the half types the backend opted into, these also with a float32 C
// (the float32 sums, unrounded).
func (h *harness) matmul(t *testing.T) {
	for _, dt := range h.floats() {
		outs := []device.DType{dt}
		if dt.IsHalf() {
			outs = append(outs, device.Float32)
		}
		for _, out := range outs {
			suffix := dt.Suffix()
			if out != dt {
				suffix += "_" + out.Suffix()
			}
			for _, c := range matmulCases {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					name := fmt.Sprintf("%s/b%d_m%d_n%d_k%d_t%v%v", suffix, c.batch, c.m, c.n, c.k, b01(tr[0]), b01(tr[1]))
					t.Run(name, func(t *testing.T) { h.matmulCase(t, dt, out, c, tr[0], tr[1]) })
				}
			}
		}
	}
}

func b01(v bool) int {
	if v {
		return 1
	}
	return 0
}

// operand lays out the stored matrices of one MatMul input: rows x cols
// of op(X), stored transposed when trans, with leading dimension padded.
func operand(batch, rows, cols, pad, off int, trans, shared bool) (ld, stride, size int) {
	stored := rows
	ld = cols + pad
	if trans {
		stored, ld = cols, rows+pad
	}
	stride = stored * ld
	n := batch
	if shared {
		n, stride = 1, 0
	}
	return ld, stride, off + max(n*stored*ld, 1)
}

func (h *harness) matmulCase(t *testing.T, dt, outDT device.DType, c matmulCase, ta, tb bool) {
	r := h.rng(t)
	lda, as, an := operand(c.batch, c.m, c.k, c.pad, c.off, ta, c.sharedA)
	ldb, bs, bn := operand(c.batch, c.k, c.n, c.pad, c.off, tb, c.sharedB)
	a := h.upload(t, dt, values(r, dt, an))
	b := h.upload(t, dt, values(r, dt, bn))
	n := c.batch * c.m * c.n
	out := h.uploadAs(t, refType(dt), outDT, values(r, outDT, n))
	if h.run(t, func(be device.Backend, s side) error {
		return be.MatMul(device.MatMulArgs{
			Batch: c.batch, M: c.m, N: c.n, K: c.k,
			A: a.on(s), AOffset: c.off, AStride: as, LDA: lda, TransA: ta,
			B: b.on(s), BOffset: c.off, BStride: bs, LDB: ldb, TransB: tb,
			C: out.on(s),
		})
	}) {
		tl := tol{rel: 1e-12, abs: 1e-12}
		if compute(outDT) == device.Float32 {
			tl = tol{rel: 1e-4, abs: 1e-4}
		}
		h.compare(t, "C", out, n, tl)
	}
}
