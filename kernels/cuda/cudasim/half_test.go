package cudasim

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// runMany is runOp over any number of elements, 1024 threads a launch.
func runMany(t *testing.T, dst, src ptype, body string, a, b []uint64) []uint64 {
	t.Helper()
	var out []uint64
	for i := 0; i < len(a); i += 1024 {
		j := min(i+1024, len(a))
		var bb []uint64
		if b != nil {
			bb = b[i:j]
		}
		out = append(out, runOp(t, dst, src, body, a[i:j], bb, nil)...)
	}
	return out
}

// f32Samples returns float32 bit patterns that exercise rounding to a
// narrow format with mbits mantissa bits: random patterns of every
// exponent, exact ties and their neighbours, values at the overflow
// threshold, subnormals of both formats, infinities and NaNs.
func f32Samples(r *rand.Rand, mbits uint, n int) []uint64 {
	var xs []uint64
	for _, v := range []float32{0, 65504, 65519.99, 65520, 65536, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, 3.4e38, 1e-39, 1e-45} {
		for _, s := range []float32{1, -1} {
			xs = append(xs, f32b(v*s))
		}
	}
	xs = append(xs, f32b(float32(math.Inf(1))), f32b(float32(math.Inf(-1))), 0x7fc00000, 0xffc00001, 0x7f800001)
	low := uint32(1)<<(23-mbits) - 1 // the bits rounding removes
	tie := (low + 1) >> 1
	for len(xs) < n {
		b := r.Uint32()
		switch r.IntN(4) {
		case 0: // an exact tie, or one unit either side of it
			b = b&^low | tie + uint32(r.IntN(3)) - 1
		case 1: // around float16's range, where its subnormals and overflow are
			b = b&0x807fffff | uint32(100+r.IntN(60))<<23
		}
		xs = append(xs, uint64(b))
	}
	return xs
}

// TestCvtHalfMatchesDevice: cvt.rn.f16.f32 and cvt.rn.bf16.f32 round
// every sample exactly as device.F16FromFloat32 and BF16FromFloat32 do
// (which are checked against PyTorch); a NaN gives the canonical 0x7fff,
// as the hardware does. cvt.f32.f16 and cvt.f32.bf16 are exact for every
// one of the 65536 patterns.
func TestCvtHalfMatchesDevice(t *testing.T) {
	r := seeded(t)
	for _, tc := range []struct {
		body string
		mbit uint
		ref  func(float32) uint64
	}{
		{"cvt.rn.f16.f32 %rs1, %a; mov.b16 %d, %rs1;", 10, func(f float32) uint64 { return uint64(device.F16FromFloat32(f)) }},
		{"cvt.rn.bf16.f32 %rs1, %a; mov.b16 %d, %rs1;", 7, func(f float32) uint64 { return uint64(device.BF16FromFloat32(f)) }},
	} {
		xs := f32Samples(r, tc.mbit, 8192)
		got := runMany(t, tB16, tF32, tc.body, xs, nil)
		for i, x := range xs {
			f := math.Float32frombits(uint32(x))
			want := tc.ref(f)
			if f != f {
				want = 0x7fff
			}
			if got[i] != want {
				t.Fatalf("%s of %g (%#x): got %#04x, want %#04x", tc.body, f, x, got[i], want)
			}
		}
	}
	all := make([]uint64, 1<<16)
	for i := range all {
		all[i] = uint64(i)
	}
	for _, tc := range []struct {
		body string
		ref  func(uint16) float32
	}{
		{"cvt.f32.f16 %d, %a;", func(h uint16) float32 { return device.F16(h).Float32() }},
		{"cvt.f32.bf16 %d, %a;", func(h uint16) float32 { return device.BF16(h).Float32() }},
	} {
		got := runMany(t, tF32, tB16, tc.body, all, nil)
		for i, g := range got {
			want := tc.ref(uint16(i))
			if g != f32b(want) && !(want != want && g == canonNaN32) {
				t.Fatalf("%s of %#04x: got %#x, want %#x", tc.body, i, g, f32b(want))
			}
		}
	}
}

// narrowRef rounds x to a narrow format by search over the format's
// values (from device's exact decoders, not cudasim's): the two finite
// neighbours of x, then the direction's choice; the pattern past the
// largest finite one stands for 2^(emax+1), as IEEE 754 rounds.
type narrowRef struct {
	vals  []float64 // value of each non-negative pattern, Inf last
	sign  uint64    // the sign bit of a pattern
	shift uint
}

