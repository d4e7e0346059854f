package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// refSortOrder returns the positions that sort row stably as torch.sort
// (NaN above every number), with sort.SliceStable in float64.
func refSortOrder(row []float64, descending bool) []int {
	p := make([]int, len(row))
	for i := range p {
		p[i] = i
	}
	sort.SliceStable(p, func(i, j int) bool {
		a, b := row[p[i]], row[p[j]]
		an, bn := math.IsNaN(a), math.IsNaN(b)
		if descending {
			return a > b || an && !bn
		}
		return a < b || !an && bn
	})
	return p
}

// sortInput returns n values of dt with many ties (a few distinct
// values), signed zeros, and for floats NaNs and infinities; Int32 rows
// include its extremes, which a descending sort must not overflow on.
func sortInput(r *rand.Rand, dt device.DType, n int) []float64 {
	x := randVals(r, dt, n)
	for i := range x {
		switch u := r.IntN(10); {
		case u < 3:
			x[i] = float64(r.IntN(3) - 1) // ties, with 0
		case u == 3 && dt.IsFloat():
			x[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}[r.IntN(4)]
		case u == 3:
			x[i] = []float64{math.MinInt32, math.MaxInt32}[r.IntN(2)]
		}
	}
	return round(dt, x)
}

// sameBits reports whether got is want exactly: the same bits, or both NaN.
func sameBits(want, got float64) bool {
	return math.Float64bits(want) == math.Float64bits(got) || math.IsNaN(want) && math.IsNaN(got)
}

// TestSortRows checks Sort against sort.SliceStable in float64 on rows
// of 1 to 10000, every dtype, both directions, all of a row or its first
// k: the positions must be exactly the stable order and the values the
// input's, bit for bit (signed zeros included).
func TestSortRows(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	shapes := [][3]int{{1, 1, 1}, {3, 7, 7}, {2, 7, 3}, {5, 129, 129}, {3, 129, 1}, {2, 10000, 10000}, {1, 10000, 17}, {0, 5, 5}, {4, 0, 0}, {3, 6, 0}}
	for _, dt := range storeTypes {
		for _, sh := range shapes {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%v/desc=%v", dt, sh, desc), func(t *testing.T) {
					rows, n, k := sh[0], sh[1], sh[2]
					x := sortInput(r, dt, rows*n)
					vals, idx := alloc(t, dt, rows*k), alloc(t, device.Int32, rows*k)
					require.NoError(t, shared.Sort(vals, idx, upload(t, dt, x), rows, n, k, desc))
					gv, gi := download(t, vals), download(t, idx)
					for row := range rows {
						xr := x[row*n : (row+1)*n]
						for j, p := range refSortOrder(xr, desc)[:k] {
							at := row*k + j
							require.Equal(t, float64(p), gi[at], "row %d, sorted position %d", row, j)
							require.True(t, sameBits(xr[p], gv[at]), "row %d, sorted position %d: value %v, want %v", row, j, gv[at], xr[p])
						}
					}
				})
			}
		}
	}
}

// TestSortErrors checks that bad shapes and dtypes are errors.
func TestSortErrors(t *testing.T) {
	src, vals, idx := alloc(t, device.Float32, 6), alloc(t, device.Float32, 6), alloc(t, device.Int32, 6)
	require.ErrorContains(t, shared.Sort(vals, idx, src, 2, 3, 4, false), "first 4")
	require.ErrorContains(t, shared.Sort(vals, idx, src, 2, 4, 4, false), "src needs 8")
	require.ErrorContains(t, shared.Sort(vals, vals, src, 2, 3, 3, false), "want int32")
	require.ErrorContains(t, shared.Sort(idx, idx, src, 2, 3, 3, false), "want float32")
	require.ErrorContains(t, shared.Cumsum(idx, src, 2, 3), "want float32")
	require.ErrorContains(t, shared.Cumsum(src, src, 2, 4), "needs 8")
}

// TestCumsumRows checks Cumsum against a float64 running sum, on rows of
// 1 to 10000 in every dtype: within the rounding of the sums so far
// (halves round each output once; Float32 accumulates in float64, so it
// is the exact sum rounded once), and exactly, wrapping, for Int32.
func TestCumsumRows(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	shapes := [][2]int{{1, 1}, {3, 7}, {5, 129}, {2, 10000}, {0, 3}, {3, 0}}
	for _, dt := range storeTypes {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("%v/%v", dt, sh), func(t *testing.T) {
				rows, n := sh[0], sh[1]
				x := randVals(r, dt, rows*n)
				if dt == device.Int32 && len(x) > 2 {
					x[1] = math.MaxInt32 // wraps
				}
				dst := alloc(t, dt, rows*n)
				require.NoError(t, shared.Cumsum(dst, upload(t, dt, x), rows, n))
				got := download(t, dst)
				for row := range rows {
					var s, mag float64
					var si int32
					for j := row * n; j < (row+1)*n; j++ {
						s, mag, si = s+x[j], mag+math.Abs(x[j]), si+int32(x[j])
						switch dt {
						case device.Int32:
							require.Equal(t, float64(si), got[j], "element %d", j)
						case device.Float32, device.Float64:
							require.Equal(t, roundTo(dt, s), got[j], "element %d", j)
						default: // float32 sums, each rounded to half
							require.InDelta(t, s, got[j], tol(dt)*math.Abs(s)+1e-6*mag, "element %d", j)
						}
					}
				}
			})
		}
	}
}

