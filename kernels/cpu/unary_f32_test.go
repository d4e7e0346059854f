package cpu

import (
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// unaryF32Ops are the ops with float32 kernels, each with its float64
// reference and the error bound, in ulps of the correctly rounded result,
// that its kernel's doc comment states.
var unaryF32Ops = []struct {
	op   device.UnaryOp
	ref  func(float64) float64
	ulps int
}{
	{device.Exp, math.Exp, 1},
	{device.Log, math.Log, 1},
	{device.Tanh, math.Tanh, 2},
	{device.Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 2},
	{device.GELU, geluAccurate, 4},
	{device.Log1p, math.Log1p, 2},
	{device.Expm1, math.Expm1, 2},
	{device.Sin, math.Sin, 1},
	{device.Cos, math.Cos, 1},
	{device.Tan, math.Tan, 1},
	{device.Erf, math.Erf, 1},
}

// geluAccurate is GELU's tanh form as x·sigmoid(2u) in float64, which,
// unlike 0.5x(1+tanh(u)), does not cancel to 0 for negative x.
func geluAccurate(x float64) float64 {
	u := device.GELUC * (x + device.GELUA*x*x*x)
	return x / (1 + math.Exp(-2*u))
}

// f32Specials are inputs every sweep includes: zeros, infinities, NaNs,
// denormals, the normal and finite limits, and each kernel's edges (exp's
// overflow, denormal and underflow thresholds, tanh's switch at 0.625 and
// its saturation, log's split at √½).
func f32Specials() []float32 {
	var xs []float32
	for _, v := range []float32{
		0, 1, 0.5, 2, 0.625, 9, 10, 0.70710677, 1.4142135, 88.72283, 88.72284, 89,
		87.33654, 103.97208, 103.27893, 104, 1e-30, 0x1p-126, 0x1p-149, 0x1p-127,
		math.MaxFloat32, float32(math.Inf(1)), 0x1p-24, 0x1p-12, 44.36142, 51.98604,
		1.5707964, 3.1415927, 4.712389, 0.7853982, 0.7853981, 524287.97, 524288, 524288.06, 1e5, 355, 710, 103993,
		1.5, 2.5, 3, 3.5, 3.8325, 4, // erf's pieces

	} {
		for _, s := range []float32{v, -v} {
			xs = append(xs, s, math.Nextafter32(s, float32(math.Inf(1))), math.Nextafter32(s, float32(math.Inf(-1))))
		}
	}
	return append(xs, float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00123))
}

// f32Sweep returns every 2^k-th float32 bit pattern from a random offset,
// plus f32Specials. k is 9 (8M inputs), 12 under -short or the race
// detector (which slows the Go kernels tenfold and finds nothing in
// single-goroutine arithmetic), or $TAPEGRAD_F32_SWEEP_LOG2 (0 sweeps all
// 2^32 patterns).
func f32Sweep(t *testing.T) []float32 {
	k := 9
	if testing.Short() || raceEnabled {
		k = 12
	}
	if s := os.Getenv("TAPEGRAD_F32_SWEEP_LOG2"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "TAPEGRAD_F32_SWEEP_LOG2")
		k = v
	}
	step := uint64(1) << k
	off := newRand(t).Uint64N(step)
	xs := f32Specials()
	for b := off; b < 1<<32; b += step {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	return xs
}

// ordF32 maps float32 values onto integers in their order, with ±0 both 0
// and +Inf one past MaxFloat32, so that |ordF32(a)-ordF32(b)| is a's
// distance from b in ulps.
func ordF32(v float32) int64 {
	b := math.Float32bits(v)
	if b&(1<<31) != 0 {
		return -int64(b &^ (1 << 31))
	}
	return int64(b)
}