func newNarrowRef(decode func(p uint32) float64, inf uint32, shift uint) narrowRef {
	vals := make([]float64, inf+1)
	for p := range vals {
		vals[p] = decode(uint32(p))
	}
	vals[inf] = 2*vals[inf-1] - vals[inf-2] // the next step after the largest finite value
	return narrowRef{vals, uint64(1) << bits.Len32(inf), shift}
}

func (n narrowRef) round(x float64, rnd uint8) uint64 {
	sign := uint64(0)
	if math.Signbit(x) {
		sign, x = n.sign, -x
	}
	inf := uint64(len(n.vals) - 1)
	i := sort.Search(len(n.vals), func(i int) bool { return n.vals[i] > x }) - 1 // vals[i] <= x
	lo, hi := uint64(i), uint64(i)+1
	var p uint64
	switch {
	case i == len(n.vals)-1:
		p = inf
	case n.vals[i] == x:
		p = lo
	case rnd == rndZ, rnd == rndM && sign == 0, rnd == rndP && sign != 0:
		p = lo
	case rnd == rndM, rnd == rndP:
		p = hi
	default:
		d1, d2 := x-n.vals[lo], n.vals[hi]-x
		switch {
		case d1 < d2:
			p = lo
		case d1 > d2, rnd == rndA:
			p = hi
		case lo&1 == 0:
			p = lo
		default:
			p = hi
		}
	}
	if p > inf {
		p = inf
	}
	if p == inf && (rnd == rndZ || rnd == rndM && sign == 0 || rnd == rndP && sign != 0) && x < math.Inf(1) {
		p = inf - 1
	}
	return (sign | p) << n.shift
}

// TestCvtNarrowDirected: every rounding direction of cvt to f16, bf16
// and tf32 from f32 (and f16 from f64 and s32) agrees with a search over
// the destination's values.
func TestCvtNarrowDirected(t *testing.T) {
	r := seeded(t)
	f16 := newNarrowRef(func(p uint32) float64 { return float64(device.F16(p).Float32()) }, 0x7c00, 0)
	bf16 := newNarrowRef(func(p uint32) float64 { return float64(device.BF16(p).Float32()) }, 0x7f80, 0)
	tf32 := newNarrowRef(func(p uint32) float64 { return float64(math.Float32frombits(p << 13)) }, 0x7f80<<3, 13)
	modes := []struct {
		name string
		rnd  uint8
	}{{"rn", rndN}, {"rz", rndZ}, {"rm", rndM}, {"rp", rndP}}
	for _, tc := range []struct {
		dst   string
		mbits uint
		ref   narrowRef
		modes []string
	}{
		{"f16", 10, f16, []string{"rn", "rz", "rm", "rp"}},
		{"bf16", 7, bf16, []string{"rn", "rz", "rm", "rp"}},
		{"tf32", 10, tf32, []string{"rna", "rn", "rz"}},
	} {
		xs := f32Samples(r, tc.mbits, 2048)
		for _, mode := range tc.modes {
			rnd := rndA
			for _, m := range modes {
				if m.name == mode {
					rnd = m.rnd
				}
			}
			dt, body := tB16, "cvt."+mode+"."+tc.dst+".f32 %rs1, %a; mov.b16 %d, %rs1;"
			if tc.dst == "tf32" {
				dt, body = tB32, "cvt."+mode+".tf32.f32 %d, %a;"
			}
			got := runMany(t, dt, tF32, body, xs, nil)
			for i, x := range xs {
				f := float64(math.Float32frombits(uint32(x)))
				want := tc.ref.round(f, rnd)
				if f != f {
					want = 0x7fff
					if tc.dst == "tf32" {
						want = canonNaN32
					}
				}
				if got[i] != want {
					t.Fatalf("%s of %g (%#x): got %#x, want %#x", body, f, x, got[i], want)
				}
			}
		}
	}
	// f64 and integer sources round once, straight to f16.
	var ds, is []uint64
	for range 1024 {
		ds = append(ds, f64b(math.Ldexp(r.Float64()-0.5, r.IntN(50)-30)))
		is = append(is, uint64(uint32(r.Int32N(1<<18)-1<<17)))
	}
	ds = append(ds, f64b(1+0x1p-11+0x1p-40), f64b(1+0x1p-11)) // above a tie only beyond float32's bits; a tie
	for _, m := range modes {
		got := runMany(t, tB16, tF64, "cvt."+m.name+".f16.f64 %rs1, %a; mov.b16 %d, %rs1;", ds, nil)
		for i, x := range ds {
			if want := f16.round(f64(x), m.rnd); got[i] != want {
				t.Fatalf("cvt.%s.f16.f64 of %g: got %#x, want %#x", m.name, f64(x), got[i], want)
			}
		}
		got = runMany(t, tB16, tS32, "cvt."+m.name+".f16.s32 %rs1, %a; mov.b16 %d, %rs1;", is, nil)
		for i, x := range is {
			if want := f16.round(float64(int32(x)), m.rnd); got[i] != want {
				t.Fatalf("cvt.%s.f16.s32 of %d: got %#x, want %#x", m.name, int32(x), got[i], want)
			}
		}
	}
}

