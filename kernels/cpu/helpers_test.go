package cpu

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

var seedFlag = flag.Uint64("seed", 0, "replay a test with this random seed (0: seed from the clock)")

// newRand returns a test's random source, seeded from the clock unless
// -seed is given, and logs the seed so a failure can be replayed.
func newRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// splitSmall makes parallelFor split even tiny inputs four ways for the
// rest of the test, so that every test shape runs the parallel paths
// (chunk seams, walkers seeking mid-shape) under -race.
func splitSmall(t testing.TB) {
	old, procs := grain, runtime.GOMAXPROCS(4)
	grain = 1
	t.Cleanup(func() {
		grain = old
		runtime.GOMAXPROCS(procs)
	})
}

// dtypes lists the element types in the order tests use them.
var (
	floatTypes = []device.DType{device.Float32, device.Float64}
	allTypes   = []device.DType{device.Float32, device.Float64, device.Int32}
	halfTypes  = []device.DType{device.BFloat16, device.Float16}
	// storeTypes are every dtype a buffer holds: the memory ops' tests.
	storeTypes = append(append([]device.DType(nil), allTypes...), halfTypes...)
)

// randVals returns n values in ±[0.1, 2) for floats, or nonzero integers
// in [-9, 9] for Int32: never zero, so a kernel that writes nothing fails.
func randVals(r *rand.Rand, dt device.DType, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		if dt == device.Int32 {
			v[i] = float64(r.IntN(9) + 1)
		} else {
			v[i] = 0.1 + 1.9*r.Float64()
		}
		if r.IntN(2) == 0 {
			v[i] = -v[i]
		}
	}
	return round(dt, v)
}

// round returns v as stored in dt (so references see the same inputs).
func round(dt device.DType, v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		switch dt {
		case device.Float32:
			out[i] = float64(float32(x))
		case device.Int32:
			out[i] = float64(int32(x))
		case device.BFloat16:
			out[i] = float64(device.BF16FromFloat32(float32(x)).Float32())
		case device.Float16:
			out[i] = float64(device.F16FromFloat32(float32(x)).Float32())
		default:
			out[i] = x
		}
	}
	return out
}

// float32s returns v rounded to float32.
func float32s(v []float64) []float32 {
	h := make([]float32, len(v))
	for i, x := range v {
		h[i] = float32(x)
	}
	return h
}

// upload allocates a buffer of dt holding v.
func upload(t testing.TB, dt device.DType, v []float64) *Buffer {
	t.Helper()
	b, err := shared.Alloc(dt, len(v))
	require.NoError(t, err)
	var host any
	switch dt {
	case device.Float32:
		host = float32s(v)
	case device.Float64:
		host = append([]float64(nil), v...)
	case device.BFloat16:
		host = device.BF16s(float32s(v))
	case device.Float16:
		host = device.F16s(float32s(v))
	default:
		h := make([]int32, len(v))
		for i, x := range v {
			h[i] = int32(x)
		}
		host = h
	}
	require.NoError(t, shared.Write(b, host))
	t.Cleanup(func() { shared.Free(b) })
	return b.(*Buffer)
}

// alloc allocates a buffer of n elements of dt filled with garbage, so a
// kernel that skips an element fails.
func alloc(t testing.TB, dt device.DType, n int) *Buffer {
	t.Helper()
	v := make([]float64, n)
	for i := range v {
		v[i] = 12345
	}
	return upload(t, dt, v)
}

// download reads b as float64s.
func download(t testing.TB, b device.Buffer) []float64 {
	t.Helper()
	out := make([]float64, b.Len())
	switch b.DType() {
	case device.Float32:
		h := make([]float32, b.Len())
		require.NoError(t, shared.Read(h, b))
		for i, x := range h {
			out[i] = float64(x)
		}
	case device.Float64:
		require.NoError(t, shared.Read(out, b))
	case device.BFloat16:
		h := make([]device.BF16, b.Len())
		require.NoError(t, shared.Read(h, b))
		for i, x := range h {
			out[i] = float64(x.Float32())
		}
	case device.Float16:
		h := make([]device.F16, b.Len())
		require.NoError(t, shared.Read(h, b))
		for i, x := range h {
			out[i] = float64(x.Float32())
		}
	default:
		h := make([]int32, b.Len())
		require.NoError(t, shared.Read(h, b))
		for i, x := range h {
			out[i] = float64(x)
		}
	}
	return out
}

