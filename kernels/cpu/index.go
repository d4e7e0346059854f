package cpu

import (
	"fmt"

	"github.com/tapegrad/tapegrad/device"
)

// indexing is one call of the indexing family: src and dst are contiguous
// [outer, n or k, inner] blocks of one dtype, idx is Int32.
type indexing struct {
	outer, n, inner, k int
}

// indexBuffers checks an indexing call: dst and src of one dtype holding
// dstRows and srcRows rows of [outer, rows, inner], and nidx indices in
// [0, n). The indices are checked here, once, because an index out of range
// would otherwise panic inside a worker goroutine.
func indexBuffers(op string, ix indexing, dst, src, idx device.Buffer, dstRows, srcRows, nidx int) (d, s *Buffer, is []int32, err error) {
	if ix.outer < 0 || ix.n < 0 || ix.inner < 0 || ix.k < 0 {
		return nil, nil, nil, opError(op, "negative size: outer %d, n %d, inner %d, k %d", ix.outer, ix.n, ix.inner, ix.k)
	}
	db, err := asBuffer(op, dst)
	if err != nil {
		return nil, nil, nil, err
	}
	bs, err := buffers(op, db.dt, src)
	if err != nil {
		return nil, nil, nil, err
	}
	ib, err := buffers(op, device.Int32, idx)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := need(op, db, ix.outer*dstRows*ix.inner, "dst"); err != nil {
		return nil, nil, nil, err
	}
	if err := need(op, bs[0], ix.outer*srcRows*ix.inner, "src"); err != nil {
		return nil, nil, nil, err
	}
	if err := need(op, ib[0], nidx, "idx"); err != nil {
		return nil, nil, nil, err
	}
	for p, j := range slice[int32](ib[0])[:nidx] {
		if j < 0 || int(j) >= ix.n {
			return nil, nil, nil, fmt.Errorf("%w: %w", opError(op, "index %d at position %d is outside [0, %d)", j, p, ix.n), device.ErrIndex)
		}
	}
	return db, bs[0], slice[int32](ib[0]), nil
}

// IndexSelect copies rows: dst[o,j,i] = src[o, idx[j], i] for j < k.
// Every dtype is supported.
func (be *Backend) IndexSelect(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	if dt, ok := halfOf(dst, src, idx); ok {
		return be.plainHalf("IndexSelect", dt, []device.Buffer{dst}, []device.Buffer{src, idx}, func(bs []device.Buffer) error {
			return be.IndexSelect(bs[0], bs[1], bs[2], outer, n, inner, k)
		})
	}
	ix := indexing{outer, n, inner, k}
	d, s, is, err := indexBuffers("IndexSelect", ix, dst, src, idx, k, n, k)
	if err != nil {
		return err
	}
	switch d.dt {
	case device.Float32:
		indexSelect(ix, slice[float32](d), slice[float32](s), is)
	case device.Float64:
		indexSelect(ix, slice[float64](d), slice[float64](s), is)
	default:
		indexSelect(ix, slice[int32](d), slice[int32](s), is)
	}
	return nil
}

func indexSelect[T num](ix indexing, dst, src []T, idx []int32) {
	in := ix.inner
	parallelFor(ix.outer*ix.k, in, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			o, j := row/ix.k, row%ix.k
			from := (o*ix.n + int(idx[j])) * in
			copy(dst[row*in:(row+1)*in], src[from:from+in])
		}
	})
}

// IndexAdd accumulates rows: dst[o, idx[j], i] += src[o,j,i], for j in
// increasing order, so a repeated index sums its rows in that order. Work
// is split over (o, i), never over j, so no two goroutines touch one
// element. Every dtype is supported (Int32 wraps).
func (be *Backend) IndexAdd(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	if dt, ok := halfOf(dst, src, idx); ok {
		return be.plainHalf("IndexAdd", dt, []device.Buffer{dst}, []device.Buffer{src, idx}, func(bs []device.Buffer) error {
			return be.IndexAdd(bs[0], bs[1], bs[2], outer, n, inner, k)
		})
	}
	ix := indexing{outer, n, inner, k}
	d, s, is, err := indexBuffers("IndexAdd", ix, dst, src, idx, n, k, k)
	if err != nil {
		return err
	}
	switch d.dt {
	case device.Float32:
		indexAdd(ix, slice[float32](d), slice[float32](s), is, false)
	case device.Float64:
		indexAdd(ix, slice[float64](d), slice[float64](s), is, false)
	default:
		indexAdd(ix, slice[int32](d), slice[int32](s), is, false)
	}
	return nil
}

