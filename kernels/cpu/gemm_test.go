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

// gemmCase is one product for the micro-kernel tests: sizes, transposes,
// leading dimension padding (-1: ld 0, a broadcast row), batch strides
// (0 broadcasts, -1 packed) and an offset.
type gemmCase struct {
	batch, m, n, k   int
	ta, tb           bool
	aPad, bPad       int
	aStride, bStride int
	off              int
}

// gemmCases returns awkward shapes in every layout: single rows and
// columns, primes, and sizes past one block of each kind (the tests shrink
// the blocks with smallBlocks so that these stay cheap).
func gemmCases() []gemmCase {
	var cs []gemmCase
	for i, sz := range [][3]int{{1, 1, 1}, {7, 17, 1}, {1, 33, 7}, {17, 1, 129}, {29, 31, 37}, {129, 67, 61}, {15, 97, 260}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				cs = append(cs,
					gemmCase{1, sz[0], sz[1], sz[2], ta, tb, 0, 0, -1, -1, 0},
					gemmCase{2, sz[0], sz[1], sz[2], ta, tb, 3, 1, -1, 0, 1 + i}, // padded, B broadcast, unaligned
					gemmCase{2, sz[0], sz[1], sz[2], ta, tb, -1, 2, 0, -1, 5},    // A rows or columns broadcast (ld 0)
					gemmCase{1, sz[0], sz[1], sz[2], ta, tb, 1, -1, -1, -1, 3},   // B rows or columns broadcast
				)
			}
		}
	}
	return cs
}

// smallBlocks returns kern with block sizes small enough that the test
// shapes cross several K slices and row and column blocks.
func smallBlocks[T float](kern microKernel[T]) microKernel[T] {
	kern.kc, kern.mc, kern.nc = 32, 2*kern.mr, 3*kern.nr
	return kern
}

// runGEMM runs case c through matmul with kern on random data of T and
// returns the inputs (as float64) and the layout, and the result.
func runGEMM[T float](r *rand.Rand, kern microKernel[T], c gemmCase) (av, bv []float64, a device.MatMulArgs, got []T) {
	dt := device.Float32
	if _, ok := any(T(0)).(float64); ok {
		dt = device.Float64
	}
	ar, ac := stored(c.m, c.k, c.ta)
	br, bc := stored(c.k, c.n, c.tb)
	lda, as, na := operandLayout(c.batch, ar, ac, c.aPad, c.aStride, c.off)
	ldb, bs, nb := operandLayout(c.batch, br, bc, c.bPad, c.bStride, 2*c.off)
	av, bv = randVals(r, dt, na), randVals(r, dt, nb)
	A, B := make([]T, na), make([]T, nb)
	for i, v := range av {
		A[i] = T(v)
	}
	for i, v := range bv {
		B[i] = T(v)
	}
	got = make([]T, c.batch*c.m*c.n)
	for i := range got {
		got[i] = 12345
	}
	a = device.MatMulArgs{Batch: c.batch, M: c.m, N: c.n, K: c.k,
		AOffset: c.off, AStride: as, LDA: lda, TransA: c.ta,
		BOffset: 2 * c.off, BStride: bs, LDB: ldb, TransB: c.tb}
	matmul(kern, a, A, B, got)
	return av, bv, a, got
}

// checkGEMM compares got with the float64 reference. The tolerance is
// the bound on a sum of K products rounded in T, 2*K units of roundoff per
// unit of Σ|a*b|, whatever the order of the sum.
func checkGEMM[T float](t *testing.T, av, bv []float64, a device.MatMulArgs, got []T) {
	t.Helper()
	eps := 0x1p-53
	if _, ok := any(T(0)).(float32); ok {
		eps = 0x1p-24
	}
	eps *= 2 * float64(a.K)
	at := func(v []float64, off, ld int, trans bool, i, j int) float64 {
		if trans {
			return v[off+j*ld+i]
		}
		return v[off+i*ld+j]
	}
	for b := range a.Batch {
		for i := range a.M {
			for j := range a.N {
				want, scale := 0.0, 1.0
				for k := range a.K {
					p := at(av, a.AOffset+b*a.AStride, a.LDA, a.TransA, i, k) * at(bv, a.BOffset+b*a.BStride, a.LDB, a.TransB, k, j)
					want += p
					scale += math.Abs(p)
				}
				if g := float64(got[(b*a.M+i)*a.N+j]); math.Abs(g-want) > eps*scale {
					require.Failf(t, "GEMM", "C[%d][%d][%d] = %v, want %v", b, i, j, g, want)
				}
			}
		}
	}
}

