package cpu

import (
	"math/bits"

	"github.com/tapegrad/tapegrad/device"
)

var (
	_ device.Sorter  = (*Backend)(nil)
	_ device.Scanner = (*Backend)(nil)
)

// Sort sorts each contiguous row of n elements of src stably, writing the
// first k of each sorted row to vals and their positions to idx, as
// device.Sorter defines (reference there). A row is a bottom-up merge
// sort of (key, position) pairs: NaNs are set aside first, in order, and a
// descending sort negates its keys (bitwise for Int32), so one ascending
// stable sort serves both directions; values are then read back from src
// by position, which keeps -0 and NaN payloads as they were. Rows run in
// parallel and each row's result depends on that row alone.
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
		sortRows(slice[float32](bs[1]), ix, slice[float32](bs[0]), rows, n, k, descending)
	case device.Float64:
		sortRows(slice[float64](bs[1]), ix, slice[float64](bs[0]), rows, n, k, descending)
	case device.Int32:
		sortRows(slice[int32](bs[1]), ix, slice[int32](bs[0]), rows, n, k, descending)
	default:
		return unsupported(op, s.dt)
	}
	return nil
}

// sortRows sorts rows of src into vals and idx, as Sort.
func sortRows[T num](vals []T, idx []int32, src []T, rows, n, k int, descending bool) {
	if rows == 0 || k == 0 {
		return
	}
	parallelFor(rows, 4*n*(bits.Len(uint(n))+1), func(lo, hi int) {
		var s rowSorter[T]
		s.grow(n)
		for r := lo; r < hi; r++ {
			s.sort(src[r*n:(r+1)*n], descending)
			for j, p := range s.order(k, descending) {
				idx[r*k+j] = p
				vals[r*k+j] = src[r*n+int(p)]
			}
		}
	})
}

// rowSorter holds one goroutine's scratch: the pairs being merged in two
// halves (ping-pong) and the positions of the row's NaNs.
type rowSorter[T num] struct {
	key, key2 []T
	pos, pos2 []int32
	nans      []int32
	out       []int32
	m         int // numbers (non-NaN elements) in the row
}

func (s *rowSorter[T]) grow(n int) {
	s.key, s.key2 = make([]T, n), make([]T, n)
	s.pos, s.pos2 = make([]int32, n), make([]int32, n)
	s.nans = make([]int32, 0, n)
	s.out = make([]int32, n)
}

// sort sorts the numbers of row ascending by key (negated for descending)
// into key/pos[:m], and lists the NaNs' positions in order.
func (s *rowSorter[T]) sort(row []T, descending bool) {
	s.nans = s.nans[:0]
	m := 0
	for i, v := range row {
		if v != v { // NaN; never true for Int32
			s.nans = append(s.nans, int32(i))
			continue
		}
		if descending {
			v = reverse(v)
		}
		s.key[m], s.pos[m] = v, int32(i)
		m++
	}
	s.m = m
	mergeSort(s.key[:m], s.pos[:m], s.key2[:m], s.pos2[:m])
}

// order returns the first k positions of the sorted row: the numbers then
// the NaNs ascending, the NaNs first descending (NaN is the largest).
func (s *rowSorter[T]) order(k int, descending bool) []int32 {
	nums := s.pos[:s.m]
	out := s.out[:0]
	if descending {
		out = append(append(out, s.nans...), nums...)
	} else {
		out = append(append(out, nums...), s.nans...)
	}
	return out[:k]
}

// reverse maps v to a key whose ascending order is v's descending order:
// negation for floats (-0 and +0 stay equal), ^v = -v-1 for Int32 (no
// overflow at the minimum).
func reverse[T num](v T) T {
	if isInt[T]() {
		return T(^int32(v))
	}
	return -v
}

// sortRun is the length of the runs insertion sort makes before merging.
const sortRun = 24

// mergeSort sorts key ascending, stably, moving pos along; key2 and pos2
// are scratch of the same length. Insertion sort makes runs of sortRun,
// then bottom-up merges double them, alternating between the two halves.
func mergeSort[T num](key []T, pos []int32, key2 []T, pos2 []int32) {
	n := len(key)
	if n < 2 {
		return
	}
	for lo := 0; lo < n; lo += sortRun {
		hi := min(lo+sortRun, n)
		for i := lo + 1; i < hi; i++ {
			kv, pv := key[i], pos[i]
			j := i
			for ; j > lo && key[j-1] > kv; j-- {
				key[j], pos[j] = key[j-1], pos[j-1]
			}
			key[j], pos[j] = kv, pv
		}
	}
	src, dst := key, key2
	sp, dp := pos, pos2
	for w := sortRun; w < n; w *= 2 {
		for lo := 0; lo < n; lo += 2 * w {
			mid, hi := min(lo+w, n), min(lo+2*w, n)
			merge(dst[lo:hi], dp[lo:hi], src[lo:mid], sp[lo:mid], src[mid:hi], sp[mid:hi])
		}
		src, dst = dst, src
		sp, dp = dp, sp
	}
	if &src[0] != &key[0] {
		copy(key, src)
		copy(pos, sp)
	}
}

// merge merges the sorted runs a and b into dst, taking from a on ties
// (stability).
func merge[T num](dst []T, dp []int32, a []T, ap []int32, b []T, bp []int32) {
	if len(b) == 0 || a[len(a)-1] <= b[0] {
		copy(dst, a)
		copy(dst[len(a):], b)
		copy(dp, ap)
		copy(dp[len(ap):], bp)
		return
	}
	i, j, o := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			dst[o], dp[o] = b[j], bp[j]
			j++
		} else {
			dst[o], dp[o] = a[i], ap[i]
			i++
		}
		o++
	}
	copy(dp[o:], ap[i:])
	o += copy(dst[o:], a[i:])
	copy(dst[o:], b[j:])
	copy(dp[o:], bp[j:])
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