// tol is the relative tolerance of results in dt against float64
// references.
func tol(dt device.DType) float64 {
	switch dt {
	case device.Float32:
		return 2e-6
	case device.BFloat16:
		return 1.0 / (1 << 8) // the unit roundoff of an 8-bit significand
	case device.Float16:
		return 1.0 / (1 << 11)
	}
	return 1e-12
}

// requireClose checks got against want elementwise within relative
// tolerance rel (NaN matches NaN, infinities must match exactly).
func requireClose(t testing.TB, want, got []float64, rel float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i, w := range want {
		if !closeTo(w, got[i], rel) {
			require.Failf(t, "values differ", "element %d of %d: want %v, got %v (relative tolerance %g) %v",
				i, len(want), w, got[i], rel, fmt.Sprint(msgAndArgs...))
		}
	}
}

// closeTo reports whether g is within relative tolerance rel of w.
func closeTo(w, g, rel float64) bool {
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return w == g
	}
	return math.Abs(w-g) <= rel*(1+math.Abs(w))
}

// viewKinds are the layouts every strided op is tested on.
var viewKinds = []string{"contiguous", "transposed", "sliced", "broadcast", "mixed"}

// randomLayout returns a layout of shape of the given kind and the buffer
// length it needs: transposed permutes the storage order, sliced pads each
// dim and starts at an offset, broadcast gives some dims stride 0, and
// mixed does all three at random.
func randomLayout(r *rand.Rand, shape []int, kind string) (device.Layout, int) {
	rank := len(shape)
	ext := append([]int(nil), shape...)
	bcast := make([]bool, rank)
	perm := make([]int, rank)
	for d := range perm {
		perm[d] = d
	}
	mixed := kind == "mixed"
	for d := range rank {
		if kind == "sliced" || (mixed && r.IntN(2) == 0) {
			ext[d] += 1 + r.IntN(3)
		}
		if (kind == "broadcast" && (d%2 == 0 || rank == 1)) || (mixed && r.IntN(3) == 0) {
			bcast[d] = true
		}
	}
	if kind == "transposed" || mixed {
		for i := rank - 1; i > 0; i-- {
			j := r.IntN(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		if kind == "transposed" && rank >= 2 {
			perm[0], perm[rank-1] = perm[rank-1], perm[0]
		}
	}
	st := make([]int, rank)
	acc := 1
	for i := rank - 1; i >= 0; i-- {
		if d := perm[i]; !bcast[d] {
			st[d] = acc
			acc *= ext[d]
		}
	}
	off := 0
	if kind == "sliced" || mixed {
		off = r.IntN(4)
		for d := range rank {
			off += r.IntN(ext[d]-shape[d]+1) * st[d]
		}
		acc += 3
	}
	return device.Layout{Shape: shape, Strides: st, Offset: off}, acc + off
}

// view uploads random values for a layout of shape of the given kind and
// returns the buffer, its host values and the layout.
func view(t testing.TB, r *rand.Rand, dt device.DType, shape []int, kind string) (*Buffer, []float64, device.Layout) {
	l, n := randomLayout(r, shape, kind)
	v := randVals(r, dt, n)
	return upload(t, dt, v), v, l
}

// elems returns the elements of host values v that l addresses, in
// row-major order, by the reference device.Layout.Index.
func elems(v []float64, l device.Layout) []float64 {
	out := make([]float64, l.Size())
	for i := range out {
		out[i] = v[l.Index(i)]
	}
	return out
}

// testShapes are shapes every strided op is tested on: rank 0, size-1
// dims, odd sizes, rank MaxRank, and bigShape, several chunks long, which
// shapesFor keeps to two layout kinds to save time.
var (
	testShapes = [][]int{{}, {1}, {7}, {3, 1, 5}, {4, 6}, {2, 3, 4, 5}, {1, 2, 1, 3, 1, 2, 1, 2}, bigShape}
	bigShape   = []int{41, 67}
)

// shapesFor returns the test shapes for a layout kind.
func shapesFor(kind string) [][]int {
	if kind == "contiguous" || kind == "mixed" {
		return testShapes
	}
	return testShapes[:len(testShapes)-1]
}
