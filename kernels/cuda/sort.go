package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

var (
	_ device.Sorter  = (*Backend)(nil)
	_ device.Scanner = (*Backend)(nil)
)

// sortShared is SORT_SHARED of sort.cu: the longest row sorted in shared
// memory by one block.
const sortShared = 2048

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
// most sortShared, else a bitonic network step per launch of
// sort_step_<dt> over an int32 position scratch, then sort_gather_<dt>.
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
	if n <= sortShared {
		a := b.args()
		a.Ptr(v.ptr)
		a.Ptr(ix.ptr)
		a.Ptr(s.ptr)
		a.Int64(int64(rows))
		a.Int32(int32(n))
		a.Int32(int32(k))
		a.Int32(desc)
		return b.launch(modSort, kname{"sort_shared_", sfx}, b.gridBlocks(rows))
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
	a := b.args()
	a.Ptr(pos.ptr)
	a.Int64(int64(rows * p))
	a.Int64(int64(p))
	if err := b.launch(modSort, kname{"sort_init"}, b.grid1D(rows*p)); err != nil {
		return err
	}
	for size := 2; size <= p; size <<= 1 {
		for stride := size / 2; stride > 0; stride /= 2 {
			a := b.args()
			a.Ptr(pos.ptr)
			a.Ptr(s.ptr)
			a.Int64(int64(rows))
			a.Int32(int32(n))
			a.Int64(int64(p))
			a.Int64(int64(size))
			a.Int64(int64(stride))
			a.Int32(desc)
			if err := b.launch(modSort, kname{"sort_step_", sfx}, b.grid1D(rows*p/2)); err != nil {
				return err
			}
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
