package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// refReduce reduces a row plainly in float64, except that it sums with
// Neumaier's compensation, so a sum is within an ulp or so of exact.
func refReduce(op device.ReduceOp, row []float64) float64 {
	best, bi, sum, comp := row[0], 0, 0.0, 0.0
	for i, v := range row {
		s := sum + v
		if math.Abs(sum) >= math.Abs(v) {
			comp += (sum - s) + v
		} else {
			comp += (v - s) + sum
		}
		sum = s
		switch op {
		case device.Max, device.ArgMax:
			if v > best || (math.IsNaN(v) && !math.IsNaN(best)) {
				best, bi = v, i
			}
		case device.Min, device.ArgMin:
			if v < best || (math.IsNaN(v) && !math.IsNaN(best)) {
				best, bi = v, i
			}
		}
	}
	if !math.IsInf(sum, 0) && !math.IsNaN(sum) {
		sum += comp // (the compensation is NaN once an infinity is added)
	}
	switch op {
	case device.Sum:
		return sum
	case device.Mean:
		return sum / float64(len(row))
	case device.Max, device.Min:
		return best
	}
	return float64(bi)
}

// sumTol is the relative tolerance, for requireClose, of reduction op over
// row whose exact result is want. A sum's rounding error scales with the
// sum of the magnitudes it adds, not with the result, which cancellation
// can make small (a 2747-element float64 sum of ±[0.1, 2] once came out
// 4e-12 from its reference, relative to the result, and 2e-15 relative to
// the magnitudes); other ops are within tol(dt) of the result.
func sumTol(op device.ReduceOp, dt device.DType, row []float64, want float64) float64 {
	if op != device.Sum && op != device.Mean {
		return tol(dt)
	}
	mag := 0.0
	for _, v := range row {
		mag += math.Abs(v)
	}
	if op == device.Mean {
		mag /= float64(len(row))
	}
	return tol(dt) * (1 + mag) / (1 + math.Abs(want))
}

func TestReduce(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, op := range device.ReduceOps() {
		for _, dt := range allTypes {
			if dt == device.Int32 && op == device.Mean {
				continue
			}
			for _, kind := range viewKinds {
				for _, shape := range shapesFor(kind) {
					for _, nr := range []int{0, 1, len(shape) / 2, len(shape)} {
						if nr > len(shape) || (nr == 1 && len(shape) < 2) {
							continue
						}
						t.Run(fmt.Sprintf("%v/%v/%s/%v/%d", op, dt, kind, shape, nr), func(t *testing.T) {
							src, v, l := view(t, r, dt, shape, kind)
							if r.IntN(3) == 0 { // ties, for ArgMax and ArgMin
								for i := range v {
									v[i] = float64(r.IntN(3))
								}
								src = upload(t, dt, v)
							}
							outer := device.Numel(shape[:len(shape)-nr])
							m := device.Numel(shape[len(shape)-nr:])
							out := dt
							if op == device.ArgMax || op == device.ArgMin {
								out = device.Int32
							}
							dst := alloc(t, out, outer)
							require.NoError(t, shared.Reduce(op, dst, src, l, nr))
							x := elems(v, l)
							got := download(t, dst)
							for o := range outer {
								row := x[o*m : (o+1)*m]
								want := roundTo(out, refReduce(op, row))
								requireClose(t, []float64{want}, got[o:o+1], sumTol(op, dt, row, want), "row", o)
							}
						})
					}
				}
			}
		}
	}
}

