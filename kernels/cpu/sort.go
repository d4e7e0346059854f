package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

var (
	_ device.Sorter  = (*Backend)(nil)
	_ device.Scanner = (*Backend)(nil)
)

// Sort sorts each contiguous row of n elements of src stably, writing the
// first k of each sorted row to vals and their positions to idx, as
// device.Sorter defines (reference there). NaNs are set aside first, in
// order; every other element becomes an unsigned key whose order is the
// sort's (ordKey), and the (key, position) pairs of a row are sorted by
// insertion when short and by an LSD radix sort otherwise, both stable.
// A first k that is a small part of the row (TopK's usual case, selects)
// is selected instead, by a heap of k in one pass (sort_select.go), with
// the same result; a row that defeats the heap (sorted the other way)
// goes back to the sort after a bounded number of entries. Values are read back from src by position, which
// keeps -0 and NaN payloads as they were. Rows run in parallel and each
// row's result depends on that row alone.
func (be *Backend) Sort(vals, idx, src device.Buffer, rows, n, k int, descending bool) error {
	const op = "Sort"
	if rows < 0 || n < 0 || k < 0 || k > n {
		return opError(op, "bad shape: %d rows of %d, first %d", rows, n, k)
	}
	if dt, ok := halfOf(vals, src); ok {
		args := []halfArg{
			{b: src, what: "src", span: true, n: rows * n},
			{b: vals, role: out, what: "vals", span: true, n: rows * k},
			{b: idx, what: "idx"},
		}
		return be.onHalf(op, dt, args, call(func(bs []device.Buffer) error {
			return be.Sort(bs[1], bs[2], bs[0], rows, n, k, descending)
		}))
	}
	s, err := asBuffer(op, src)
	if err != nil {
		return err
	}
	bs, err := buffers(op, s.dt, src, vals)
	if err != nil {
		return err
	}
	ib, err := buffers(op, device.Int32, idx)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		b    *Buffer
		n    int
		what string
	}{{bs[0], rows * n, "src"}, {bs[1], rows * k, "vals"}, {ib[0], rows * k, "idx"}} {
		if err := need(op, c.b, c.n, c.what); err != nil {
			return err
		}
	}
	ix := slice[int32](ib[0])
	switch s.dt {
	case device.Float32:
		sortRows(slice[float32](bs[1]), ix, slice[float32](bs[0]), rows, n, k, descending, 32, func(v float32) uint32 {
			if v == 0 {
				v = 0 // -0 and +0 are one key
			}
			return ordKey(math.Float32bits(v), 31)
		})
	case device.Float64:
		sortRows(slice[float64](bs[1]), ix, slice[float64](bs[0]), rows, n, k, descending, 64, func(v float64) uint64 {
			if v == 0 {
				v = 0
			}
			return ordKey(math.Float64bits(v), 63)
		})
	case device.Int32:
		sortRows(slice[int32](bs[1]), ix, slice[int32](bs[0]), rows, n, k, descending, 32, func(v int32) uint32 {
			return uint32(v) ^ 1<<31
		})
	default:
		return unsupported(op, s.dt)
	}
	return nil
}

// ordKey maps the bits of an IEEE float (not NaN; sign bit at bit top) to
// an unsigned key in the float's order: negatives have every bit flipped,
// positives the sign bit set.
func ordKey[U uint32 | uint64](b U, top int) U {
	if b>>top != 0 {
		return ^b
	}
	return b | 1<<top
}

// sortRows sorts rows of src into vals and idx, as Sort; key maps a
// number to its ascending key of width bits. A first k that is a small
// part of a long row (selects) is selected instead of sorted.
func sortRows[T num, U uint32 | uint64](vals []T, idx []int32, src []T, rows, n, k int, descending bool, width int, key func(T) U) {
	if rows == 0 || k == 0 {
		return
	}
	sel := selects(n, k)
	parallelFor(rows, 8*n, func(lo, hi int) {
		var s rowSorter[U]
		var sl selector[T]
		if sel {
			sl.val, sl.pos = make([]T, 0, k), make([]int32, 0, k)
		}
		for r := lo; r < hi; r++ {
			row, out := src[r*n:(r+1)*n], idx[r*k:(r+1)*k]
			if !sel || !sl.selectFirst(out, row, descending) {
				if s.key == nil {
					s = rowSorter[U]{
						width: width,
						key:   make([]U, n), key2: make([]U, n),
						pos: make([]int32, n), pos2: make([]int32, n),
						nans: make([]int32, 0, n),
					}
				}
				sortRow(&s, out, row, descending, key)
			}
			for j, p := range out {
				vals[r*k+j] = row[p]
			}
		}
	})
}

