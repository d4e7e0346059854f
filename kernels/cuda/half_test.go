package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu" // the float32 reference
)

// The half kernels are checked here against the CPU backend in float32:
// each op runs on cudasim with BFloat16 or Float16 buffers and on the CPU
// with the same (exactly representable) values in float32, and the CPU's
// result rounded to the half must match within a few units in the last
// place. The kernels compute in float32 and round once on store, so most
// ops match to one unit; sums in another order get an absolute
// allowance. Sizes are small: cudasim is an interpreter.

// halves are the half dtypes under test.
var halves = []device.DType{device.BFloat16, device.Float16}

// unit is the spacing of dt's values in [1, 2): 2^-7 for bfloat16, 2^-10
// for float16.
func unit(dt device.DType) float64 {
	if dt == device.BFloat16 {
		return 1.0 / 128
	}
	return 1.0 / 1024
}

// roundTo rounds f to dt, to nearest even, as the host conversions do.
func roundTo(dt device.DType, f float32) float32 {
	switch dt {
	case device.BFloat16:
		return device.BF16FromFloat32(f).Float32()
	case device.Float16:
		return device.F16FromFloat32(f).Float32()
	}
	return f
}

// halfEnv runs one op family in one half dtype on cudasim (index 0) and
// on the CPU in float32 (index 1).
type halfEnv struct {
	t   *testing.T
	dt  device.DType
	be  [2]device.Backend
	rng *rand.Rand
}

func newHalfEnv(t *testing.T, dt device.DType) *halfEnv {
	t.Helper()
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	return &halfEnv{t: t, dt: dt, be: [2]device.Backend{device.MustOpen(device.CUDASimDevice), device.MustOpen(device.CPUDevice)},
		rng: rand.New(rand.NewPCG(seed, 14))}
}

// uniform draws n values in [lo, hi) rounded to the env's half.
func (e *halfEnv) uniform(n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = roundTo(e.dt, float32(lo+(hi-lo)*e.rng.Float64()))
	}
	return v
}

// hostHalf converts float32 values (already representable) to dt's host slice.
func hostHalf(dt device.DType, v []float32) any {
	if dt == device.BFloat16 {
		h := make([]device.BF16, len(v))
		for i, f := range v {
			h[i] = device.BF16FromFloat32(f)
		}
		return h
	}
	h := make([]device.F16, len(v))
	for i, f := range v {
		h[i] = device.F16FromFloat32(f)
	}
	return h
}

// in writes v to both backends: as the half on cudasim, float32 on the CPU.
func (e *halfEnv) in(v []float32) [2]device.Buffer {
	e.t.Helper()
	var out [2]device.Buffer
	for i, b := range e.be {
		dt, host := e.dt, hostHalf(e.dt, v)
		if i == 1 {
			dt, host = device.Float32, v
		}
		x, err := b.Alloc(dt, len(v))
		e.must(err)
		e.must(b.Write(x, host))
		out[i] = x
	}
	return out
}

// ints writes int32 data to both backends.
func (e *halfEnv) ints(v []int32) [2]device.Buffer {
	e.t.Helper()
	var out [2]device.Buffer
	for i, b := range e.be {
		x, err := b.Alloc(device.Int32, len(v))
		e.must(err)
		e.must(b.Write(x, v))
		out[i] = x
	}
	return out
}

// out allocates n elements of dt on cudasim (float32 on the CPU when dt
// is a half), holding v when v is not nil (for the accumulating ops).
func (e *halfEnv) out(dt device.DType, n int, v []float32) [2]device.Buffer {
	e.t.Helper()
	if v != nil {
		if dt.IsHalf() {
			return e.in(v)
		}
		if dt == device.Float32 {
			var out [2]device.Buffer
			for i, b := range e.be {
				x, err := b.Alloc(dt, n)
				e.must(err)
				e.must(b.Write(x, v))
				out[i] = x
			}
			return out
		}
	}
	var out [2]device.Buffer
	for i, b := range e.be {
		d := dt
		if i == 1 && dt.IsHalf() {
			d = device.Float32
		}
		x, err := b.Alloc(d, n)
		e.must(err)
		out[i] = x
	}
	return out
}

