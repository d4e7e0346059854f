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
