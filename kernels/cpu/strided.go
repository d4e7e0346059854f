package cpu

import (
	"slices"

	"github.com/tapegrad/tapegrad/device"
)

// num is the element types kernels compute in; float the ones with NaN
// and math; half the 16-bit storage types, which kernels convert to
// float32 (half.go); elem every element type a buffer can hold.
type (
	num   interface{ ~float32 | ~float64 | ~int32 }
	float interface{ ~float32 | ~float64 }
	half  interface{ device.BF16 | device.F16 }
	elem  interface{ num | half }
)

// maxOps is the most layouts one walker tracks (Where reads three).
const maxOps = 3

// chunk is how many elements a strided kernel gathers per call of its
// inner loop: small enough that the scratch of every operand stays in L1.
const chunk = 1024

// walker visits the elements of a shape in row-major order and keeps, for
// each of up to maxOps layouts sharing that shape, the buffer offset of the
// current element. It steps a whole inner run at a time and carries into
// outer dims like an odometer, so no element costs a division.
//
// newWalker first drops size-1 dims and merges adjacent dims that every
// layout steps through evenly: a contiguous or simply sliced view becomes
// one long run, and a transpose of a matrix two dims.
type walker struct {
	rank  int // at least 1
	nops  int
	shape [device.MaxRank]int
	st    [maxOps][device.MaxRank]int
	idx   [device.MaxRank]int
	off   [maxOps]int
}

// newWalker returns a walker at position 0 of shape over layouts ls,
// which must all have that shape and at most device.MaxRank dims.
func newWalker(shape []int, ls ...device.Layout) walker {
	w := walker{nops: len(ls)}
	for k, l := range ls {
		w.off[k] = l.Offset
	}
	r := 0
	for d, n := range shape {
		if n == 1 {
			continue
		}
		if r > 0 && w.mergeable(r-1, ls, d, n) {
			w.shape[r-1] *= n
			for k, l := range ls {
				w.st[k][r-1] = l.Strides[d]
			}
			continue
		}
		w.shape[r] = n
		for k, l := range ls {
			w.st[k][r] = l.Strides[d]
		}
		r++
	}
	if r == 0 { // every dim is 1 (or rank 0): one element
		w.shape[0], r = 1, 1
	}
	w.rank = r
	return w
}

// mergeable reports whether walker dim r, just outside shape dim d of
// extent n, steps every layout exactly n elements of dim d.
func (w *walker) mergeable(r int, ls []device.Layout, d, n int) bool {
	for k, l := range ls {
		if w.st[k][r] != l.Strides[d]*n {
			return false
		}
	}
	return true
}

// seek moves a walker still at position 0 to row-major position pos.
func (w *walker) seek(pos int) {
	for d := w.rank - 1; d >= 0; d-- {
		w.idx[d] = pos % w.shape[d]
		pos /= w.shape[d]
		for k := 0; k < w.nops; k++ {
			w.off[k] += w.idx[d] * w.st[k][d]
		}
	}
}

// run returns how many elements are left in the current inner run; the
// run's elements are at off[k] + i*inner(k).
func (w *walker) run() int { return w.shape[w.rank-1] - w.idx[w.rank-1] }

// inner returns layout k's stride along the inner run.
func (w *walker) inner(k int) int { return w.st[k][w.rank-1] }

// advance moves r elements forward, r <= run().
func (w *walker) advance(r int) {
	last := w.rank - 1
	w.idx[last] += r
	for k := 0; k < w.nops; k++ {
		w.off[k] += r * w.st[k][last]
	}
	for d := last; d > 0 && w.idx[d] == w.shape[d]; d-- {
		w.idx[d] = 0
		w.idx[d-1]++
		for k := 0; k < w.nops; k++ {
			w.off[k] += w.st[k][d-1] - w.shape[d]*w.st[k][d]
		}
	}
}

// gatherRun copies the run src[off], src[off+stride], ... into dst.
func gatherRun[T elem](dst, src []T, off, stride int) {
	switch stride {
	case 1:
		copy(dst, src[off:off+len(dst)])
	case 0:
		v := src[off]
		for i := range dst {
			dst[i] = v
		}
	default:
		for i := range dst {
			dst[i] = src[off]
			off += stride
		}
	}
}

