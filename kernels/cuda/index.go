package cuda

import (
	"encoding/binary"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// indexDimsBytes is sizeof(struct IndexDims) of index.cu: four int64s.
const indexDimsBytes = 32

// putIndexDims appends struct IndexDims to a.
func putIndexDims(a *driver.Args, outer, n, inner, k int) {
	out := a.Bytes(indexDimsBytes)[:0]
	for _, v := range [...]int{outer, n, inner, k} {
		out = binary.LittleEndian.AppendUint64(out, uint64(v))
	}
}

// indexOp checks and launches one kernel of index.cu: dst and src hold
// [outer, dstRows, inner] and [outer, srcRows, inner], idx nidx int32s.
// The kernel range-checks the indices on the device and records the first
// bad one in the status word, which the next Sync or Read reports (reading
// them back here would synchronise the device). It runs one thread per
// element of the k-sized side. The accumulating ops (acc) on a half dst
// add into float32 scratch holding dst widened and round it back once at
// the end, as the CPU does.
func (b *Backend) indexOp(op, kern string, acc bool, dst, src, idx device.Buffer, outer, n, inner, k, dstRows, srcRows, nidx int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf(op, dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	s, err := b.buf(op, src, d.dt, "src")
	if err != nil {
		return err
	}
	ix, err := b.buf(op, idx, device.Int32, "idx")
	if err != nil {
		return err
	}
	if outer < 0 || n < 0 || inner < 0 || k < 0 {
		return opErr(op, "negative size: outer %d, n %d, inner %d, k %d", outer, n, inner, k)
	}
	if err := need(op, d, outer*dstRows*inner, "dst"); err != nil {
		return err
	}
	if err := need(op, s, outer*srcRows*inner, "src"); err != nil {
		return err
	}
	if err := need(op, ix, nidx, "idx"); err != nil {
		return err
	}
	total := outer * k * inner
	if total == 0 {
		return nil
	}
	into := d
	dn := outer * dstRows * inner
	if acc && d.dt.IsHalf() && dn > 0 {
		if into, err = b.scratch(device.Float32, dn); err != nil {
			return err
		}
		defer b.release(into)
		if err := b.cast(into, d, flat(dn), dn); err != nil {
			return err
		}
	}
	w, err := b.statusWord()
	if err != nil {
		return err
	}
	a := b.args()
	a.Ptr(into.ptr)
	a.Ptr(s.ptr)
	a.Ptr(ix.ptr)
	putIndexDims(a, outer, n, inner, k)
	a.Ptr(w)
	if err := b.launch(modIndex, kname{kern, "_", d.dt.Suffix()}, b.grid1D(total)); err != nil || into == d {
		return err
	}
	return b.cast(d, into, flat(dn), dn)
}

// IndexSelect: dst[o,j,i] = src[o, idx[j], i] (kernel index_select_<dt>).
func (b *Backend) IndexSelect(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	return b.indexOp("IndexSelect", "index_select", false, dst, src, idx, outer, n, inner, k, k, n, k)
}

// IndexAdd: dst[o, idx[j], i] += src[o,j,i] (kernel index_add_<dt>,
// atomicAdd; in float32 for a half dst).
func (b *Backend) IndexAdd(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	return b.indexOp("IndexAdd", "index_add", true, dst, src, idx, outer, n, inner, k, n, k, k)
}

// Gather: dst[o,j,i] = src[o, idx[o,j,i], i] (kernel gather_<dt>).
func (b *Backend) Gather(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	return b.indexOp("Gather", "gather", false, dst, src, idx, outer, n, inner, k, k, n, outer*k*inner)
}

// ScatterAdd: dst[o, idx[o,j,i], i] += src[o,j,i] (kernel scatter_add_<dt>,
// atomicAdd; in float32 for a half dst).
func (b *Backend) ScatterAdd(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	return b.indexOp("ScatterAdd", "scatter_add", true, dst, src, idx, outer, n, inner, k, n, k, outer*k*inner)
}