func TestReduceSpecialValues(t *testing.T) {
	nan := math.NaN()
	for _, dt := range floatTypes {
		src := upload(t, dt, []float64{1, 3, nan, 3, nan, -1, 2, 2, -1, -1})
		l := device.Layout{Shape: []int{2, 5}, Strides: []int{5, 1}}
		idx := alloc(t, device.Int32, 2)
		val := alloc(t, dt, 2)
		require.NoError(t, shared.Reduce(device.ArgMax, idx, src, l, 1))
		require.Equal(t, []float64{2, 1}, download(t, idx), "the first NaN, then the first of tied maxima")
		require.NoError(t, shared.Reduce(device.ArgMin, idx, src, l, 1))
		require.Equal(t, []float64{2, 0}, download(t, idx))
		require.NoError(t, shared.Reduce(device.Max, val, src, l, 1))
		requireClose(t, []float64{nan, 2}, download(t, val), 0)
	}

	// zero elements per row
	src := upload(t, device.Float32, []float64{1})
	empty := device.Layout{Shape: []int{3, 0}, Strides: []int{0, 1}}
	dst := alloc(t, device.Float32, 3)
	require.NoError(t, shared.Reduce(device.Sum, dst, src, empty, 1))
	require.Equal(t, []float64{0, 0, 0}, download(t, dst))
	require.NoError(t, shared.Reduce(device.Mean, dst, src, empty, 1))
	requireClose(t, []float64{nan, nan, nan}, download(t, dst), 0)
	require.ErrorContains(t, shared.Reduce(device.Max, dst, src, empty, 1), "no elements")
	require.ErrorContains(t, shared.Reduce(device.ArgMin, alloc(t, device.Int32, 3), src, empty, 1), "no elements")
	// zero rows: nothing to do, even for Max
	require.NoError(t, shared.Reduce(device.Max, dst, src, device.Layout{Shape: []int{0, 3}, Strides: []int{3, 1}}, 1))

	// int32 sums wrap; int32 has no Mean
	ib := upload(t, device.Int32, []float64{math.MaxInt32, 1})
	id := alloc(t, device.Int32, 1)
	require.NoError(t, shared.Reduce(device.Sum, id, ib, device.Contiguous([]int{2}), 1))
	require.Equal(t, []float64{math.MinInt32}, download(t, id))
	require.ErrorContains(t, shared.Reduce(device.Mean, id, ib, device.Contiguous([]int{2}), 1), "int32")
	require.ErrorContains(t, shared.Reduce(device.Sum, id, ib, device.Contiguous([]int{2}), 2), "cannot reduce 2 dims")
	require.ErrorContains(t, shared.Reduce(device.ArgMax, dst, src, device.Contiguous([]int{1}), 1), "got a float32 buffer, want int32")
}

// TestReduceLongRows covers rows longer than sumBlock, whose blocks are
// reduced in parallel: the sum must follow the documented block and lane
// order (float64 data shows every bit of it), the row path (contiguous
// rows) and the column path (a transposed view) must agree, and no result
// may depend on GOMAXPROCS.
func TestReduceLongRows(t *testing.T) {
	r := newRand(t)
	const rows, m = 3, 2*sumBlock + 1237
	for _, dt := range floatTypes {
		v := randVals(r, dt, rows*m)
		v[rows*m-5] = 4 // the max, in the last block of the last row
		src := upload(t, dt, v)
		// columns of a transposed view: stride rows along the reduced dim
		lt := device.Layout{Shape: []int{rows, m}, Strides: []int{1, rows}}
		for _, l := range []device.Layout{device.Contiguous([]int{rows, m}), lt} {
			x := elems(v, l)
			var results [][]float64
			for _, procs := range []int{1, 2, 16} {
				old := runtime.GOMAXPROCS(procs)
				var got []float64
				for _, op := range device.ReduceOps() {
					out := dt
					if op == device.ArgMax || op == device.ArgMin {
						out = device.Int32
					}
					dst := alloc(t, out, rows)
					require.NoError(t, shared.Reduce(op, dst, src, l, 1))
					got = append(got, download(t, dst)...)
				}
				runtime.GOMAXPROCS(old)
				results = append(results, got)
			}
			require.Equal(t, results[0], results[1])
			require.Equal(t, results[0], results[2])
			for o := range rows {
				row := x[o*m : (o+1)*m]
				s := 0.0
				for b := 0; b < m; b += sumBlock {
					var lane [sumLanes]float64
					for p := b; p < min(b+sumBlock, m); p++ {
						lane[p%sumLanes] += row[p]
					}
					s += ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]))
				}
				require.Equal(t, roundTo(dt, s), results[0][o], "%v %v row %d: block- and lane-ordered sum", dt, l, o)
				for k, op := range device.ReduceOps()[1:] {
					requireClose(t, []float64{roundTo(dt, refReduce(op, row))}, results[0][(k+1)*rows+o:][:1], 1e-6, op)
				}
			}
		}
	}
}

