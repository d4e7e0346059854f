package devicetest

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tapegrad/tapegrad/device"
)

// EnvSeed names the environment variable that fixes the seed of Backend,
// to replay a failure; Backend logs the seed it used.
const EnvSeed = "TAPEGRAD_SEED"

// side selects the reference (CPU) or the backend under test.
type side int

const (
	ref side = iota
	dut
)

// harness runs each op on the CPU reference and on the backend under test
// with identical inputs.
type harness struct {
	be   [2]device.Backend
	seed uint64
	// half lists the half dtypes the backend under test opted into
	// (WithDTypes); self is set when that backend is the CPU itself, so
	// only those dtypes run (the others would compare the CPU with itself).
	half []device.DType
	self bool
}

// pair is one buffer on each side, holding the same data before an op.
// dt is the backend under test's dtype; the reference of a half dtype
// holds the same values in Float64 (refType).
type pair struct {
	b  [2]device.Buffer
	dt device.DType
	n  int
}

// refType is the reference's dtype for dt: half types are computed in
// float64 on the same rounded values, so the only error a result carries
// against it is the backend's own.
func refType(dt device.DType) device.DType {
	if dt.IsHalf() {
		return device.Float64
	}
	return dt
}

// compute is the dtype a backend computes dt in: float32 for the half
// types, whose tolerances are float32's plus one rounding (halfTol).
func compute(dt device.DType) device.DType {
	if dt.IsHalf() {
		return device.Float32
	}
	return dt
}

// floats and all return the dtypes a family runs on: the package lists
// plus the half types the backend opted into, or only those when the
// backend under test is the CPU.
func (h *harness) floats() []device.DType { return h.with(floats) }
func (h *harness) all() []device.DType    { return h.with(all) }

func (h *harness) with(base []device.DType) []device.DType {
	if h.self {
		return h.half
	}
	return append(append([]device.DType(nil), base...), h.half...)
}

// on returns the pair's buffer on side s.
func (p pair) on(s side) device.Buffer { return p.b[s] }

