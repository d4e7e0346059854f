package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
)

// plainBackend hides a backend's optional kernels (device.Sorter,
// device.Scanner): only Backend's methods are promoted.
type plainBackend struct{ device.Backend }

// composed returns a view of t on the same buffer whose ops see a backend
// without optional kernels, so they take the composition.
func composed(t *Tensor) *Tensor {
	u := *t
	u.st = &storage{buf: t.st.buf, be: plainBackend{t.st.be}, id: storageIDs.Add(1)}
	return &u
}

// paths are the two ways Sort and Cumsum run: the backend's kernel and
// the composition of Backend ops.
var paths = []struct {
	name string
	of   func(*Tensor) *Tensor
}{{"kernel", func(t *Tensor) *Tensor { return t }}, {"composed", composed}}

func newTestRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 1))
}

// sortData returns shape's worth of values in dt: a few distinct values
// (ties), signed zeros, and for floats NaN and ±Inf.
func sortData(r *rand.Rand, dt device.DType, shape ...int) *Tensor {
	n, _ := device.CheckedNumel(shape)
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Round(r.NormFloat64()*40) / 8
		switch u := r.IntN(12); {
		case u < 3:
			v[i] = float64(r.IntN(3) - 1)
		case u == 3 && dt.IsFloat():
			v[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}[r.IntN(4)]
		}
	}
	x := NewOn(device.CPUDevice, v, shape...)
	if dt == device.Int32 {
		return x.MulScalar(8).Cast(dt)
	}
	return x.Cast(dt)
}

// refSortAxis sorts x (read as float64) along axis with sort.SliceStable,
// NaN above every number, and returns the values and positions of the
// first k of each row, in x's layout.
func refSortAxis(x *Tensor, axis, k int, descending bool) (vals []float64, idx []int32) {
	shape := x.Shape()
	outer, n, inner := blocks(shape, axis)
	v := x.Float64s()
	vals, idx = make([]float64, outer*k*inner), make([]int32, outer*k*inner)
	for o := range outer {
		for in := range inner {
			at := func(i int) float64 { return v[(o*n+i)*inner+in] }
			p := make([]int, n)
			for i := range p {
				p[i] = i
			}
			sort.SliceStable(p, func(i, j int) bool {
				a, b := at(p[i]), at(p[j])
				an, bn := math.IsNaN(a), math.IsNaN(b)
				if descending {
					return a > b || an && !bn
				}
				return a < b || !an && bn
			})
			for j := range k {
				vals[(o*k+j)*inner+in], idx[(o*k+j)*inner+in] = at(p[j]), int32(p[j])
			}
		}
	}
	return vals, idx
}

// requireSameBits checks values exactly: the same bits, or both NaN.
func requireSameBits(t *testing.T, want, got []float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		if math.Float64bits(w) != math.Float64bits(got[i]) && !(math.IsNaN(w) && math.IsNaN(got[i])) {
			require.Failf(t, "values differ", "%s: element %d: want %v, got %v", msg, i, w, got[i])
		}
	}
}

// TestSortAndTopK checks Sort, ArgSort and TopK against sort.SliceStable
// in float64 on every dtype, along the last and an inner axis (which the
// tensor layer moves last), on rows of 1 to 10000, on both paths: the
// CPU's kernel and the composition a backend without one gets (rows up to
// 129: it is O(n²)).
func TestSortAndTopK(t *testing.T) {
	r := newTestRand(t)
	dtypes := []device.DType{device.Float32, device.Float64, device.Int32, device.BFloat16, device.Float16}
	for _, p := range paths {
		for _, dt := range dtypes {
			for _, n := range []int{1, 7, 129, 10000} {
				if p.name == "composed" && n > 129 {
					continue
				}
				for _, axis := range []int{-1, 1} {
					t.Run(fmt.Sprintf("%s/%v/n=%d/axis=%d", p.name, dt, n, axis), func(t *testing.T) {
						shape := []int{2, 3, n}
						if axis == 1 {
							shape = []int{2, n, 3}
						}
						x := sortData(r, dt, shape...)
						ax := x.axis("test", axis)
						for _, desc := range []bool{false, true} {
							vals, idx := p.of(x).Sort(axis, desc)
							wv, wi := refSortAxis(x, ax, n, desc)
							require.Equal(t, dt, vals.DType())
							require.Equal(t, shape, vals.Shape())
							require.Equal(t, wi, idx.Int32s(), "Sort positions, descending %v", desc)
							requireSameBits(t, wv, vals.Float64s(), fmt.Sprintf("Sort values, descending %v", desc))
							require.Equal(t, wi, p.of(x).ArgSort(axis, desc).Int32s(), "ArgSort")

							k := (n + 1) / 2
							vals, idx = p.of(x).TopK(k, axis, desc)
							wv, wi = refSortAxis(x, ax, k, desc)
							require.Equal(t, wi, idx.Int32s(), "TopK %d positions, largest %v", k, desc)
							requireSameBits(t, wv, vals.Float64s(), "TopK values")
						}
					})
				}
			}
		}
	}
}

