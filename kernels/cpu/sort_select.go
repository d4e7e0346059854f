package cpu

import "math/bits"

// TopK's selection: the first k of a row's stable sorted order without
// sorting the row. One pass keeps the k best (value, position) pairs in a
// heap whose root is the worst kept; an element enters only when it is
// strictly better than the root (an equal one comes later, so it is
// worse), so for random rows all but about k·ln(n/k) elements cost one
// compare. The kept pairs are then heap-sorted. Numbers compare as
// numbers, which is the sort's key order (-0 and +0 equal, positions
// breaking ties); NaNs never compare better, so they are set aside in
// order as the sort sets them aside.

// selectMax is the largest k that selectFirst handles: a heap of k costs
// about 2·log₂ k compares per entry, and past it the radix sort's fixed
// passes win on too many rows.
const selectMax = 1024

// selects reports whether the first k of a row of n are selected rather
// than sorted: k at most selectMax and at most n/32. On random float32
// rows (BenchmarkSortTopK, one thread) selection takes about half the
// sort's time at k = n/32 in rows of 1000, a quarter at k = 1024 in rows
// of 100000, a fifth to a twentieth at k = 10, and breaks even near
// k = n/16 in rows of 1000.
func selects(n, k int) bool { return k <= selectMax && 32*k <= n }

// selectBudget is how many heap entries past the first k selectFirst
// allows in a row of n before it gives the row up to the sort. A row
// that runs against the selection (sorted the other way: every element
// enters) costs a heap of 64 or fewer about the sort's time or less (a
// third at k = 10), so they get no budget; a heap of 1024 would cost
// twice the sort, so larger heaps get 2n/bitlen(k) entries (0.18·n at
// k = 1024): such rows measured 1.2-1.4 times the sort at k from 64 to
// 1024, rows of 100000, one thread. A random row makes about
// k·ln(n/k) entries, 0.11·n at k = n/32, so it keeps the selection.
func selectBudget(n, k int) int {
	if k <= 64 {
		return n
	}
	return 2 * n / bits.Len(uint(k))
}

// selector is one goroutine's scratch for selectFirst: the heap's values
// and positions (capacity k) and the NaNs' positions.
type selector[T num] struct {
	val  []T
	pos  []int32
	nans []int32
}

// selectFirst writes the first len(out) positions of row's stable order
// to out, as sortRow does, by selection, and reports true; or, when the
// row makes more heap entries than selectBudget, stops and reports false
// (out is then the caller's to fill).
func (s *selector[T]) selectFirst(out []int32, row []T, descending bool) bool {
	k := len(out)
	left := selectBudget(len(row), k)
	hv, hp := s.val[:0], s.pos[:0]
	s.nans = s.nans[:0]
	i := 0
	for ; i < len(row) && len(hv) < k; i++ {
		if v := row[i]; v == v {
			hv, hp = append(hv, v), append(hp, int32(i))
			heapUp(hv, hp, len(hv)-1, descending)
		} else {
			s.nans = append(s.nans, int32(i))
		}
	}
	// The loops below are the hot path: one compare per element. A NaN
	// fails both v > root and v < root and goes to the NaN test.
	if descending {
		for ; i < len(row); i++ {
			if v := row[i]; v > hv[0] {
				if left--; left < 0 {
					return false
				}
				hv[0], hp[0] = v, int32(i)
				heapDown(hv, hp, 0, k, true)
			} else if v != v {
				s.nans = append(s.nans, int32(i))
			}
		}
	} else {
		for ; i < len(row); i++ {
			if v := row[i]; v < hv[0] {
				if left--; left < 0 {
					return false
				}
				hv[0], hp[0] = v, int32(i)
				heapDown(hv, hp, 0, k, false)
			} else if v != v {
				s.nans = append(s.nans, int32(i))
			}
		}
	}
	for end := len(hv) - 1; end > 0; end-- {
		hv[0], hv[end], hp[0], hp[end] = hv[end], hv[0], hp[end], hp[0]
		heapDown(hv, hp, 0, end, descending)
	}
	emit(out, hp, s.nans, descending)
	return true
}

// after reports whether pair i comes after pair j in the sorted order
// (ascending, or descending): the heap keeps the latest at its root.
func after[T num](val []T, pos []int32, i, j int, descending bool) bool {
	a, b := val[i], val[j]
	if descending {
		a, b = b, a
	}
	return a > b || a == b && pos[i] > pos[j]
}

// heapUp restores the heap over val[:i+1], pos[:i+1] after pair i was
// appended.
func heapUp[T num](val []T, pos []int32, i int, descending bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !after(val, pos, i, p, descending) {
			return
		}
		val[i], val[p], pos[i], pos[p] = val[p], val[i], pos[p], pos[i]
		i = p
	}
}

// heapDown restores the heap over val[:n], pos[:n] after pair i was
// replaced.
func heapDown[T num](val []T, pos []int32, i, n int, descending bool) {
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && after(val, pos, c+1, c, descending) {
			c++
		}
		if !after(val, pos, c, i, descending) {
			return
		}
		val[i], val[c], pos[i], pos[c] = val[c], val[i], pos[c], pos[i]
		i = c
	}
}
