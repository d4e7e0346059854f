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
// unit of Σ|a*b| (plus 1), whatever the order of the sum.
func checkGEMM[T float](t *testing.T, av, bv []float64, a device.MatMulArgs, got []T) {
	t.Helper()
	want, bound := refGEMM[T](av, bv, a)
	for i, w := range want {
		if g := float64(got[i]); math.Abs(g-w) > bound[i] {
			require.Failf(t, "GEMM", "C[%d] (batch, row, column %d, %d, %d) = %v, want %v", i, i/(a.M*a.N), i/a.N%a.M, i%a.N, g, w)
		}
	}
}

// refGEMM returns the float64 product of the inputs runGEMM made, and for
// each element of C the error bound checkGEMM allows a kernel in T.
func refGEMM[T float](av, bv []float64, a device.MatMulArgs) (want, bound []float64) {
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
				w, scale := 0.0, 1.0
				for k := range a.K {
					p := at(av, a.AOffset+b*a.AStride, a.LDA, a.TransA, i, k) * at(bv, a.BOffset+b*a.BStride, a.LDB, a.TransB, k, j)
					w += p
					scale += math.Abs(p)
				}
				want, bound = append(want, w), append(bound, eps*scale)
			}
		}
	}
	return want, bound
}

// variants returns every kernel of ks, and again without its shortcuts
// (reading A in place, runA; matrix-vector products, dot and axpy) for
// those that have them, so that both paths are tested.
func variants[T float](ks []microKernel[T]) []microKernel[T] {
	var out []microKernel[T]
	for _, k := range ks {
		out = append(out, k)
		if k.runA != nil || k.dot != nil || k.axpy != nil {
			k.name, k.runA, k.edgesA, k.dot, k.axpy = k.name+"/packed", nil, nil, nil, nil
			out = append(out, k)
		}
	}
	return out
}

// TestGEMV runs the matrix-vector products that kern.dot takes (a single
// column of C from a row-major A, a single row from a column-major B) and
// those kern.axpy takes (the other layouts), with contiguous and strided
// vectors, batches with broadcast operands, sizes around dot's groups of
// four rows and 32 lanes and axpy's 64 and 16 columns, and depths across
// K slices, against the float64 reference; it requires the same bits
// under several GOMAXPROCS, and axpy's to be the packed GEMM's.
func TestGEMV(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	kern := gemmKernels32[0]
	if kern.dot == nil {
		t.Skipf("%s has no dot kernel", kern.name)
	}
	var cases []gemmCase
	for _, mk := range [][2]int{{1, 1}, {3, 5}, {4, 31}, {5, 32}, {7, 33}, {9, 64}, {17, 100}, {256, 784}} {
		m, k := mk[0], mk[1]
		cases = append(cases,
			gemmCase{1, m, 1, k, false, false, 0, 0, -1, -1, 0},        // A·x
			gemmCase{1, m, 1, k, false, false, 2, 3, -1, -1, 1},        // padded A, x strided (B's column)
			gemmCase{3, m, 1, k, false, true, 1, 0, -1, 0, 2},          // a batch, x broadcast
			gemmCase{1, 1, m, k, false, true, 0, 0, -1, -1, 0},         // x·Wᵀ
			gemmCase{2, 1, m, k, true, true, 1, 2, 0, -1, 3},           // A broadcast, its row strided
			gemmCase{1, 1, m, k, false, true, 0, -1, -1, -1, 0},        // Wᵀ with ld 0: every column the same
			gemmCase{1, m, 1, k, true, false, 0, 0, -1, -1, 0},         // Aᵀ·x (axpy)
			gemmCase{2, m, 1, k, true, false, 3, 1, 0, -1, 1},          // padded, A broadcast, x strided
			gemmCase{1, 1, m, k, false, false, 0, 0, -1, -1, 0},        // x·W (axpy)
			gemmCase{3, 1, m, k, true, false, 2, 1, -1, 0, 2},          // x strided, W broadcast
			gemmCase{1, 1, m + 64, 300, false, false, 0, 5, -1, -1, 3}, // past 64 columns, two K slices
		)
	}
	packed := kern
	packed.runA, packed.edgesA, packed.dot, packed.axpy = nil, nil, nil, nil
	for _, c := range cases {
		seed := r.Uint64()
		run := func() []float32 {
			av, bv, a, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), kern, c)
			checkGEMM(t, av, bv, a, got)
			return got
		}
		old := runtime.GOMAXPROCS(1)
		want := run()
		if c.n == 1 && c.ta || c.m == 1 && !c.tb {
			_, _, _, gemm := runGEMM(rand.New(rand.NewPCG(seed, 1)), smallBlocks(packed), c)
			_, _, _, axpy := runGEMM(rand.New(rand.NewPCG(seed, 1)), smallBlocks(kern), c)
			require.Equal(t, gemm, axpy, "%+v: axpy against the packed GEMM, small blocks", c)
			_, _, _, gemm = runGEMM(rand.New(rand.NewPCG(seed, 1)), packed, c)
			require.Equal(t, gemm, want, "%+v: axpy against the packed GEMM", c)
		}
		for _, procs := range []int{2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			require.Equal(t, want, run(), "%+v GOMAXPROCS %d", c, procs)
		}
		runtime.GOMAXPROCS(old)
	}
}