// TestCvtHalfPairsAndModifiers: the x2 conversions put their first source
// in the upper half (PTX ISA, cvt); .relu, .satfinite and conversions to
// integers behave as the ISA states; .b16 and .f16x2 registers pack and
// unpack with mov.
func TestCvtHalfPairsAndModifiers(t *testing.T) {
	r := seeded(t)
	var a, b []uint64
	for range 256 {
		a = append(a, f32b(float32(r.NormFloat64()*100)))
		b = append(b, f32b(float32(r.NormFloat64()*1e-3)))
	}
	for _, tc := range []struct {
		body string
		one  func(float32) uint64
	}{
		{"cvt.rn.f16x2.f32 %d, %a, %b;", func(f float32) uint64 { return uint64(device.F16FromFloat32(f)) }},
		{"cvt.rn.bf16x2.f32 %d, %a, %b;", func(f float32) uint64 { return uint64(device.BF16FromFloat32(f)) }},
	} {
		got := runMany(t, tB32, tF32, tc.body, a, b)
		for i := range a {
			want := tc.one(f32(a[i]))<<16 | tc.one(f32(b[i]))
			if got[i] != want {
				t.Fatalf("%s with a=%g b=%g: got %#x, want %#x", tc.body, f32(a[i]), f32(b[i]), got[i], want)
			}
		}
	}
	checkCases(t, []opCase{
		{"cvt.rn.relu.f16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, f32b(-3), 0, 0, 0},
		{"cvt.rn.relu.bf16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, f32b(2), 0, 0, 0x4000},
		{"cvt.rn.relu.bf16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, nan32, 0, 0, 0x7fff},
		{"cvt.rn.satfinite.f16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, f32b(1e6), 0, 0, 0x7bff},
		{"cvt.rn.satfinite.f16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, f32b(float32(math.Inf(-1))), 0, 0, 0xfbff},
		{"cvt.rn.satfinite.f16.f32 %rs1, %a; mov.b16 %d, %rs1;", tB16, tF32, nan32, 0, 0, 0x7fff},
		{"cvt.rna.satfinite.tf32.f32 %d, %a;", tB32, tF32, f32b(math.MaxFloat32), 0, 0, 0x7f7fe000},
		{"cvt.rna.tf32.f32 %d, %a;", tB32, tF32, f32b(math.MaxFloat32), 0, 0, 0x7f800000},
		{"cvt.rn.satfinite.bf16x2.f32 %d, %a, %b;", tB32, tF32, f32b(float32(math.Inf(-1))), f32b(1), 0, 0xff7f3f80},
		{"cvt.rzi.s32.f16 %d, %a;", tS32, tB16, 0xc380, 0, 0, uint64(uint32(0xfffffffd))}, // -3.75 -> -3
		{"cvt.rni.s32.bf16 %d, %a;", tS32, tB16, 0x4020, 0, 0, 2},                         // 2.5 -> 2
		{"cvt.rzi.u8.f16 %d, %a;", tU32, tB16, 0x7c00, 0, 0, 255},
		{"cvt.rni.f16.f16 %d, %a;", tB16, tB16, 0x3e00, 0, 0, 0x4000}, // 1.5 -> 2
		{"cvt.f64.bf16 %d, %a;", tF64, tB16, 0xc2f7, 0, 0, f64b(-123.5)},
		{"cvt.rn.bf16.f16 %rs1, %a; mov.b16 %d, %rs1;", tB16, tB16, 0x3555, 0, 0, 0x3eab}, // 0.33325 in bf16
	})
	checkCases(t, []opCase{{`{ .reg .f16 lo, hi; .reg .bf16x2 p;
		mov.b32 {lo, hi}, %a; mov.b32 p, {hi, lo}; mov.b32 %d, p; }`, tB32, tB32, 0x3c00c000, 0, 0, 0xc0003c00}})
	// nvcc widens bf16 to f32 by packing it under a zero half.
	checkCases(t, []opCase{{"mov.b32 %d, {0, %a};", tF32, tB16, 0xc2f7, 0, 0, 0xc2f70000}})
}