// TestSortEdges checks rank 0, empty rows, k = 0 and a bad k.
func TestSortEdges(t *testing.T) {
	for _, p := range paths {
		s := p.of(NewOn(device.CPUDevice, []float32{2.5}, []int{}...))
		v, i := s.Sort(0, false)
		require.Equal(t, []int{}, v.Shape(), p.name)
		require.Equal(t, []float32{2.5}, v.Float32s())
		require.Equal(t, []int32{0}, i.Int32s())
		v, i = p.of(Zeros(device.CPUDevice, device.Float32, 3, 0)).Sort(1, true)
		require.Equal(t, []int{3, 0}, v.Shape())
		require.Equal(t, []int{3, 0}, i.Shape())
		v, _ = p.of(Ones(device.CPUDevice, device.Float32, 2, 4)).TopK(0, 1, true)
		require.Equal(t, []int{2, 0}, v.Shape())
		err := Try(func() { p.of(Ones(device.CPUDevice, device.Float32, 2, 4)).TopK(5, 1, true) })
		require.ErrorContains(t, err, "k = 5 outside [0, 4]")
		require.ErrorContains(t, Try(func() { s.Cumsum(1) }), "axis 1 out of range for rank 0")
	}
}

// TestCumsum checks Cumsum against a float64 running sum on every dtype,
// along the last and an inner axis, rows of 1 to 10000, on both paths.
// The kernel adds in order (Float32 in float64), the composition in log₂ n
// shifted adds (half in float32), so they agree within the rounding of
// the partial sums: the bound is relative to Σ|x| so far.
func TestCumsum(t *testing.T) {
	r := newTestRand(t)
	eps := map[device.DType]float64{device.Float32: 1e-6, device.Float64: 1e-13, device.BFloat16: 1.0 / 128, device.Float16: 1.0 / 1024}
	for _, p := range paths {
		for _, dt := range []device.DType{device.Float32, device.Float64, device.Int32, device.BFloat16, device.Float16} {
			for _, n := range []int{1, 7, 129, 10000} {
				for _, axis := range []int{-1, 1} {
					t.Run(fmt.Sprintf("%s/%v/n=%d/axis=%d", p.name, dt, n, axis), func(t *testing.T) {
						shape := []int{2, 3, n}
						if axis == 1 {
							shape = []int{2, n, 3}
						}
						v := make([]float64, 6*n)
						for i := range v {
							v[i] = r.Float64()*4 - 2
						}
						x := NewOn(device.CPUDevice, v, shape...)
						if dt == device.Int32 {
							x = x.MulScalar(50)
						}
						x = x.Cast(dt)
						got := p.of(x).Cumsum(axis)
						require.Equal(t, dt, got.DType())
						require.Equal(t, shape, got.Shape())
						outer, _, inner := blocks(shape, x.axis("test", axis))
						xv, gv := x.Float64s(), got.Float64s()
						for o := range outer {
							for in := range inner {
								var s, mag float64
								for j := range n {
									at := (o*n+j)*inner + in
									s, mag = s+xv[at], mag+math.Abs(xv[at])
									if dt == device.Int32 {
										require.Equal(t, s, gv[at], "element %d", at)
									} else {
										require.InDelta(t, s, gv[at], eps[dt]*mag, "element %d", at)
									}
								}
							}
						}
					})
				}
			}
		}
	}
}

// BenchmarkSortRow sorts one Float32 row of n on the CPU, by the kernel
// and by the composition a backend without a Sorter gets. The
// composition needs n² elements per temporary: at n = 100000 that is
// 40 GB, which the CPU's allocator refuses (the benchmark says so).
func BenchmarkSortRow(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range paths {
		for _, n := range []int{1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/n=%d", p.name, n), func(b *testing.B) {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(r.NormFloat64())
				}
				x := p.of(New(v, 1, n))
				if err := Try(func() { x.Sort(-1, false) }); err != nil {
					b.Skipf("%v", err)
				}
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					x.Sort(-1, false)
				}
			})
		}
	}
}