func TestGEMMKernels(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, c := range gemmCases() {
		for _, kern := range variants(gemmKernels32) {
			for _, k := range []microKernel[float32]{kern, smallBlocks(kern)} {
				t.Run(fmt.Sprintf("f32/%s/kc%d/%+v", k.name, k.kc, c), func(t *testing.T) {
					av, bv, a, got := runGEMM(r, k, c)
					checkGEMM(t, av, bv, a, got)
				})
			}
		}
		for _, kern := range variants(gemmKernels64) {
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

// TestGEMMInPlaceA requires a kernel reading A in place to give the bits
// it gives from packed slivers, and to be used where inPlaceA says so: M
// leaving a last sliver of even rows (an edge kernel reads it in place),
// of odd rows (packed), and none; K across several slices; row strides
// that do and do not spread over L1's sets.
func TestGEMMInPlaceA(t *testing.T) {
	r := newRand(t)
	check := func(t *testing.T, kern microKernel[float32], m, n, k, aPad int) {
		if kern.runA == nil {
			t.Skipf("%s reads A packed only", kern.name)
		}
		packed := kern
		packed.runA, packed.edgesA = nil, nil
		c := gemmCase{1, m, n, k, false, false, aPad, 0, -1, -1, 1}
		seed := r.Uint64()
		_, _, _, want := runGEMM(rand.New(rand.NewPCG(seed, 1)), packed, c)
		av, bv, a, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), kern, c)
		checkGEMM(t, av, bv, a, got)
		require.Equal(t, want, got)
	}
	for _, kern := range gemmKernels32 {
		mr := kern.mr
		for _, m := range []int{mr, 3 * mr, 2*mr + 2, 2*mr + 1, mr - 1, 2} {
			for _, k := range []int{1, 5, 300, 784} {
				t.Run(fmt.Sprintf("%s/m%d/k%d", kern.name, m, k), func(t *testing.T) {
					check(t, kern, m, 2*kern.nr+3, k, 0)
					check(t, smallBlocks(kern), m, 2*kern.nr+3, k, 3)
				})
			}
		}
	}
	if k := gemmKernels32[0]; k.runA != nil {
		at := func(lda int) bool { return inPlaceA(k, matView[float32]{rs: lda, cs: 1}, 256) }
		require.True(t, at(784), "the MLP's 784-float rows")
		require.True(t, at(256), "1 KiB rows")
		require.False(t, at(1024), "4 KiB rows share one set")
		require.False(t, at(512), "2 KiB rows: half in one set")
		require.False(t, at(1040), "rows one line apart crowd a few sets")
		require.False(t, inPlaceA(k, matView[float32]{rs: 1, cs: 784}, 256), "column-major A")
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

// FuzzGEMM runs every micro-kernel this build has (each assembly variant
// the CPU supports and the portable one), with the real block sizes or
// smallBlocks, on the same random shapes, transposes, leading dimensions
// (padded or 0), batch strides (packed or 0) and offsets, and holds each
// to the float64 reference within checkGEMM's bound. That is the
// comparison of the assembly kernels with the portable one: the assembly
// fuses multiply and add and Go may not, so the two can differ by twice
// the bound but no closer bound holds for every input.
func FuzzGEMM(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(1), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint16(17), uint16(33), uint16(65), uint8(3), uint8(1), uint8(2), uint64(2))
	f.Add(uint16(29), uint16(70), uint16(300), uint8(1), uint8(255), uint8(1), uint64(3))
	f.Add(uint16(130), uint16(9), uint16(13), uint8(2), uint8(4), uint8(7), uint64(4))
	f.Add(uint16(7), uint16(37), uint16(129), uint8(0x3c), uint8(9), uint8(0x4d), uint64(5))
	f.Add(uint16(2), uint16(15), uint16(2), uint8(0x2a), uint8(0x66), uint8(0x83), uint64(6))
	f.Fuzz(func(t *testing.T, m, n, k uint16, trans, pad, off uint8, seed uint64) {
		c := gemmCase{batch: int(off>>4%3) + 1, m: int(m%150) + 1, n: int(n%150) + 1, k: int(k%400) + 1,
			ta: trans&1 != 0, tb: trans&2 != 0, aPad: int(pad % 4), bPad: int(pad/4%4) - 1,
			aStride: -1, bStride: -1, off: int(off % 9)}
		if trans&8 != 0 {
			c.aStride = 0 // every batch reads the same A
		}
		if trans&16 != 0 {
			c.bStride = 0
		}
		if trans&32 != 0 {
			c.aPad = -1 // A's rows (or columns) all the same
		}
		small := trans&4 != 0
		fuzzKernels(t, variants(gemmKernels32), c, small, seed)
		fuzzKernels(t, variants(gemmKernels64), c, small, seed)
	})
}

// fuzzKernels is FuzzGEMM for one element type and every kernel in ks.
func fuzzKernels[T float](t *testing.T, ks []microKernel[T], c gemmCase, small bool, seed uint64) {
	for _, k := range ks {
		if small {
			k = smallBlocks(k)
		}
		av, bv, a, got := runGEMM(rand.New(rand.NewPCG(seed, 1)), k, c)
		checkGEMM(t, av, bv, a, got)
	}
}

// TestPackSliver checks packSliver against its definition for every layout
// case (lines contiguous, slices contiguous, neither), widths of the
// assembly and Go kernels, line counts up to the width (the rest zero),
// depths on and off a 16-element block, and sources cut to the last
// element read, so that the assembly transpose's 16-line reads must fall
// back where they would run past the end.
func TestPackSliver(t *testing.T) {
	r := newRand(t)
	old := packF32
	t.Cleanup(func() { packF32 = old })
	for _, v := range transposes32 {
		t.Run(v.name, func(t *testing.T) {
			packF32 = v
			testPackSliver[float32](t, r)
			testPackSliver[float64](t, r)
		})
	}
}

func testPackSliver[T float](t *testing.T, r *rand.Rand) {
	for range 400 {
		w := []int{4, 6, 8, 14, 16, 32}[r.IntN(6)]
		n, kb := 1+r.IntN(w), 1+r.IntN(70)
		var ls, ps int
		switch r.IntN(3) {
		case 0: // lines contiguous (a row-major A, a transposed B)
			ls, ps = kb+r.IntN(5), 1
		case 1: // slices contiguous
			ls, ps = 1, n+r.IntN(5)
		default:
			ls, ps = 2+r.IntN(3), (n+1)*3
		}
		off := r.IntN(9)
		size := off + (n-1)*ls + (kb-1)*ps + 1 + r.IntN(2)*(16*ls)
		src := make([]T, size)
		for i := range src {
			src[i] = T(r.NormFloat64())
		}
		d := make([]T, kb*w)
		for i := range d {
			d[i] = T(math.NaN())
		}
		packSliver(d, src, off, ls, ps, n, kb, w)
		for p := range kb {
			for i := range w {
				want := T(0)
				if i < n {
					want = src[off+i*ls+p*ps]
				}
				require.Equal(t, want, d[p*w+i], "%T w %d n %d kb %d ls %d ps %d off %d: element p=%d i=%d", want, w, n, kb, ls, ps, off, p, i)
			}
		}
	}
}

// BenchmarkTransposeLines times the Go packing transpose (what packSliver
// runs without AVX-512, and for the columns past the last 16-block) on
// 784-deep slivers of the micro-kernels' widths.
func BenchmarkTransposeLines(b *testing.B) {
	src := make([]float32, 32*784)
	d := make([]float32, 784*32)
	for _, w := range []int{6, 14, 16, 32} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			for b.Loop() {
				transposeLines(d, src, 0, 784, 0, w, 0, 784, w)
			}
			b.ReportMetric(float64(w*784)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