// both runs f on cudasim and on the CPU.
func (e *halfEnv) both(f func(i int, b device.Backend) error) {
	e.t.Helper()
	for i, b := range e.be {
		if err := f(i, b); err != nil {
			e.t.Fatalf("%v: %v", b.Device(), err)
		}
	}
}

func (e *halfEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// read returns buffer x of backend b as float32.
func read(t *testing.T, b device.Backend, x device.Buffer) []float32 {
	t.Helper()
	n := x.Len()
	out := make([]float32, n)
	var err error
	switch x.DType() {
	case device.BFloat16:
		h := make([]device.BF16, n)
		err = b.Read(h, x)
		for i, v := range h {
			out[i] = v.Float32()
		}
	case device.Float16:
		h := make([]device.F16, n)
		err = b.Read(h, x)
		for i, v := range h {
			out[i] = v.Float32()
		}
	case device.Float32:
		err = b.Read(out, x)
	case device.Int32:
		h := make([]int32, n)
		err = b.Read(h, x)
		for i, v := range h {
			out[i] = float32(v)
		}
	default:
		h := make([]float64, n)
		err = b.Read(h, x)
		for i, v := range h {
			out[i] = float32(v)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// check compares cudasim's x[0] with the CPU's x[1] rounded to cudasim's
// dtype: |got-want| <= ulps*unit*|want| + atol, NaN matching NaN.
func (e *halfEnv) check(what string, x [2]device.Buffer, ulps, atol float64) {
	e.t.Helper()
	got, want := read(e.t, e.be[0], x[0]), read(e.t, e.be[1], x[1])
	dt := x[0].DType()
	bad := 0
	for i := range got {
		w := roundTo(dt, want[i])
		g := got[i]
		if g != g || w != w {
			if (g != g) != (w != w) {
				bad++
				if bad <= 3 {
					e.t.Errorf("%s %v [%d]: got %v, want %v", what, dt, i, g, w)
				}
			}
			continue
		}
		tol := atol
		if dt.IsHalf() {
			tol += ulps * unit(dt) * math.Abs(float64(w))
		}
		if g == w || math.Abs(float64(g)-float64(w)) <= tol {
			continue
		}
		bad++
		if bad <= 3 {
			e.t.Errorf("%s %v [%d]: got %v, want %v (CPU float32 %v)", what, dt, i, g, w, want[i])
		}
	}
	if bad > 3 {
		e.t.Errorf("%s %v: %d of %d elements differ", what, dt, bad, len(got))
	}
}

// halfLayouts are a contiguous, 16-byte aligned layout (the _vec_
// kernels), the same shifted by one element (unaligned: the strided
// kernels), and a transposed view; all over 43 elements in a buffer of
// 45 (8 halves per pack plus a tail).
var halfLayouts = []struct {
	name string
	l    device.Layout
}{
	{"vec", device.Layout{Shape: []int{43}, Strides: []int{1}}},
	{"shifted", device.Layout{Shape: []int{43}, Strides: []int{1}, Offset: 1}},
	{"transposed", device.Layout{Shape: []int{5, 8}, Strides: []int{1, 5}, Offset: 2}},
}

func TestHalfMemory(t *testing.T) {
	for _, dt := range halves {
		t.Run(dt.String(), func(t *testing.T) {
			e := newHalfEnv(t, dt)
			b := e.be[0]
			v := e.uniform(45, -3, 3)
			x := e.in(v)
			if got := read(t, b, x[0]); fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("Write/Read round trip: got %v, want %v", got, v)
			}
			for _, lc := range halfLayouts {
				d := e.out(dt, 45, v)
				e.both(func(i int, b device.Backend) error { return b.Fill(d[i], lc.l, 1.0/3) })
				e.check("Fill "+lc.name, d, 0, 0)
				c := e.out(dt, lc.l.Size(), nil)
				e.both(func(i int, b device.Backend) error {
					return b.Copy(c[i], device.Contiguous(lc.l.Shape), x[i], lc.l)
				})
				e.check("Copy "+lc.name, c, 0, 0)
			}
		})
	}
}

// castSpecials are values whose conversions are edge cases: ties that
// round to even in bfloat16 (1+2^-8, 1+3*2^-8) and float16 (1+2^-11),
// float16 overflow (65520 rounds to Inf, 65519 to 65504), float16
// subnormals, bfloat16's own range, infinities, NaN, -0, and values that
// saturate int32.
var castSpecials = []float64{1 + 1.0/256, 1 + 3.0/256, 1 + 1.0/2048, 1 + 3.0/2048, 65520, 65519, -70000,
	3e-6, -6e-8, 1e-8, 3e38, -1e-39, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1),
	2.5, -2.5, 3e9, -3e9, 16777217, 0.1, 123456.789}

// castWant is Cast's reference: to a half through float32 (RNE twice, as
// the CPU backend does), to int32 by truncation with saturation (NaN 0).
func castWant(to device.DType, v float64) float64 {
	switch to {
	case device.BFloat16, device.Float16:
		return float64(roundTo(to, float32(v)))
	case device.Float32:
		return float64(float32(v))
	case device.Int32:
		switch {
		case v != v:
			return 0
		case v >= math.MaxInt32:
			return math.MaxInt32
		case v <= math.MinInt32:
			return math.MinInt32
		}
		return math.Trunc(v) + 0 // +0, as an int32 has no -0
	}
	return v
}

// TestHalfCast converts every dtype to and from each half through
// cast_<from>_<to>, checking every result bit for bit (NaN as NaN, -0 as
// -0) against castWant.
func TestHalfCast(t *testing.T) {
	b := device.MustOpen(device.CUDASimDevice)
	all := []device.DType{device.Float32, device.Float64, device.Int32, device.BFloat16, device.Float16}
	rng := rand.New(rand.NewPCG(uint64(rand.Uint32()), 15))
	src := append([]float64{}, castSpecials...)
	for range 20 {
		src = append(src, (rng.Float64()*2-1)*math.Pow(2, float64(rng.IntN(40)-20)))
	}
	for _, from := range all {
		for _, to := range all {
			if from == to || (!from.IsHalf() && !to.IsHalf()) {
				continue
			}
			t.Run(from.Suffix()+"_"+to.Suffix(), func(t *testing.T) {
				in := make([]float64, len(src))
				for i, v := range src {
					in[i] = castWant(from, v)
				}
				x := writeAs(t, b, from, in)
				y, err := b.Alloc(to, len(in))
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Cast(y, x, device.Contiguous([]int{len(in)})); err != nil {
					t.Fatal(err)
				}
				got := readAs(t, b, y)
				for i, v := range in {
					w := castWant(to, v)
					if w != w && got[i] != got[i] {
						continue
					}
					if got[i] != w || math.Signbit(got[i]) != math.Signbit(w) {
						t.Errorf("cast %v %v to %v: got %v, want %v", from, v, to, got[i], w)
					}
				}
			})
		}
	}
}

// writeAs writes float64 values (representable in dt) as a dt buffer.
func writeAs(t *testing.T, b device.Backend, dt device.DType, v []float64) device.Buffer {
	t.Helper()
	x, err := b.Alloc(dt, len(v))
	if err != nil {
		t.Fatal(err)
	}
	var host any
	switch dt {
	case device.Float64:
		host = v
	case device.Int32:
		h := make([]int32, len(v))
		for i, f := range v {
			h[i] = int32(f)
		}
		host = h
	default:
		h := make([]float32, len(v))
		for i, f := range v {
			h[i] = float32(f)
		}
		host = h
		if dt.IsHalf() {
			host = hostHalf(dt, h)
		}
	}
	if err := b.Write(x, host); err != nil {
		t.Fatal(err)
	}
	return x
}

// readAs reads any buffer as float64, exactly.
func readAs(t *testing.T, b device.Backend, x device.Buffer) []float64 {
	t.Helper()
	if x.DType() == device.Float64 {
		h := make([]float64, x.Len())
		if err := b.Read(h, x); err != nil {
			t.Fatal(err)
		}
		return h
	}
	f := read(t, b, x)
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	if x.DType() == device.Int32 {
		h := make([]int32, x.Len())
		if err := b.Read(h, x); err != nil {
			t.Fatal(err)
		}
		for i, v := range h {
			out[i] = float64(v)
		}
	}
	return out
}