// input is a strided operand of an elementwise kernel.
type input[T elem] struct {
	data []T
	l    device.Layout
}

// mapChunks drives an elementwise kernel over the Size() positions of the
// inputs' common shape: it calls fn(lo, xs) for consecutive ranges
// [lo, lo+len(xs[0])), where xs[k] holds input k's elements for those
// positions in row-major order. A contiguous input is passed as a view;
// a strided one is gathered into scratch, chunk elements at a time, so fn
// is always a plain loop over slices. cost is fn's work per element.
func mapChunks[T elem](cost int, ins []input[T], fn func(lo int, xs [][]T)) {
	shape := ins[0].l.Shape
	size := device.Numel(shape)
	contig := make([]bool, len(ins))
	all := true
	for k, in := range ins {
		contig[k] = in.l.IsContiguous()
		all = all && contig[k]
	}
	if all {
		parallelFor(size, cost, func(lo, hi int) {
			xs := make([][]T, len(ins))
			for k, in := range ins {
				xs[k] = in.data[in.l.Offset+lo : in.l.Offset+hi]
			}
			fn(lo, xs)
		})
		return
	}
	ls := make([]device.Layout, len(ins))
	for k, in := range ins {
		ls[k] = in.l
	}
	tmpl := newWalker(shape, ls...)
	parallelFor(size, cost, func(lo, hi int) {
		w := tmpl
		w.seek(lo)
		xs := make([][]T, len(ins))
		scratch := make([]T, len(ins)*chunk)
		for pos := lo; pos < hi; {
			n := min(chunk, hi-pos)
			for k, in := range ins {
				if contig[k] {
					xs[k] = in.data[in.l.Offset+pos : in.l.Offset+pos+n]
				} else {
					xs[k] = scratch[k*chunk : k*chunk+n]
				}
			}
			for done := 0; done < n; {
				r := min(w.run(), n-done)
				for k, in := range ins {
					if !contig[k] {
						gatherRun(xs[k][done:done+r], in.data, w.off[k], w.inner(k))
					}
				}
				w.advance(r)
				done += r
			}
			fn(pos, xs)
			pos += n
		}
	})
}

// checkLayout checks that l is a well-formed layout whose elements all lie
// inside b, so that kernels (and their goroutines) cannot index out of
// range.
func checkLayout(op string, b *Buffer, l device.Layout, what string) error {
	if len(l.Shape) > device.MaxRank {
		return opError(op, "%s has rank %d, more than device.MaxRank %d", what, len(l.Shape), device.MaxRank)
	}
	if len(l.Strides) != len(l.Shape) {
		return opError(op, "%s has %d strides for shape %v", what, len(l.Strides), l.Shape)
	}
	if slices.ContainsFunc(l.Shape, func(n int) bool { return n < 0 }) {
		return opError(op, "%s has negative shape %v", what, l.Shape)
	}
	if l.Size() == 0 {
		return nil
	}
	if lo, hi := extent(l); lo < 0 || hi >= b.Len() {
		return opError(op, "%s (shape %v, strides %v, offset %d) addresses elements [%d, %d] of a buffer of %d",
			what, l.Shape, l.Strides, l.Offset, lo, hi, b.Len())
	}
	return nil
}

// extent returns the smallest and largest buffer index a non-empty layout
// addresses.
func extent(l device.Layout) (lo, hi int) {
	lo, hi = l.Offset, l.Offset
	for d, n := range l.Shape {
		if s := l.Strides[d] * (n - 1); s < 0 {
			lo += s
		} else {
			hi += s
		}
	}
	return lo, hi
}

// sameShape checks that layout b has layout a's shape.
func sameShape(op string, a, b device.Layout) error {
	if !slices.Equal(a.Shape, b.Shape) {
		return opError(op, "shapes %v and %v differ", a.Shape, b.Shape)
	}
	return nil
}