// sortRow writes the first len(out) positions of row's stable order to
// out: the NaNs set aside in order, the (key, position) pairs of the
// numbers sorted.
func sortRow[T num, U uint32 | uint64](s *rowSorter[U], out []int32, row []T, descending bool, key func(T) U) {
	s.nans = s.nans[:0]
	m := 0
	for i, v := range row {
		if v != v { // NaN; never true for Int32
			s.nans = append(s.nans, int32(i))
			continue
		}
		kv := key(v)
		if descending {
			kv = ^kv
		}
		s.key[m], s.pos[m] = kv, int32(i)
		m++
	}
	s.sort(m)
	emit(out, s.pos[:m], s.nans, descending)
}

// rowSorter holds one goroutine's scratch: the (key, position) pairs of a
// row and their second buffers, and the positions of the row's NaNs.
type rowSorter[U uint32 | uint64] struct {
	key, key2 []U
	pos, pos2 []int32
	nans      []int32
	width     int // bits in a key
}

// insertionMax is the longest row sorted by insertion: below it the radix
// sort's counting passes cost more than the comparisons.
const insertionMax = 64

// sort sorts the first m pairs by key, stably.
func (s *rowSorter[U]) sort(m int) {
	key, pos := s.key[:m], s.pos[:m]
	if m <= insertionMax {
		for i := 1; i < m; i++ {
			kv, pv := key[i], pos[i]
			j := i
			for ; j > 0 && key[j-1] > kv; j-- {
				key[j], pos[j] = key[j-1], pos[j-1]
			}
			key[j], pos[j] = kv, pv
		}
		return
	}
	src, dst, sp, dp := key, s.key2[:m], pos, s.pos2[:m]
	var count [256]int
	for shift := 0; shift < s.width; shift += 8 {
		count = [256]int{}
		for _, kv := range src {
			count[kv>>shift&255]++
		}
		if count[src[0]>>shift&255] == m {
			continue // one digit for all: this pass would not move anything
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, kv := range src {
			d := kv >> shift & 255
			dst[count[d]], dp[count[d]] = kv, sp[i]
			count[d]++
		}
		src, dst, sp, dp = dst, src, dp, sp
	}
	if &src[0] != &key[0] {
		copy(key, src)
		copy(pos, sp)
	}
}

// emit fills out with the start of the sorted row, given its numbers'
// positions in order and its NaNs': the numbers then the NaNs ascending,
// the NaNs first descending (NaN is the largest).
func emit(out, nums, nans []int32, descending bool) {
	if descending {
		nums, nans = nans, nums
	}
	copy(out[copy(out, nums):], nans)
}

// Cumsum writes the running sums of each contiguous row of n elements of
// src to dst, as device.Scanner defines. Reference, per row:
//
//	s := 0; for j := range n { s += src[j]; dst[j] = s }
//
// Float rows accumulate in float64 (as PyTorch's CPU cumsum does for
// float32), half rows through their float32 stand-ins, Int32 rows in
// int32 (wrapping). Rows run in parallel; within a row the order is fixed.
func (be *Backend) Cumsum(dst, src device.Buffer, rows, n int) error {
	const op = "Cumsum"
	if rows < 0 || n < 0 {
		return opError(op, "negative shape [%d, %d]", rows, n)
	}
	if dt, ok := halfOf(dst, src); ok {
		args := []halfArg{
			{b: src, what: "src", span: true, n: rows * n},
			{b: dst, role: out, what: "dst", span: true, n: rows * n},
		}
		return be.onHalf(op, dt, args, call(func(bs []device.Buffer) error {
			return be.Cumsum(bs[1], bs[0], rows, n)
		}))
	}
	s, err := asBuffer(op, src)
	if err != nil {
		return err
	}
	bs, err := buffers(op, s.dt, dst, src)
	if err != nil {
		return err
	}
	for i, what := range []string{"dst", "src"} {
		if err := need(op, bs[i], rows*n, what); err != nil {
			return err
		}
	}
	switch s.dt {
	case device.Float32:
		cumsumRows[float32, float64](slice[float32](bs[0]), slice[float32](bs[1]), rows, n)
	case device.Float64:
		cumsumRows[float64, float64](slice[float64](bs[0]), slice[float64](bs[1]), rows, n)
	case device.Int32:
		cumsumRows[int32, int32](slice[int32](bs[0]), slice[int32](bs[1]), rows, n)
	default:
		return unsupported(op, s.dt)
	}
	return nil
}

// cumsumRows is Cumsum's loop, accumulating in A.
func cumsumRows[T, A num](dst, src []T, rows, n int) {
	parallelFor(rows, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var s A
			for j := r * n; j < (r+1)*n; j++ {
				s += A(src[j])
				dst[j] = T(s)
			}
		}
	})
}