// TestUnaryF32Accuracy checks each float32 kernel of every variant this
// build runs against float64 math rounded to float32, over a sweep of the
// whole float32 range: the ulp bound everywhere, NaN for NaN, exact
// infinities and signed zeros.
func TestUnaryF32Accuracy(t *testing.T) {
	xs := f32Sweep(t)
	got := make([]float32, len(xs))
	for _, set := range unaryF32Sets {
		for _, c := range unaryF32Ops {
			t.Run(set.name+"/"+c.op.String(), func(t *testing.T) {
				set.kernel(c.op)(got, xs)
				var worst int64
				var worstX float32
				for i, x := range xs {
					want, g := float32(c.ref(float64(x))), got[i]
					if want != want || g != g {
						if want == want || g == g {
							t.Fatalf("%s(%g): want %g, got %g", c.op, x, want, g)
						}
						continue
					}
					if (want == 0 && g == 0 && math.Signbit(float64(want)) != math.Signbit(float64(g))) ||
						((math.IsInf(float64(want), 0) || math.IsInf(float64(g), 0)) && want != g) {
						t.Fatalf("%s(%g): want %g, got %g", c.op, x, want, g)
					}
					if d := max(ordF32(g)-ordF32(want), ordF32(want)-ordF32(g)); d > worst {
						worst, worstX = d, x
					}
				}
				t.Logf("%d inputs, max error %d ulp at x = %g (0x%08x)", len(xs), worst, worstX, math.Float32bits(worstX))
				require.LessOrEqualf(t, worst, int64(c.ulps), "%s: max error at x = %g", c.op, worstX)
			})
		}
	}
}

// TestUnaryF32Variants checks that every variant gives the portable
// kernel's results bit for bit (any NaN matching any NaN) on every length
// from 0 to 40, so both full vectors and masked tails, from unaligned
// starts (any float32 offset from a 64-byte line), and that nothing is
// written before dst or past len(x).
func TestUnaryF32Variants(t *testing.T) {
	r := newRand(t)
	specials := f32Specials()
	for _, set := range unaryF32Sets[:len(unaryF32Sets)-1] {
		for _, c := range unaryF32Ops {
			for n := range 41 {
				xs := make([]float32, n+16)[r.IntN(16):][:n]
				for i := range xs {
					if r.IntN(4) == 0 {
						xs[i] = specials[r.IntN(len(specials))]
					} else {
						xs[i] = math.Float32frombits(r.Uint32())
					}
				}
				want := make([]float32, n)
				goUnaryF32.kernel(c.op)(want, xs)
				buf := make([]float32, n+32)
				for i := range buf {
					buf[i] = -7.5
				}
				start := r.IntN(16)
				got := buf[start:]
				set.kernel(c.op)(got, xs)
				for _, g := range buf[:start] {
					require.Equalf(t, float32(-7.5), g, "%s %s wrote before dst", set.name, c.op)
				}
				for i, w := range want {
					g := got[i]
					if w != w && g != g {
						continue
					}
					require.Equalf(t, math.Float32bits(w), math.Float32bits(g),
						"%s %s(%g), n=%d: go %g, %s %g", set.name, c.op, xs[i], n, w, set.name, g)
				}
				for _, g := range got[n:] {
					require.Equalf(t, float32(-7.5), g, "%s %s wrote past n=%d", set.name, c.op, n)
				}
			}
		}
	}
}

