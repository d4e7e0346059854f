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

// mmCase is one MatMul: sizes, transposes, batch strides (0 broadcasts;
// -1 means packed), leading dimension padding (-1: ld 0, a broadcast row)
// and an offset.
type mmCase struct {
	batch, m, n, k   int
	ta, tb           bool
	aStride, bStride int
	aPad, bPad       int
	off              int
}

// operandLayout returns the leading dimension, batch stride and buffer
// length of an operand stored rows×cols.
func operandLayout(batch, rows, cols, pad, stride, off int) (ld, bs, n int) {
	ld = cols + pad
	if pad < 0 {
		ld = 0
	}
	size := (rows-1)*ld + cols
	bs = stride
	if stride < 0 {
		bs = max(size, 1)
	}
	return ld, bs, off + (batch-1)*bs + size
}

func TestMatMul(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	var cases []mmCase
	for _, sz := range [][3]int{{1, 1, 1}, {7, 13, 5}, {31, 1, 17}, {1, 29, 3}, {13, 7, 1}, {130, 70, 67}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				if sz[0] > 64 { // big enough to split into rectangles of C: once
					cases = append(cases, mmCase{2, sz[0], sz[1], sz[2], ta, tb, -1, 0, 1, 0, 3})
					continue
				}
				cases = append(cases,
					mmCase{1, sz[0], sz[1], sz[2], ta, tb, -1, -1, 0, 0, 0},
					mmCase{3, sz[0], sz[1], sz[2], ta, tb, -1, -1, 2, 1, 5},
					mmCase{4, sz[0], sz[1], sz[2], ta, tb, 0, -1, 0, 3, 1}, // A broadcast
					mmCase{2, sz[0], sz[1], sz[2], ta, tb, -1, 0, 1, 0, 0}, // B broadcast
				)
			}
		}
	}
	cases = append(cases,
		mmCase{2, 5, 4, 3, false, false, -1, -1, -1, 0, 0}, // A rows broadcast (ld 0)
		mmCase{2, 5, 4, 3, true, true, -1, -1, 0, -1, 2},   // B columns broadcast (ld 0)
		mmCase{40, 9, 11, 8, false, true, -1, -1, 0, 0, 0}, // many small: batch-parallel
		// A broadcast over a batch shared out whole, several products a
		// goroutine, with two K slices and two blocks of rows: A packed
		// once for the goroutine's products (packAll).
		mmCase{9, 200, 20, 300, false, false, 0, -1, 0, 0, 0},
		mmCase{9, 200, 20, 300, true, false, 0, -1, 1, 0, 2},
		mmCase{3, 4, 5, 0, false, false, -1, -1, 0, 0, 0}, // K == 0: zeros
		mmCase{2, 0, 5, 3, false, false, -1, -1, 0, 0, 0}, // M == 0
		mmCase{2, 5, 0, 3, true, false, -1, -1, 0, 0, 0},  // N == 0
		mmCase{0, 5, 4, 3, false, false, -1, -1, 0, 0, 0}, // Batch == 0
	)
	for _, dt := range floatTypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%+v", dt, c), func(t *testing.T) {
				testMatMul(t, r, dt, c)
			})
		}
	}
}

func testMatMul(t *testing.T, r *rand.Rand, dt device.DType, c mmCase) {
	ar, ac := stored(c.m, c.k, c.ta)
	br, bc := stored(c.k, c.n, c.tb)
	lda, as, na := operandLayout(max(c.batch, 1), ar, ac, c.aPad, c.aStride, c.off)
	ldb, bs, nb := operandLayout(max(c.batch, 1), br, bc, c.bPad, c.bStride, 2*c.off)
	av := randVals(r, dt, max(na, 1))
	bv := randVals(r, dt, max(nb, 1))
	A, B := upload(t, dt, av), upload(t, dt, bv)
	C := alloc(t, dt, c.batch*c.m*c.n)
	args := device.MatMulArgs{Batch: c.batch, M: c.m, N: c.n, K: c.k,
		A: A, AOffset: c.off, AStride: as, LDA: lda, TransA: c.ta,
		B: B, BOffset: 2 * c.off, BStride: bs, LDB: ldb, TransB: c.tb, C: C}
	require.NoError(t, shared.MatMul(args))
	at := func(v []float64, off, ld int, trans bool, i, j int) float64 {
		if trans {
			return v[off+j*ld+i]
		}
		return v[off+i*ld+j]
	}
	got := download(t, C)
	for b := range c.batch {
		for i := range c.m {
			for j := range c.n {
				want, scale := 0.0, 1.0
				for k := range c.k {
					p := at(av, c.off+b*as, lda, c.ta, i, k) * at(bv, 2*c.off+b*bs, ldb, c.tb, k, j)
					want += p
					scale += math.Abs(p)
				}
				if g := got[(b*c.m+i)*c.n+j]; math.Abs(g-want) > 4*tol(dt)*scale {
					require.Failf(t, "MatMul", "C[%d][%d][%d] = %v, want %v", b, i, j, g, want)
				}
			}
		}
	}
}

func TestMatMulErrors(t *testing.T) {
	a := upload(t, device.Float32, []float64{1, 2, 3, 4})
	i := upload(t, device.Int32, []float64{1, 2, 3, 4})
	args := device.MatMulArgs{Batch: 1, M: 2, N: 2, K: 2, A: a, LDA: 2, B: a, LDB: 2, C: alloc(t, device.Float32, 4)}
	require.NoError(t, shared.MatMul(args))
	bad := args
	bad.B = i
	require.ErrorContains(t, shared.MatMul(bad), "int32")
	bad = args
	bad.LDA = 3
	require.ErrorContains(t, shared.MatMul(bad), "needs 5 elements")
	ints := device.MatMulArgs{Batch: 1, M: 2, N: 2, K: 2, A: i, LDA: 2, B: i, LDB: 2, C: alloc(t, device.Int32, 4)}
	require.ErrorContains(t, shared.MatMul(ints), "not supported for int32")
}

// TestMatMulBatchSplitDeterministic requires bit-identical conv-shaped
// batched products (a broadcast A, as a convolution's weights over its
// images; and a transposed B, as its weight gradient) at GOMAXPROCS 1, 2
// and 16: with at least two products per goroutine MatMul splits the
// batch, with fewer it splits each product, and at 1 it splits nothing.
func TestMatMulBatchSplitDeterministic(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	cases := []gemmCase{
		{batch: 40, m: 19, n: 45, k: 27, aStride: 0, bStride: -1},
		{batch: 5, m: 33, n: 29, k: 300, tb: true, aStride: -1, bStride: -1},
		{batch: 36, m: 8, n: 9, k: 50, tb: true, aStride: -1, bStride: -1, off: 3},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, c := range cases {
		seed := r.Uint64()
		run := func() []float32 {
			_, _, _, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), gemmKernels32[0], c)
			return got
		}
		runtime.GOMAXPROCS(1)
		want := run()
		for _, procs := range []int{2, 16} {
			runtime.GOMAXPROCS(procs)
			require.Equal(t, want, run(), "%+v GOMAXPROCS %d", c, procs)
		}
	}
}