// TestSortSelect checks the selection path of Sort (a small first k of a
// long row, selects) against sort.SliceStable on the rows
// that stress a heap: already sorted either way (every element enters),
// one value throughout (ties decide everything), mostly NaN (fewer
// numbers than k, or NaNs enough to fill k descending), signed zeros
// only, and random ties; k of 1, 3, exactly n/32, and the largest
// selected.
func TestSortSelect(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	kinds := []struct {
		name string
		row  func(x []float64)
	}{
		{"random", func(x []float64) {}},
		{"ascending", func(x []float64) { sort.Float64s(x) }},
		{"descending", func(x []float64) { sort.Sort(sort.Reverse(sort.Float64Slice(x))) }},
		{"constant", func(x []float64) {
			for i := range x {
				x[i] = 1
			}
		}},
		{"zeros", func(x []float64) {
			for i := range x {
				x[i] = math.Copysign(0, float64(r.IntN(2)*2-1))
			}
		}},
		{"nans", func(x []float64) {
			for i := range x {
				if r.IntN(20) != 0 {
					x[i] = math.NaN()
				}
			}
		}},
	}
	for _, dt := range storeTypes {
		for _, kind := range kinds {
			if kind.name == "nans" && !dt.IsFloat() {
				continue
			}
			for _, nk := range [][2]int{{32, 1}, {100, 3}, {3200, 100}, {32 * selectMax, selectMax}} {
				n, k := nk[0], nk[1]
				require.True(t, selects(n, k), "%d of %d", k, n)
				for _, desc := range []bool{false, true} {
					t.Run(fmt.Sprintf("%v/%s/%dof%d/desc=%v", dt, kind.name, k, n, desc), func(t *testing.T) {
						rows := max(1, 6000/n)
						x := make([]float64, 0, rows*n)
						for range rows {
							row := sortInput(r, dt, n)
							kind.row(row)
							x = append(x, round(dt, row)...)
						}
						vals, idx := alloc(t, dt, rows*k), alloc(t, device.Int32, rows*k)
						require.NoError(t, shared.Sort(vals, idx, upload(t, dt, x), rows, n, k, desc))
						gv, gi := download(t, vals), download(t, idx)
						for row := range rows {
							xr := x[row*n : (row+1)*n]
							for j, p := range refSortOrder(xr, desc)[:k] {
								at := row*k + j
								require.Equal(t, float64(p), gi[at], "row %d, sorted position %d", row, j)
								require.True(t, sameBits(xr[p], gv[at]), "row %d, sorted position %d: value %v, want %v", row, j, gv[at], xr[p])
							}
						}
					})
				}
			}
		}
	}
}

// BenchmarkSortTopK times the first k of rows of n, descending, in
// float32, by selection (k up to n/32) and by the full sort (k of n/16
// and n: the radix sort's cost for any k), where selects draws its line.
func BenchmarkSortTopK(b *testing.B) {
	r := newRand(b)
	for _, n := range []int{1000, 100000} {
		rows := 1000000 / n
		x := upload(b, device.Float32, randVals(r, device.Float32, rows*n))
		for _, k := range []int{1, 10, n / 32, n / 16, n} {
			vals, idx := alloc(b, device.Float32, rows*k), alloc(b, device.Int32, rows*k)
			b.Run(fmt.Sprintf("n=%d/k=%d", n, k), func(b *testing.B) {
				for b.Loop() {
					if err := shared.Sort(vals, idx, x, rows, n, k, true); err != nil {
						b.Fatal(err)
					}
					_ = shared.Sync()
				}
				b.ReportMetric(4*float64(rows*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// TestSelectBudget checks when the selection gives a row up to the sort:
// never for a random row at the largest k and n/32, nor for a heap of 64
// or fewer, whatever the row; always for a heap above 64 on a row sorted
// against it (every element would enter).
func TestSelectBudget(t *testing.T) {
	r := newRand(t)
	const n = 32 * selectMax
	random, ascending := make([]float32, n), make([]float32, n)
	for i := range random {
		random[i], ascending[i] = r.Float32(), float32(i)
	}
	for _, c := range []struct {
		row  []float32
		k    int
		want bool
	}{{random, selectMax, true}, {random, 65, true}, {ascending, 64, true}, {ascending, 65, false}, {ascending, selectMax, false}} {
		s := selector[float32]{val: make([]float32, 0, c.k), pos: make([]int32, 0, c.k)}
		require.Equal(t, c.want, s.selectFirst(make([]int32, c.k), c.row, true), "k = %d", c.k)
	}
}