// BenchmarkUnaryF32 times each variant's kernels on 64K elements (in
// cache) on one goroutine: the kernels alone, with no allocation or
// dispatch.
func BenchmarkUnaryF32(b *testing.B) {
	r := newRand(b)
	xs := make([]float32, 1<<16)
	for i := range xs {
		xs[i] = float32(r.NormFloat64() * 4)
	}
	dst := make([]float32, len(xs))
	for _, set := range unaryF32Sets {
		for _, c := range unaryF32Ops {
			b.Run(set.name+"/"+c.op.String(), func(b *testing.B) {
				k := set.kernel(c.op)
				for b.Loop() {
					k(dst, xs)
				}
				b.ReportMetric(float64(8*len(xs))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// TestGELUGradF32 checks the fused float32 GELU gradient of every variant
// against g·GELUDerivRef in float64 over a sweep of the float32 range for
// x (g = 1, and random g on a second pass): within 4 units of 2^-24 of
// |g|·max(1, |x·2u'|), the size of the terms the derivative adds, and
// bit for bit the portable kernel's; NaN for NaN.
func TestGELUGradF32(t *testing.T) {
	xs := f32Sweep(t)
	xs = xs[:len(xs)/4] // the specials come first and stay
	if raceEnabled {
		xs = xs[:len(xs)/8]
	}
	r := newRand(t)
	gs := make([]float32, len(xs))
	want := make([]float32, len(xs))
	got := make([]float32, len(xs))
	for pass := range 2 {
		for i := range gs {
			gs[i] = 1
			if pass == 1 {
				gs[i] = float32(r.NormFloat64())
			}
		}
		goUnaryF32.geluGrad(want, xs, gs)
		for _, set := range unaryF32Sets {
			set.geluGrad(got, xs, gs)
			var worst float64
			var worstX float32
			for i, x := range xs {
				if !sameF32(want[i], got[i]) {
					t.Fatalf("%s gelu_grad(%g, %g): go %g, got %g", set.name, x, gs[i], want[i], got[i])
				}
				if x != x && got[i] == got[i] {
					t.Fatalf("%s gelu_grad(NaN) = %g", set.name, got[i])
				}
				d := float64(x)
				ref := float64(gs[i]) * device.GELUDerivRef(d)
				if math.IsNaN(ref) || math.IsInf(d, 0) {
					continue // GELUDerivRef's 0*Inf: the kernel gives a limit or NaN
				}
				if math.IsNaN(float64(got[i])) {
					t.Fatalf("%s gelu_grad(%g) is NaN, want %g", set.name, x, ref)
				}
				scale := math.Abs(float64(gs[i])) * max(1, math.Abs(d*2*device.GELUC*(1+3*device.GELUA*d*d)))
				if e := math.Abs(float64(got[i])-ref) / scale / 0x1p-24; e > worst {
					worst, worstX = e, x
				}
			}
			t.Logf("%s pass %d: max error %.2f units of 2^-24 at x = %g", set.name, pass, worst, worstX)
			require.LessOrEqualf(t, worst, 4.0, "%s: max error at x = %g", set.name, worstX)
		}
	}
}

// TestPowF32 sweeps powF32 over the float32 range (every 16384th bit
// pattern, every 131072nd in -short and -race runs; both signs; the
// specials) for the bench's exponents and a few others, against math.Pow
// rounded to float32: within 1 ulp, the same infinities, zeros and NaNs.
func TestPowF32(t *testing.T) {
	xs := f32Specials()
	step := uint64(1) << 14
	if testing.Short() || raceEnabled {
		step = 1 << 17
	}
	for b := newRand(t).Uint64N(step); b < 1<<32; b += step {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	got, goGot := make([]float32, len(xs)), make([]float32, len(xs))
	for _, p := range []float64{2.5, 2, 0.5, -1.5, 3, -1, 1, 0, 1e-3, 17.25, -40, -0.5, 1.0 / 3, 1e6, math.Inf(1), math.NaN()} {
		powF32(nil, goGot, xs, p)
		// Each assembly kernel, starting at two offsets, so that the
		// assembly and the Go tail meet different elements.
		for _, set := range unaryF32Sets {
			if set.pow == nil {
				continue
			}
			for _, off := range []int{0, 5} {
				powF32(set.pow, got[off:], xs[off:], p)
				for i := off; i < len(xs); i++ {
					if g, w := got[i], goGot[i]; (g == g || w == w) && math.Float32bits(w) != math.Float32bits(g) {
						t.Fatalf("%s: pow(%g, %g): Go %g, assembly %g", set.name, xs[i], p, w, g)
					}
				}
			}
		}
		powF32(unaryF32Sets[0].pow, got, xs, p) // the kernel Unary runs here, for the accuracy check below
		var worst int64
		var worstX float32
		for i, x := range xs {
			want, g := float32(math.Pow(float64(x), p)), got[i]
			if want != want || g != g {
				require.True(t, want != want && g != g, "pow(%g, %g): want %g, got %g", x, p, want, g)
				continue
			}
			if want == 0 || g == 0 || math.IsInf(float64(want), 0) || math.IsInf(float64(g), 0) {
				require.Equal(t, math.Float32bits(want), math.Float32bits(g), "pow(%g, %g): want %g, got %g", x, p, want, g)
				continue
			}
			if d := max(ordF32(g)-ordF32(want), ordF32(want)-ordF32(g)); d > worst {
				worst, worstX = d, x
			}
		}
		t.Logf("p = %g: max error %d ulp at x = %g", p, worst, worstX)
		require.LessOrEqual(t, worst, int64(1), "pow(x, %g) at x = %g", p, worstX)
	}
}