// TestReduceSumLanes requires the same float sums, bit for bit, from the
// row path over contiguous rows, the row path over runs of 7 (so runs start
// at every lane) and the column path, on rows of 91 and 7 elements, and
// the documented lane order from all three, with every kernel set.
func TestReduceSumLanes(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	t.Cleanup(func() { sumKernels = sumSets[0] })
	const rows, a, b = 300, 13, 7
	for _, set := range sumSets {
		sumKernels = set
		t.Run(set.name, func(t *testing.T) { checkSumLanes(t, r, rows, a, b) })
	}
}

// checkSumLanes is TestReduceSumLanes for one kernel set.
func checkSumLanes(t *testing.T, r *rand.Rand, rows, a, b int) {
	for _, dt := range floatTypes {
		x := randVals(r, dt, rows*a*b) // x[(o*a+i)*b+j]: output o, position i*b+j
		layouts := []device.Layout{
			device.Contiguous([]int{rows, a, b}),
			{Shape: []int{rows, a, b}, Strides: []int{a * (b + 1), b + 1, 1}, Offset: 3},
			{Shape: []int{rows, a, b}, Strides: []int{1, rows * b, rows}},
		}
		for _, nr := range []int{2, 1} {
			m := a * b
			if nr == 1 {
				m = b
			}
			want := make([]float64, rows*a*b/m)
			for o := range want {
				var lane [sumLanes]float64
				for p, v := range x[o*m : (o+1)*m] {
					lane[p%sumLanes] += v
				}
				want[o] = roundTo(dt, laneSum(&lane))
			}
			for k, l := range layouts {
				size := l.Offset + 1
				for d, n := range l.Shape {
					size += (n - 1) * l.Strides[d]
				}
				v := randVals(r, dt, size)
				for o := range rows {
					for i := range a {
						for j := range b {
							v[l.Offset+o*l.Strides[0]+i*l.Strides[1]+j*l.Strides[2]] = x[(o*a+i)*b+j]
						}
					}
				}
				dst := alloc(t, dt, len(want))
				require.NoError(t, shared.Reduce(device.Sum, dst, upload(t, dt, v), l, nr))
				require.Equal(t, want, download(t, dst), "%v layout %d reducing %d dims", dt, k, nr)
			}
		}
	}
}

// TestSumKernels requires every set's kernels to give the portable ones'
// sums bit for bit on every length from 0 to 70, from accumulators that
// already hold values, and to touch no accumulator past len(x).
func TestSumKernels(t *testing.T) {
	r := newRand(t)
	for _, set := range sumSets[:len(sumSets)-1] {
		for n := range 71 {
			x32, x64 := make([]float32, n), make([]float64, n)
			for i := range x64 {
				x64[i] = r.NormFloat64() * math.Exp2(float64(r.IntN(60)-30))
				x32[i] = float32(x64[i])
			}
			var start [sumLanes]float64
			for i := range start {
				start[i] = r.NormFloat64()
			}
			n8 := n / sumLanes * sumLanes
			want32, got32, want64, got64 := start, start, start, start
			goSum.lanes32(&want32, x32[:n8])
			set.lanes32(&got32, x32[:n8])
			goSum.lanes64(&want64, x64[:n8])
			set.lanes64(&got64, x64[:n8])
			require.Equal(t, want32, got32, "%s lanes32 n=%d", set.name, n8)
			require.Equal(t, want64, got64, "%s lanes64 n=%d", set.name, n8)

			n4 := n &^ 3
			acc := make([]float64, n+4)
			for i := range acc {
				acc[i] = r.NormFloat64()
			}
			w32, g32 := append([]float64(nil), acc...), append([]float64(nil), acc...)
			goSum.vec32(w32, x32[:n4])
			set.vec32(g32, x32[:n4])
			require.Equal(t, w32, g32, "%s vec32 n=%d", set.name, n4)
			w64, g64 := append([]float64(nil), acc...), append([]float64(nil), acc...)
			goSum.vec64(w64, x64[:n4])
			set.vec64(g64, x64[:n4])
			require.Equal(t, w64, g64, "%s vec64 n=%d", set.name, n4)
		}
	}
}