func TestGEMMKernels(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, c := range gemmCases() {
		for _, kern := range gemmKernels32 {
			for _, k := range []microKernel[float32]{kern, smallBlocks(kern)} {
				t.Run(fmt.Sprintf("f32/%s/kc%d/%+v", k.name, k.kc, c), func(t *testing.T) {
					av, bv, a, got := runGEMM(r, k, c)
					checkGEMM(t, av, bv, a, got)
				})
			}
		}
		for _, kern := range gemmKernels64 {
			for _, k := range []microKernel[float64]{kern, smallBlocks(kern)} {
				t.Run(fmt.Sprintf("f64/%s/kc%d/%+v", k.name, k.kc, c), func(t *testing.T) {
					av, bv, a, got := runGEMM(r, k, c)
					checkGEMM(t, av, bv, a, got)
				})
			}
		}
	}
}

// TestGEMMDeterministic requires bit-identical products under several
// GOMAXPROCS, at sizes where the split into goroutines' rectangles differs
// and K spans several slices.
func TestGEMMDeterministic(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	cases := []gemmCase{
		{1, 131, 517, 700, false, true, 0, 0, -1, -1, 1},
		{1, 403, 67, 530, true, false, 0, 0, -1, -1, 0},
		{3, 37, 45, 300, true, true, 1, 0, -1, 0, 2},
	}
	for _, c := range cases {
		seed := r.Uint64()
		run32 := func() []float32 {
			_, _, _, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), gemmKernels32[0], c)
			return got
		}
		run64 := func() []float64 {
			_, _, _, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), gemmKernels64[0], c)
			return got
		}
		runtime.GOMAXPROCS(1)
		want32, want64 := run32(), run64()
		for _, procs := range []int{2, 3, 16} {
			runtime.GOMAXPROCS(procs)
			require.Equal(t, want32, run32(), "%+v GOMAXPROCS %d", c, procs)
			require.Equal(t, want64, run64(), "%+v GOMAXPROCS %d", c, procs)
		}
	}
}

// TestMatMulIEEE checks that products follow IEEE: 0*Inf in a row of A
// makes that row of C NaN.
func TestMatMulIEEE(t *testing.T) {
	for _, dt := range floatTypes {
		A := upload(t, dt, []float64{0, 2, 3, 4})
		B := upload(t, dt, []float64{math.Inf(1), 1, 5, 6})
		C := alloc(t, dt, 4)
		require.NoError(t, shared.MatMul(device.MatMulArgs{Batch: 1, M: 2, N: 2, K: 2, A: A, LDA: 2, B: B, LDB: 2, C: C}))
		got := download(t, C)
		require.True(t, math.IsNaN(got[0]), "%v: 0*Inf + 2*5 = %v, want NaN", dt, got[0])
		require.Equal(t, []float64{3 * math.Inf(1), 3 + 4*6}, got[2:], "%v", dt)
	}
}

// FuzzGEMM runs the fastest float32 and float64 micro-kernels and the
// portable ones on the same random shapes, layouts and data, and holds
// each to the float64 reference within checkGEMM's bound, which is as
// close as two kernels can be made to agree: the assembly ones fuse
// multiply and add, Go's may not.
func FuzzGEMM(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(1), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint16(17), uint16(33), uint16(65), uint8(3), uint8(1), uint8(2), uint64(2))
	f.Add(uint16(29), uint16(70), uint16(300), uint8(1), uint8(255), uint8(1), uint64(3))
	f.Add(uint16(130), uint16(9), uint16(13), uint8(2), uint8(4), uint8(7), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k uint16, trans, pad, off uint8, seed uint64) {
		c := gemmCase{batch: 1, m: int(m%150) + 1, n: int(n%150) + 1, k: int(k%400) + 1,
			ta: trans&1 != 0, tb: trans&2 != 0, aPad: int(pad % 4), bPad: int(pad/4%4) - 1,
			aStride: -1, bStride: -1, off: int(off % 9)}
		small := trans&4 != 0
		for _, pair := range []struct {
			k32 microKernel[float32]
			k64 microKernel[float64]
		}{{gemmKernels32[0], gemmKernels64[0]}, {goKernel32, goKernel64}} {
			if small {
				pair.k32, pair.k64 = smallBlocks(pair.k32), smallBlocks(pair.k64)
			}
			av, bv, a, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), pair.k32, c)
			checkGEMM(t, av, bv, a, got)
			av, bv, a, got64 := runGEMM(rand.New(rand.NewPCG(seed, 1)), pair.k64, c)
			checkGEMM(t, av, bv, a, got64)
		}
	})
}
