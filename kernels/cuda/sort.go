package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

var (
	_ device.Sorter  = (*Backend)(nil)
	_ device.Scanner = (*Backend)(nil)
)

// sortShared is SORT_SHARED of sort.cu: the longest row sorted in shared
// memory by one block, and the tile and chunk of the longer rows' kernels.
const sortShared = 2048

// topKMax is the largest first k that Sort selects (sort_topk) rather
// than sorts in rows longer than sortShared: each round keeps the first
// k' (k rounded up to a power of two) of every chunk of sortShared, so
// at 256 the candidates shrink at least eightfold a launch.
const topKMax = 256

// sortTypes checks the dtype of a sort.cu op: every dtype but the
// unknown (half rows compare and accumulate in float32).
func sortTypes(op string, dt device.DType) error {
	switch dt {
	case device.Float32, device.Float64, device.Int32, device.BFloat16, device.Float16:
		return nil
	}
	return opErr(op, "not supported for %v", dt)
}

// Sort sorts each row of n elements of src stably (device.Sorter): a
// block per row in shared memory with sort_shared_<dt> for rows of at
// most sortShared; a first k of at most topKMax by rounds of sort_topk_<dt>
// (a few launches: two for rows of 100000); otherwise the bitonic network
// over an int32 position scratch, with every step whose stride is below
// sortShared in shared memory (sort_tiles_<dt> once, sort_merge_<dt> once
// per merge size), the larger strides two a launch (sort_step2_<dt>, and
// sort_step_<dt> for an odd one), then sort_gather_<dt>: 20 launches for
// rows of 100000 where a launch a step took 155.
func (b *Backend) Sort(vals, idx, src device.Buffer, rows, n, k int, descending bool) error {
	const op = "Sort"
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.buf(op, src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	if err := sortTypes(op, s.dt); err != nil {
		return err
	}
	v, err := b.buf(op, vals, s.dt, "vals")
	if err != nil {
		return err
	}
	ix, err := b.buf(op, idx, device.Int32, "idx")
	if err != nil {
		return err
	}
	if rows < 0 || n < 0 || k < 0 || k > n || n > math.MaxInt32 {
		return opErr(op, "bad shape: %d rows of %d, first %d", rows, n, k)
	}
	for _, c := range []struct {
		b    *Buffer
		n    int
		what string
	}{{s, rows * n, "src"}, {v, rows * k, "vals"}, {ix, rows * k, "idx"}} {
		if err := need(op, c.b, c.n, c.what); err != nil {
			return err
		}
	}
	if rows == 0 || k == 0 {
		return nil
	}
	desc := int32(0)
	if descending {
		desc = 1
	}
	sfx := s.dt.Suffix()
	switch {
	case n <= sortShared:
		a := b.args()
		a.Ptr(v.ptr)
		a.Ptr(ix.ptr)
		a.Ptr(s.ptr)
		a.Int64(int64(rows))
		a.Int32(int32(n))
		a.Int32(int32(k))
		a.Int32(desc)
		return b.launch(modSort, kname{"sort_shared_", sfx}, b.gridBlocks(rows))
	case k <= topKMax:
		return b.topK(v, ix, s, rows, n, k, desc)
	}
	p := 1
	for p < n {
		p <<= 1
	}
	pos, err := b.scratch(device.Int32, rows*p)
	if err != nil {
		return err
	}
	defer b.release(pos)
	tiles := rows * p / sortShared
	a := b.args()
	a.Ptr(pos.ptr)
	a.Ptr(s.ptr)
	a.Int64(int64(rows))
	a.Int32(int32(n))
	a.Int64(int64(p))
	a.Int32(desc)
	if err := b.launch(modSort, kname{"sort_tiles_", sfx}, b.gridBlocks(tiles)); err != nil {
		return err
	}
	for size := 2 * sortShared; size <= p; size <<= 1 {
		stride := size / 2
		for ; stride >= sortShared; stride /= 4 {
			name, work := "sort_step2_", rows*p/4
			if stride == sortShared { // one global stride left
				name, work = "sort_step_", rows*p/2
			}
			a := b.args()
			a.Ptr(pos.ptr)
			a.Ptr(s.ptr)
			a.Int64(int64(rows))
			a.Int32(int32(n))
			a.Int64(int64(p))
			a.Int64(int64(size))
			a.Int64(int64(stride))
			a.Int32(desc)
			if err := b.launch(modSort, kname{name, sfx}, b.grid1D(work)); err != nil {
				return err
			}
		}
		a := b.args()
		a.Ptr(pos.ptr)
		a.Ptr(s.ptr)
		a.Int64(int64(rows))
		a.Int32(int32(n))
		a.Int64(int64(p))
		a.Int64(int64(size))
		a.Int32(desc)
		if err := b.launch(modSort, kname{"sort_merge_", sfx}, b.gridBlocks(tiles)); err != nil {
			return err
		}
	}
	a = b.args()
	a.Ptr(v.ptr)
	a.Ptr(ix.ptr)
	a.Ptr(pos.ptr)
	a.Ptr(s.ptr)
	a.Int64(int64(rows))
	a.Int32(int32(n))
	a.Int64(int64(p))
	a.Int32(int32(k))
	return b.launch(modSort, kname{"sort_gather_", sfx}, b.grid1D(rows*k))
}

// topK writes the first k (at most topKMax) of each sorted row by rounds
// of sort_topk_<dt>: each sorts every chunk of sortShared candidates in
// shared memory and keeps the first kk of each as the next round's
// candidates, until one chunk holds them and gives the first k.
func (b *Backend) topK(v, ix, s *Buffer, rows, n, k int, desc int32) error {
	kk := 1
	for kk < k {
		kk <<= 1
	}
	var cand *Buffer // nil: the row's positions 0..n-1
	defer func() {
		if cand != nil {
			b.release(cand)
		}
	}()
	for m := n; ; {
		chunks := (m + sortShared - 1) / sortShared
		var out *Buffer
		if chunks > 1 {
			var err error
			if out, err = b.scratch(device.Int32, rows*chunks*kk); err != nil {
				return err
			}
		}
		a := b.args()
		a.Ptr(ptrOf(out))
		a.Ptr(v.ptr)
		a.Ptr(ix.ptr)
		a.Ptr(ptrOf(cand))
		a.Ptr(s.ptr)
		a.Int64(int64(rows))
		a.Int32(int32(n))
		a.Int64(int64(m))
		a.Int32(int32(kk))
		a.Int32(int32(k))
		a.Int32(desc)
		err := b.launch(modSort, kname{"sort_topk_", s.dt.Suffix()}, b.gridBlocks(rows*chunks))
		if cand != nil {
			b.release(cand)
		}
		cand = out
		if err != nil || chunks == 1 {
			return err
		}
		m = chunks * kk
	}
}

// ptrOf is x's device pointer, or 0 (null) for none.
func ptrOf(x *Buffer) driver.DevPtr {
	if x == nil {
		return 0
	}
	return x.ptr
}

// Cumsum writes the running sums of each row (device.Scanner) with
// cumsum_<dt>: a block per row, Float32 and the half types accumulating
// in float32 (a half result is rounded once per element), Int32 wrapping.
func (b *Backend) Cumsum(dst, src device.Buffer, rows, n int) error {
	const op = "Cumsum"
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.buf(op, src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	if err := sortTypes(op, s.dt); err != nil {
		return err
	}
	d, err := b.buf(op, dst, s.dt, "dst")
	if err != nil {
		return err
	}
	if rows < 0 || n < 0 {
		return opErr(op, "negative shape [%d, %d]", rows, n)
	}
	if err := need(op, s, rows*n, "src"); err != nil {
		return err
	}
	if err := need(op, d, rows*n, "dst"); err != nil {
		return err
	}
	if rows*n == 0 {
		return nil
	}
	b.rowArgs(rows, n, d.ptr, s.ptr)
	return b.launch(modSort, kname{"cumsum_", s.dt.Suffix()}, b.gridBlocks(rows))
}