// seed returns $TAPEGRAD_SEED if set, else a fresh one.
func seed(t *testing.T) uint64 {
	if s := os.Getenv(EnvSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvSeed, s, err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// rng returns the random source of subtest t: the run's seed mixed with
// the subtest's name, so one subtest replays alone with -run.
func (h *harness) rng(t *testing.T) *rand.Rand {
	f := fnv.New64a()
	f.Write([]byte(t.Name()))
	return rand.New(rand.NewPCG(h.seed, f.Sum64()))
}

// alloc allocates n elements on both sides, freed when t ends.
func (h *harness) alloc(t *testing.T, dt device.DType, n int) pair {
	t.Helper()
	return h.allocAs(t, refType(dt), dt, n)
}

// allocAs allocates n elements of refDT on the reference and of dt on
// the backend under test (a float32 C of a half MatMul has a float64
// reference).
func (h *harness) allocAs(t *testing.T, refDT, dt device.DType, n int) pair {
	t.Helper()
	p := pair{dt: dt, n: n}
	for s, be := range h.be {
		d := dt
		if side(s) == ref {
			d = refDT
		}
		buf, err := be.Alloc(d, n)
		if err != nil {
			t.Fatalf("%v: Alloc(%v, %d): %v", be.Device(), d, n, err)
		}
		p.b[s] = buf
		t.Cleanup(func() { be.Free(buf) })
	}
	return p
}

// upload allocates a pair holding data converted to dt (for a half dt,
// the reference holds the rounded values in float64).
func (h *harness) upload(t *testing.T, dt device.DType, data []float64) pair {
	t.Helper()
	return h.uploadAs(t, refType(dt), dt, data)
}

// uploadAs is upload with the reference's dtype given, as allocAs.
func (h *harness) uploadAs(t *testing.T, refDT, dt device.DType, data []float64) pair {
	t.Helper()
	p := h.allocAs(t, refDT, dt, len(data))
	if dt.IsHalf() {
		data = roundTo(dt, data)
	}
	for s, be := range h.be {
		if err := be.Write(p.b[s], toHost(p.b[s].DType(), data)); err != nil {
			t.Fatalf("%v: Write: %v", be.Device(), err)
		}
	}
	return p
}

// toHost converts data to a host slice of dt.
func toHost(dt device.DType, data []float64) any {
	switch dt {
	case device.Float32:
		out := make([]float32, len(data))
		for i, v := range data {
			out[i] = float32(v)
		}
		return out
	case device.Float64:
		return append([]float64(nil), data...)
	case device.BFloat16:
		return device.BF16s(toHost(device.Float32, data).([]float32))
	case device.Float16:
		return device.F16s(toHost(device.Float32, data).([]float32))
	}
	out := make([]int32, len(data))
	for i, v := range data {
		out[i] = int32(v)
	}
	return out
}

// read returns side s of p as float64s.
func (h *harness) read(t *testing.T, p pair, s side) []float64 {
	t.Helper()
	out := make([]float64, p.n)
	var err error
	switch p.b[s].DType() {
	case device.BFloat16:
		v := make([]device.BF16, p.n)
		err = h.be[s].Read(v, p.b[s])
		for i, x := range v {
			out[i] = float64(x.Float32())
		}
	case device.Float16:
		v := make([]device.F16, p.n)
		err = h.be[s].Read(v, p.b[s])
		for i, x := range v {
			out[i] = float64(x.Float32())
		}
	case device.Float32:
		v := make([]float32, p.n)
		err = h.be[s].Read(v, p.b[s])
		for i, x := range v {
			out[i] = float64(x)
		}
	case device.Float64:
		err = h.be[s].Read(out, p.b[s])
	default:
		v := make([]int32, p.n)
		err = h.be[s].Read(v, p.b[s])
		for i, x := range v {
			out[i] = float64(x)
		}
	}
	if err != nil {
		t.Fatalf("%v: Read: %v", h.be[s].Device(), err)
	}
	return out
}

// run calls op on both sides. When the reference fails the backend must
// fail too (in the call or at the next Sync); when it succeeds the
// backend must too. It reports whether both succeeded, so outputs can be
// compared.
func (h *harness) run(t *testing.T, op func(be device.Backend, s side) error) bool {
	t.Helper()
	refErr := op(h.be[ref], ref)
	err := op(h.be[dut], dut)
	if err == nil {
		err = h.be[dut].Sync()
	}
	switch {
	case refErr != nil && err == nil:
		t.Errorf("reference failed (%v), %v did not", refErr, h.be[dut].Device())
	case refErr == nil && err != nil:
		t.Errorf("%v: %v", h.be[dut].Device(), err)
	}
	return refErr == nil && err == nil
}

// tol is an elementwise tolerance: |got-want| <= abs + rel*|want|.
type tol struct{ rel, abs float64 }

// exact is the tolerance of integer results and exact float ops.
var exact = tol{}

// tolFor is the default tolerance of dt: float32 results may differ from
// the CPU's float64-then-round by a few ulps of the libdevice functions,
// float64 ones by an ulp or two; half ones are computed in float32
// (compare adds their rounding, halfTol).
func tolFor(dt device.DType) tol {
	switch compute(dt) {
	case device.Float32:
		return tol{rel: 1e-5, abs: 1e-6}
	case device.Float64:
		return tol{rel: 1e-12, abs: 1e-13}
	}
	return exact
}

// compare checks the first n elements of p on both sides. A half result
// is checked against the float64 reference as halfTol says.
func (h *harness) compare(t *testing.T, what string, p pair, n int, tl tol) {
	t.Helper()
	want, got := h.read(t, p, ref)[:n], h.read(t, p, dut)[:n]
	if p.dt.IsHalf() {
		want, tl = halfTol(p.dt, want, tl)
	}
	compareValues(t, what, want, got, tl)
}

// halfTol adapts a reference and a float32 tolerance tl to a result of
// the half type dt, computed in float32 and rounded once to nearest
// even. That rounding adds at most the unit roundoff u relative (bf16:
// 8 significant bits, u = 2^-8; f16: 11 bits, u = 2^-11) and, in
// float16's subnormal range, half its smallest step (2^-25) absolute;
// tl covers the float32 computation, scaled by the op's condition as for
// float32. An exact op's reference is rounded to dt instead, and a
// reference past dt's range is the infinity dt rounds it to.
func halfTol(dt device.DType, want []float64, tl tol) ([]float64, tol) {
	rounded := roundTo(dt, want)
	if tl == exact {
		return rounded, exact
	}
	want = append([]float64(nil), want...)
	for i, v := range rounded {
		if math.IsInf(v, 0) {
			want[i] = v
		}
	}
	u, a := 0x1p-8, 0x1p-134
	if dt == device.Float16 {
		u, a = 0x1p-11, 0x1p-25
	}
	return want, tol{rel: tl.rel + u*(1+tl.rel), abs: tl.abs + a}
}

// roundTo rounds data to the half type dt through float32, as Cast does.
func roundTo(dt device.DType, data []float64) []float64 {
	out := make([]float64, len(data))
	for i, v := range data {
		if dt == device.BFloat16 {
			out[i] = float64(device.BF16FromFloat32(float32(v)).Float32())
		} else {
			out[i] = float64(device.F16FromFloat32(float32(v)).Float32())
		}
	}
	return out
}

// compareValues reports the elements of got that differ from want beyond
// tl (NaN matches NaN, infinities match themselves), with the worst one.
func compareValues(t *testing.T, what string, want, got []float64, tl tol) {
	t.Helper()
	bad, worst, worstAt := 0, 0.0, -1
	for i := range want {
		w, g := want[i], got[i]
		if w == g || (math.IsNaN(w) && math.IsNaN(g)) {
			continue
		}
		d := math.Abs(w - g)
		if d <= tl.abs+tl.rel*math.Abs(w) {
			continue
		}
		if bad < 5 {
			t.Errorf("%s[%d] = %v, want %v", what, i, g, w)
		}
		bad++
		if excess := d / (tl.abs + tl.rel*math.Abs(w) + math.SmallestNonzeroFloat64); math.IsNaN(d) || excess > worst {
			worst, worstAt = excess, i
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements differ; worst at %d (%.3g x tolerance)", what, bad, len(want), worstAt, worst)
	}
}

// values returns n random values for dt: floats spread over [-3, 3] and
// never zero, ints in [-50, 50].
func values(r *rand.Rand, dt device.DType, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if dt == device.Int32 {
			out[i] = float64(r.IntN(101) - 50)
			continue
		}
		v := r.Float64()*6 - 3
		if v == 0 {
			v = 0.5
		}
		out[i] = v
	}
	return out
}

// positive returns n random values in [0.1, 4).
func positive(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 0.1 + r.Float64()*3.9
	}
	return out
}

// viewKind is a way to lay a shape out in a buffer.
type viewKind int

const (
	contiguous viewKind = iota // row-major from element 0 (the vector path)
	shifted                    // row-major from a small offset (misaligned)
	permuted                   // dims stored in a random order, never row-major
	padded                     // rows padded, so no two dims merge
	broadcast                  // some dims of stride 0
	flipped                    // one dim walked backwards
	numViewKinds
)

var viewNames = [...]string{"contiguous", "shifted", "permuted", "padded", "broadcast", "flipped"}

func (k viewKind) String() string { return viewNames[k] }

// view returns a layout of kind k for shape and the buffer length it needs.
func view(r *rand.Rand, shape []int, k viewKind) (device.Layout, int) {
	rank := len(shape)
	perm := make([]int, rank)
	for i := range perm {
		perm[i] = i
	}
	if k == permuted && rank > 1 {
		r.Shuffle(rank, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if perm[0] == 0 {
			perm[0], perm[rank-1] = perm[rank-1], perm[0]
		}
	}
	strides := make([]int, rank)
	acc := 1
	for i := rank - 1; i >= 0; i-- {
		d := perm[i]
		if k == broadcast && shape[d] > 1 && (r.IntN(2) == 0 || i == 0) {
			continue
		}
		strides[d] = acc
		ext := shape[d]
		if k == padded {
			ext += 1 + r.IntN(2)
		}
		acc *= ext
	}
	off := 0
	if k == shifted || k == padded {
		off = 1 + r.IntN(3)
	}
	if k == flipped {
		for d := rank - 1; d >= 0; d-- {
			if shape[d] > 1 {
				off += (shape[d] - 1) * strides[d]
				strides[d] = -strides[d]
				break
			}
		}
	}
	l := device.Layout{Shape: append([]int(nil), shape...), Strides: strides, Offset: off}
	hi := off
	for d, n := range shape {
		if n > 0 && strides[d] > 0 {
			hi += (n - 1) * strides[d]
		}
	}
	if device.Numel(shape) == 0 {
		return l, off
	}
	return l, hi + 1
}

// input uploads random data of dt laid out as a view of kind k of shape.
func (h *harness) input(t *testing.T, r *rand.Rand, dt device.DType, shape []int, k viewKind, gen func(n int) []float64) (pair, device.Layout) {
	t.Helper()
	l, n := view(r, shape, k)
	if gen == nil {
		gen = func(n int) []float64 { return values(r, dt, n) }
	}
	return h.upload(t, dt, gen(n)), l
}

// dtypes lists the dtypes a family runs on.
var (
	floats = []device.DType{device.Float32, device.Float64}
	all    = []device.DType{device.Float32, device.Float64, device.Int32}
)

// shapeName formats a shape for subtest names.
func shapeName(shape []int) string {
	if len(shape) == 0 {
		return "scalar"
	}
	s := ""
	for i, n := range shape {
		if i > 0 {
			s += "x"
		}
		s += fmt.Sprint(n)
	}
	return s
}
