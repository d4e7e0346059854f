package device

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// halfFormat describes a 16-bit float format for the reference rounding:
// its positive finite bit patterns are 0..maxFinite, increasing in value,
// and inf is the pattern of +Inf.
type halfFormat struct {
	name      string
	maxFinite uint16
	inf       uint16
	toF32     func(uint16) float32
	fromF32   func(float32) uint16
	// overflow is the value that stands for +Inf when rounding: the next
	// power of two past the largest finite value, as IEEE rounding treats it.
	overflow float64
}

var halfFormats = []halfFormat{
	{"float16", 0x7bff, 0x7c00,
		func(h uint16) float32 { return F16(h).Float32() },
		func(f float32) uint16 { return uint16(F16FromFloat32(f)) }, 65536},
	{"bfloat16", 0x7f7f, 0x7f80,
		func(h uint16) float32 { return BF16(h).Float32() },
		func(f float32) uint16 { return uint16(BF16FromFloat32(f)) }, math.Ldexp(1, 128)},
}

// refRound rounds x to the format by searching its table of values in
// float64, ties to the even pattern: independent of the bit tricks.
func (hf halfFormat) refRound(table []float64, x float32) uint16 {
	v := math.Abs(float64(x))
	var sign uint16
	if math.Signbit(float64(x)) {
		sign = 0x8000
	}
	if math.IsNaN(v) {
		return 0xffff // any NaN; the caller checks NaN-ness only
	}
	i := sort.SearchFloat64s(table, v) // table[i] >= v
	if i == len(table) {
		return sign | hf.inf
	}
	if table[i] == v || i == 0 {
		return sign | hf.code(i, len(table))
	}
	lo, hi := v-table[i-1], table[i]-v
	if lo < hi || lo == hi && (i-1)%2 == 0 {
		return sign | hf.code(i-1, len(table))
	}
	return sign | hf.code(i, len(table))
}

func (hf halfFormat) code(i, n int) uint16 {
	if i == n-1 {
		return hf.inf
	}
	return uint16(i)
}

func (hf halfFormat) table() []float64 {
	t := make([]float64, 0, int(hf.maxFinite)+2)
	for h := uint16(0); h <= hf.maxFinite; h++ {
		t = append(t, float64(hf.toF32(h)))
	}
	return append(t, hf.overflow)
}

// TestHalfRoundTrip: every 16-bit pattern converts to float32 and back to
// itself (NaNs to a NaN), and to the value the format defines.
func TestHalfRoundTrip(t *testing.T) {
	for _, hf := range halfFormats {
		for i := 0; i < 1<<16; i++ {
			h := uint16(i)
			f := hf.toF32(h)
			back := hf.fromF32(f)
			isNaN := h&0x7fff > hf.inf
			if isNaN {
				if !math.IsNaN(float64(f)) || hf.fromF32(f)&0x7fff <= hf.inf {
					t.Fatalf("%s %#04x: NaN became %v / %#04x", hf.name, h, f, back)
				}
				continue
			}
			if back != h {
				t.Fatalf("%s %#04x -> %v -> %#04x", hf.name, h, f, back)
			}
		}
	}
	checks := []struct {
		got, want float32
	}{
		{F16(0x3c00).Float32(), 1}, {F16(0x7bff).Float32(), 65504}, {F16(0x0001).Float32(), float32(math.Ldexp(1, -24))},
		{F16(0x0400).Float32(), float32(math.Ldexp(1, -14))}, {F16(0xc000).Float32(), -2},
		{BF16(0x3f80).Float32(), 1}, {BF16(0xc2f7).Float32(), -123.5},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
}

// TestHalfRounding compares the conversions from float32 with a table
// search in float64 at every midpoint between neighbouring 16-bit values
// (and one float32 ulp either side), at the edges of both ranges, and at
// random float32 bit patterns.
func TestHalfRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, hf := range halfFormats {
		table := hf.table()
		var inputs []float32
		for i := 0; i+1 < len(table); i++ {
			mid := float32((table[i] + table[i+1]) / 2) // exact: midpoints fit float32
			inputs = append(inputs, float32(table[i]), mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, float32(math.Inf(1))))
		}
		inputs = append(inputs, 0, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.NaN()),
			65519.99, 65520, 65536, 1e-8, 2.98e-8, 2.9802322e-08, 5.96e-8)
		for i := 0; i < 1<<20; i++ {
			inputs = append(inputs, math.Float32frombits(rng.Uint32()))
		}
		for _, x := range inputs {
			for _, v := range []float32{x, -x} {
				got, want := hf.fromF32(v), hf.refRound(table, v)
				if math.IsNaN(float64(v)) {
					if got&0x7fff <= hf.inf {
						t.Fatalf("%s(%v) = %#04x, not a NaN", hf.name, v, got)
					}
					continue
				}
				if got != want {
					t.Fatalf("%s(%v = %#08x) = %#04x (%v), want %#04x (%v)", hf.name, v, math.Float32bits(v),
						got, hf.toF32(got), want, hf.toF32(want))
				}
			}
		}
	}
}

func TestHalfDTypes(t *testing.T) {
	for _, c := range []struct {
		dt           DType
		size         int
		name, suffix string
	}{{BFloat16, 2, "bfloat16", "bf16"}, {Float16, 2, "float16", "f16"}} {
		if c.dt.Size() != c.size || c.dt.String() != c.name || c.dt.Suffix() != c.suffix || !c.dt.IsFloat() || !c.dt.IsHalf() {
			t.Errorf("%v: size %d, name %q, suffix %q, float %v, half %v", c.dt, c.dt.Size(), c.dt.String(), c.dt.Suffix(), c.dt.IsFloat(), c.dt.IsHalf())
		}
	}
	if Float32.IsHalf() || Int32.IsFloat() {
		t.Error("Float32 is not half, Int32 is not float")
	}
	if n, ok := Float16.Bytes(3); !ok || n != 6 {
		t.Errorf("Float16.Bytes(3) = %d, %v", n, ok)
	}
}