// Gather picks along the middle dim per element:
// dst[o,j,i] = src[o, idx[o,j,i], i]. Every dtype is supported.
func (be *Backend) Gather(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	if dt, ok := halfOf(dst, src, idx); ok {
		return be.plainHalf("Gather", dt, []device.Buffer{dst}, []device.Buffer{src, idx}, func(bs []device.Buffer) error {
			return be.Gather(bs[0], bs[1], bs[2], outer, n, inner, k)
		})
	}
	ix := indexing{outer, n, inner, k}
	d, s, is, err := indexBuffers("Gather", ix, dst, src, idx, k, n, outer*k*inner)
	if err != nil {
		return err
	}
	switch d.dt {
	case device.Float32:
		gather(ix, slice[float32](d), slice[float32](s), is)
	case device.Float64:
		gather(ix, slice[float64](d), slice[float64](s), is)
	default:
		gather(ix, slice[int32](d), slice[int32](s), is)
	}
	return nil
}

func gather[T num](ix indexing, dst, src []T, idx []int32) {
	in := ix.inner
	parallelFor(ix.outer*ix.k, in, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			base := row / ix.k * ix.n * in
			for i, j := range idx[row*in : (row+1)*in] {
				dst[row*in+i] = src[base+int(j)*in+i]
			}
		}
	})
}

// ScatterAdd is Gather's adjoint: dst[o, idx[o,j,i], i] += src[o,j,i],
// for j in increasing order; split over (o, i) as IndexAdd is. Every dtype
// is supported (Int32 wraps).
func (be *Backend) ScatterAdd(dst, src, idx device.Buffer, outer, n, inner, k int) error {
	if dt, ok := halfOf(dst, src, idx); ok {
		return be.plainHalf("ScatterAdd", dt, []device.Buffer{dst}, []device.Buffer{src, idx}, func(bs []device.Buffer) error {
			return be.ScatterAdd(bs[0], bs[1], bs[2], outer, n, inner, k)
		})
	}
	ix := indexing{outer, n, inner, k}
	d, s, is, err := indexBuffers("ScatterAdd", ix, dst, src, idx, n, k, outer*k*inner)
	if err != nil {
		return err
	}
	switch d.dt {
	case device.Float32:
		indexAdd(ix, slice[float32](d), slice[float32](s), is, true)
	case device.Float64:
		indexAdd(ix, slice[float64](d), slice[float64](s), is, true)
	default:
		indexAdd(ix, slice[int32](d), slice[int32](s), is, true)
	}
	return nil
}

// indexAdd is IndexAdd, or ScatterAdd when perElement (idx is then
// [outer, k, inner] rather than [k]). Each goroutine owns a range of the
// flattened (o, i) positions and walks j in order for each.
func indexAdd[T num](ix indexing, dst, src []T, idx []int32, perElement bool) {
	in := ix.inner
	parallelFor(ix.outer*in, ix.k, func(lo, hi int) {
		for o := lo / in; o*in < hi; o++ {
			i0, i1 := max(lo-o*in, 0), min(hi-o*in, in)
			for j := range ix.k {
				s := src[(o*ix.k+j)*in:]
				if !perElement {
					d := dst[(o*ix.n+int(idx[j]))*in:]
					for i := i0; i < i1; i++ {
						d[i] += s[i]
					}
					continue
				}
				d, id := dst[o*ix.n*in:], idx[(o*ix.k+j)*in:]
				for i := i0; i < i1; i++ {
					d[int(id[i])*in+i] += s[i]
				}
			}
		}
	})
}
