package cpu

// sumLanes is how many independent float64 accumulators a block's float
// sum keeps: element p of the row goes to lane p%sumLanes, each lane sums
// its elements in order, and the lanes are added pairwise at the end of
// the block (laneSum). A single chain would wait out the latency of every
// add; eight keep the adders busy, and the order is still fixed by the
// row's length alone, so the row and column paths, and every kernel
// variant, agree bit for bit.
const sumLanes = 8

// laneSum adds the lanes of one block in a fixed tree.
func laneSum(a *[sumLanes]float64) float64 {
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

// sumSet is one implementation of the float sum kernels. lanes32 and
// lanes64 add x[i] to acc[i%sumLanes] for every i, in order within each
// lane, for len(x) a multiple of sumLanes (lanesGo is the reference loop);
// vec32 and vec64 add x[i] to acc[i] for every i < len(x), len(acc) >=
// len(x) (vecGo). cols32, where a set has it (nil otherwise), adds a
// tile of rows float32 rows (row r at x[r*stride:], rows a multiple of
// sumLanes) to the lanes of the column path: row r's element c to
// lanes[(r%sumLanes)*width+c], for c < cols, a multiple of 16, in row
// order within each lane; it is what addColumns does with vec32 one row
// at a time, with the lanes kept in registers down the tile.
type sumSet struct {
	name    string
	lanes32 func(acc *[sumLanes]float64, x []float32)
	lanes64 func(acc *[sumLanes]float64, x []float64)
	vec32   func(acc []float64, x []float32)
	vec64   func(acc []float64, x []float64)
	cols32  func(lanes []float64, width int, x []float32, stride, rows, cols int)
}

// goSum is the portable set, last in sumSets.
var goSum = sumSet{name: "go", lanes32: lanesGo[float32], lanes64: lanesGo[float64], vec32: vecGo[float32], vec64: vecGo[float64]}

// sumKernels is the set Reduce runs: the fastest this machine has. Tests
// swap in the others.
var sumKernels = sumSets[0]

// lanesGo keeps the eight lanes in registers, so that the adds of one
// step are independent.
func lanesGo[T float](acc *[sumLanes]float64, x []T) {
	s0, s1, s2, s3, s4, s5, s6, s7 := acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]
	for i := 0; i+sumLanes <= len(x); i += sumLanes {
		v := x[i : i+sumLanes : i+sumLanes]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
		s4 += float64(v[4])
		s5 += float64(v[5])
		s6 += float64(v[6])
		s7 += float64(v[7])
	}
	acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7] = s0, s1, s2, s3, s4, s5, s6, s7
}

// vecGo is the portable elementwise accumulation.
func vecGo[T float](acc []float64, x []T) {
	acc = acc[:len(x)]
	for i, v := range x {
		acc[i] += float64(v)
	}
}

// addLanes adds x[i], the element at position pos+i of its row, to lane
// (pos+i)%sumLanes of acc, in order within each lane: a scalar head up to
// the next multiple of sumLanes, the whole groups of sumLanes through
// sumKernels, then a scalar tail. T is never int32 (int sums are exact and
// take another path); it is num so that fold can call it.
func addLanes[T num](acc *[sumLanes]float64, x []T, pos int) {
	i := 0
	for ; i < len(x) && (pos+i)%sumLanes != 0; i++ {
		acc[(pos+i)%sumLanes] += float64(x[i])
	}
	n := i + (len(x)-i)/sumLanes*sumLanes
	switch xs := any(x[i:n]).(type) {
	case []float32:
		sumKernels.lanes32(acc, xs)
	case []float64:
		sumKernels.lanes64(acc, xs)
	default:
		for j, v := range x[i:n] {
			acc[j%sumLanes] += float64(v)
		}
	}
	for j := 0; n+j < len(x); j++ {
		acc[j] += float64(x[n+j])
	}
}

// vecKernel returns sumKernels' vec32 or vec64 for T, through vecAdd so
// that it takes any length, or nil for int32.
func vecKernel[T num]() func(acc []float64, x []T) {
	var k func(acc []float64, x []T)
	switch f := any(sumKernels.vec32).(type) {
	case func([]float64, []T):
		k = f
	}
	if f, ok := any(sumKernels.vec64).(func([]float64, []T)); ok {
		k = f
	}
	if k == nil {
		return nil
	}
	return func(acc []float64, x []T) { vecAdd(k, acc, x) }
}

// vecAdd adds x[i] to acc[i] for every i < len(x): the multiples of 4
// through k, the rest here.
func vecAdd[T num](k func(acc []float64, x []T), acc []float64, x []T) {
	acc = acc[:len(x)]
	n := len(x) &^ 3
	k(acc, x[:n])
	for i := n; i < len(x); i++ {
		acc[i] += float64(x[i])
	}
}

// colTile is the most rows addColumns hands cols32 at once: the tile's
// rows, 64 of at most colGroupMax floats, stay in L2 while cols32 walks
// them strip by strip.
const colTile = 64

// addColumns adds rows [i, end) of a run of the column path to the float
// sums' lanes: row k is src[off+k*s:][:n], at reduced position pos+k, and
// goes to lane (pos+k)%sumLanes of each of its n outputs (lane j of
// output g at lanes[j*width+g]). vec does a row at a time; for float32
// with a forward stride the lane-aligned whole tiles go through
// sumKernels.cols32 where the set has it. The sums are the same either
// way: each lane still adds its rows in order.
func addColumns[T num](vec func(acc []float64, x []T), lanes []float64, width, n int, src []T, off, s, pos, i, end int) {
	row := func(k, c0 int) {
		vec(lanes[(pos+k)%sumLanes*width+c0:][:n-c0], src[off+k*s+c0:][:n-c0])
	}
	xs, ok := any(src).([]float32)
	if k := sumKernels.cols32; ok && k != nil && s > 0 && n >= 16 {
		for ; i < end && (pos+i)%sumLanes != 0; i++ {
			row(i, 0)
		}
		n16 := n &^ 15
		for end-i >= sumLanes {
			t := min(colTile, (end-i)&^(sumLanes-1))
			k(lanes, width, xs[off+i*s:off+(i+t-1)*s+n16], s, t, n16)
			if n16 < n {
				for r := i; r < i+t; r++ {
					row(r, n16)
				}
			}
			i += t
		}
	}
	for ; i < end; i++ {
		row(i, 0)
	}
}