// TestReduceColumnsWidths requires reduceColumns to give the row path's
// results bit for bit for every op whatever its group width, which follows
// GOMAXPROCS: 1100 outputs in one group, or in groups of 367 and 366.
func TestReduceColumnsWidths(t *testing.T) {
	r := newRand(t)
	const m, cols = 37, 1100
	for _, dt := range floatTypes {
		v := randVals(r, dt, m*cols) // [m, cols]: output j's row is column j
		vt := make([]float64, len(v))
		for i := range m {
			for j := range cols {
				vt[j*m+i] = v[i*cols+j]
			}
		}
		src, srcT := upload(t, dt, v), upload(t, dt, vt)
		cl := device.Layout{Shape: []int{cols, m}, Strides: []int{1, cols}}
		for _, op := range device.ReduceOps() {
			out := dt
			if op == device.ArgMax || op == device.ArgMin {
				out = device.Int32
			}
			want := alloc(t, out, cols)
			require.NoError(t, shared.Reduce(op, want, srcT, device.Contiguous([]int{cols, m}), 1))
			for _, procs := range []int{1, 3} {
				old := runtime.GOMAXPROCS(procs)
				got := alloc(t, out, cols)
				err := shared.Reduce(op, got, src, cl, 1)
				runtime.GOMAXPROCS(old)
				require.NoError(t, err)
				require.Equal(t, download(t, want), download(t, got), "%v %v GOMAXPROCS %d", dt, op, procs)
			}
		}
	}
}

// TestColLanesKernels requires every set's cols32 to add a tile to the
// lanes exactly as vecGo does row by row (row r into lane r%sumLanes), bit
// for bit on float64 lanes that already hold values, and to touch no
// lane entry past cols.
func TestColLanesKernels(t *testing.T) {
	r := newRand(t)
	for _, set := range sumSets {
		if set.cols32 == nil {
			continue
		}
		for _, c := range []struct{ rows, cols, width, stride int }{
			{8, 16, 16, 16}, {16, 32, 40, 37}, {64, 48, 64, 100}, {24, 16, 17, 16},
		} {
			x := make([]float32, (c.rows-1)*c.stride+c.cols)
			for i := range x {
				x[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))
			}
			want := make([]float64, sumLanes*c.width)
			for i := range want {
				want[i] = r.NormFloat64()
			}
			got := append([]float64(nil), want...)
			for row := range c.rows {
				vecGo(want[row%sumLanes*c.width:][:c.cols], x[row*c.stride:][:c.cols])
			}
			set.cols32(got, c.width, x, c.stride, c.rows, c.cols)
			require.Equal(t, want, got, "%s cols32 %+v", set.name, c)
		}
	}
}

// TestReduceColumnsLaneOrder sums the columns of a float32 [a, b, C] view
// (permuted so that C is kept and contiguous, and padded so that the
// reduced runs of b positions start at every lane) whose lanes open with
// +2^40 and close with -2^40: any element added to the wrong lane, or
// out of order, changes what the big values absorb, by far more than
// float32's rounding hides. Every kernel set must give the documented lane
// order.
func TestReduceColumnsLaneOrder(t *testing.T) {
	r := newRand(t)
	t.Cleanup(func() { sumKernels = sumSets[0] })
	const a, b, cols = 7, 13, 40
	m := a * b
	x := make([]float64, cols*m) // x[g*m+p]: output g, reduced position p
	for g := range cols {
		for p := range m {
			x[g*m+p] = r.NormFloat64()
		}
		for j := range sumLanes {
			x[g*m+j] = 0x1p40
			x[g*m+j+(m-1-j)/sumLanes*sumLanes] = -0x1p40 // the lane's last
		}
	}
	want := make([]float64, cols)
	for g := range want {
		var lane [sumLanes]float64
		for p, v := range x[g*m : (g+1)*m] {
			lane[p%sumLanes] += float64(float32(v))
		}
		want[g] = roundTo(device.Float32, laneSum(&lane))
	}
	pad := cols + 3
	l := device.Layout{Shape: []int{cols, a, b}, Strides: []int{1, b*pad + 5, pad}, Offset: 2}
	v := make([]float64, 2+(a-1)*l.Strides[1]+(b-1)*pad+cols)
	for g := range cols {
		for i := range a {
			for j := range b {
				v[l.Offset+g+i*l.Strides[1]+j*pad] = x[g*m+i*b+j]
			}
		}
	}
	for _, set := range sumSets {
		sumKernels = set
		dst := alloc(t, device.Float32, cols)
		require.NoError(t, shared.Reduce(device.Sum, dst, upload(t, device.Float32, v), l, 2))
		require.Equal(t, want, download(t, dst), "%s", set.name)
	}
}
