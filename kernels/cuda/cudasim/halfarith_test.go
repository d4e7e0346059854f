package cudasim

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// roundBig rounds an exact value to nearest even in the format, by search
// over its values: the reference for half arithmetic, independent of
// cudasim's rounding.
func (n narrowRef) roundBig(x *big.Float) uint64 {
	sign := uint64(0)
	if x.Signbit() {
		sign = n.sign
		x = new(big.Float).Neg(x)
	}
	val := func(i int) *big.Float { return new(big.Float).SetFloat64(n.vals[i]) }
	i := sort.Search(len(n.vals), func(i int) bool { return val(i).Cmp(x) > 0 }) - 1
	if i == len(n.vals)-1 {
		return (sign | uint64(i)) << n.shift
	}
	d1 := new(big.Float).Sub(x, val(i))
	d2 := new(big.Float).Sub(val(i+1), x)
	p := uint64(i)
	if c := d1.Cmp(d2); c > 0 || c == 0 && i&1 == 1 {
		p++
	}
	return (sign | p) << n.shift
}

// halfRef computes op on half patterns exactly (big.Float) and rounds
// once; NaN gives the canonical 0x7fff and infinities follow float64.
func halfRef(ref narrowRef, dec func(uint64) float64, op string, a, b, c uint64) uint64 {
	x, y, z := dec(a), dec(b), dec(c)
	var f float64
	switch op {
	case "add":
		f = x + y
	case "sub":
		f = x - y
	case "mul":
		f = x * y
	case "fma":
		f = math.FMA(x, y, z)
	}
	if f != f {
		return 0x7fff
	}
	if math.IsInf(f, 0) || math.IsInf(x, 0) || math.IsInf(y, 0) || math.IsInf(z, 0) {
		return ref.round(f, rndN)
	}
	e := func(v float64) *big.Float { return new(big.Float).SetPrec(2000).SetFloat64(v) }
	r := e(0)
	switch op {
	case "add":
		r.Add(e(x), e(y))
	case "sub":
		r.Sub(e(x), e(y))
	case "mul":
		r.Mul(e(x), e(y))
	case "fma":
		r.Mul(e(x), e(y))
		r.Add(r, e(z))
	}
	if r.Sign() == 0 {
		return ref.round(f, rndN) // the sign of a zero result, as float64 has it
	}
	return ref.roundBig(r)
}

// TestHalfArithmetic: add, sub, mul and fma on .f16, .bf16, .f16x2 and
// .bf16x2 give the exact result rounded once, for random patterns of
// every kind (subnormals, infinities and NaNs included), each half of a
// pair on its own.
func TestHalfArithmetic(t *testing.T) {
	r := seeded(t)
	f16 := newNarrowRef(func(p uint32) float64 { return float64(device.F16(p).Float32()) }, 0x7c00, 0)
	bf16 := newNarrowRef(func(p uint32) float64 { return float64(device.BF16(p).Float32()) }, 0x7f80, 0)
	decF16 := func(p uint64) float64 { return float64(device.F16(p).Float32()) }
	decBF16 := func(p uint64) float64 { return float64(device.BF16(p).Float32()) }
	pattern := func(r *rand.Rand) uint64 {
		p := uint64(r.Uint32() & 0xffff)
		if r.IntN(8) == 0 {
			p &= 0x83ff // a subnormal or zero
		}
		return p
	}
	const n = 512
	a, b, c := make([]uint64, n), make([]uint64, n), make([]uint64, n)
	for i := range a {
		a[i] = pattern(r) | pattern(r)<<16
		b[i] = pattern(r) | pattern(r)<<16
		c[i] = pattern(r) | pattern(r)<<16
	}
	for _, typ := range []string{"f16", "bf16", "f16x2", "bf16x2"} {
		ref, dec := f16, decF16
		if typ[0] == 'b' {
			ref, dec = bf16, decBF16
		}
		pair := len(typ) > 4
		for _, op := range []string{"add", "sub", "mul", "fma"} {
			args := "%a, %b"
			if op == "fma" {
				args += ", %c"
			}
			body := fmt.Sprintf("%s.rn.%s %%d, %s;", op, typ, args)
			rt := tB16
			if pair {
				rt = tB32
			}
			got := runOp(t, rt, rt, body, mask(a, pair), mask(b, pair), mask(c, pair))
			for i := range got {
				want := halfRef(ref, dec, op, a[i]&0xffff, b[i]&0xffff, c[i]&0xffff)
				if pair {
					want |= halfRef(ref, dec, op, a[i]>>16, b[i]>>16, c[i]>>16) << 16
				}
				if got[i] != want {
					t.Fatalf("%s with a=%#x b=%#x c=%#x: got %#x, want %#x", body, a[i], b[i], c[i], got[i], want)
				}
			}
		}
	}
}

// mask keeps the low half of each pattern unless pair.
func mask(xs []uint64, pair bool) []uint64 {
	if pair {
		return xs
	}
	out := make([]uint64, len(xs))
	for i, x := range xs {
		out[i] = x & 0xffff
	}
	return out
}

// TestHalfSpecialCases: the case where rounding the float64 fma first
// would round twice (a bf16 product exactly on a tie plus a tiny c), the
// modifiers, min/max NaN and signed-zero rules, neg/abs, ex2 and setp
// (on pairs: p from the low halves, q from the high ones).
func TestHalfSpecialCases(t *testing.T) {
	checkCases(t, []opCase{
		// 1.0625^2 = 1.12890625, a bf16 tie; + 2^-100 must round up.
		{"fma.rn.bf16 %d, %a, %b, %c;", tB16, tB16, 0x3f88, 0x3f88, 0x0d80, 0x3f91},
		{"fma.rn.bf16 %d, %a, %b, %c;", tB16, tB16, 0x3f88, 0x3f88, 0x8d80, 0x3f90},
		{"fma.rn.relu.f16 %d, %a, %b, %c;", tB16, tB16, 0xc000, 0x3c00, 0x3c00, 0},       // -2*1+1
		{"fma.rn.relu.bf16 %d, %a, %b, %c;", tB16, tB16, 0x4000, 0x3f80, 0x3f80, 0x4040}, // 2*1+1
		{"add.rn.sat.f16 %d, %a, %b;", tB16, tB16, 0x3c00, 0x3c00, 0, 0x3c00},            // 2 -> 1
		{"mul.rn.sat.f16 %d, %a, %b;", tB16, tB16, 0x7e00, 0x3c00, 0, 0},                 // NaN -> 0
		{"add.rn.ftz.f16 %d, %a, %b;", tB16, tB16, 0x0001, 0x0001, 0, 0},                 // subnormals flushed
		{"add.rn.f16 %d, %a, %b;", tB16, tB16, 0x0001, 0x0001, 0, 0x0002},                // kept
		{"mul.rn.ftz.f16 %d, %a, %b;", tB16, tB16, 0x8400, 0x3800, 0, 0x8000},            // -2^-14 * 0.5
		{"min.f16 %d, %a, %b;", tB16, tB16, 0x7e00, 0xbc00, 0, 0xbc00},                   // NaN, -1
		{"max.NaN.bf16 %d, %a, %b;", tB16, tB16, 0x7fc1, 0x3f80, 0, 0x7fff},              // NaN wins
		{"min.bf16 %d, %a, %b;", tB16, tB16, 0x0000, 0x8000, 0, 0x8000},                  // -0 < +0
		{"max.f16x2 %d, %a, %b;", tB32, tB32, 0x3c00c000, 0x4000bc00, 0, 0x4000bc00},     // (1, -2) vs (2, -1)
		{"neg.f16 %d, %a;", tB16, tB16, 0x3c00, 0, 0, 0xbc00},
		{"{ .reg.b16 r; mov.b16 r, %a; neg.f16 %d, r; }", tB16, tB16, 0xbc00, 0, 0, 0x3c00}, // cuda_fp16.h's spelling
		{"abs.bf16x2 %d, %a;", tB32, tB32, 0xbf80c000, 0, 0, 0x3f804000},
		{"neg.ftz.f16 %d, %a;", tB16, tB16, 0x0200, 0, 0, 0x8000},
		{"ex2.approx.f16 %d, %a;", tB16, tB16, 0x4000, 0, 0, 0x4400},                           // 2^2 = 4
		{"ex2.approx.ftz.bf16x2 %d, %a;", tB32, tB32, 0xbf803f80, 0, 0, 0x3f004000},            // 2^-1, 2^1
		{"ex2.approx.f16 %d, %a;", tB16, tB16, 0x3800, 0, 0, 0x3da8},                           // sqrt 2 = 1.41406
		{"setp.lt.f16 %p1, %a, %b; selp.u32 %d, 1, 0, %p1;", tU32, tB16, 0xbc00, 0x0000, 0, 1}, // -1 < 0
		{"setp.gtu.bf16 %p1, %a, %b; selp.u32 %d, 1, 0, %p1;", tU32, tB16, 0x7fc0, 0, 0, 1},
		{"setp.eq.ftz.f16 %p1, %a, %b; selp.u32 %d, 1, 0, %p1;", tU32, tB16, 0x0001, 0x8000, 0, 1},
		{"setp.lt.f16x2 %p1|%p2, %a, %b; selp.u32 %r1, 1, 0, %p1; selp.u32 %r2, 2, 0, %p2; or.b32 %d, %r1, %r2;",
			tU32, tB32, 0x3c00c000, 0x4000bc00, 0, 1 | 2}, // low: -2 < -1, high: 1 < 2
		{"setp.lt.bf16x2 %p1|%p2, %a, %b; selp.u32 %r1, 1, 0, %p1; selp.u32 %r2, 2, 0, %p2; or.b32 %d, %r1, %r2;",
			tU32, tB32, 0x40003f80, 0x3f804000, 0, 1}, // low: 1 < 2, high: 2 < 1 is false
	})
}

// TestNvccHalfKernel runs half arithmetic as nvcc 11.8 emits it for
// compute_80 (cuda_fp16.h and cuda_bf16.h inline assembly: ".reg.b32"
// declarations, mov.b32 packing, fma.rn.bf16 for a bf16 add) against the
// exact reference.
func TestNvccHalfKernel(t *testing.T) {
	r := seeded(t)
	const n = 300
	s := New()
	f := kernel(t, loadTestdata(t, s, "sm80/half.ptx"), "half_ops")
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	out := upload(t, s, make([]uint8, 16*n))
	if err := s.Launch(f, driver.Dim3{X: 3}, driver.Dim3{X: 128}, 0, upload(t, s, x), out, int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[uint8](t, s, out, 16*n)
	f16 := newNarrowRef(func(p uint32) float64 { return float64(device.F16(p).Float32()) }, 0x7c00, 0)
	bf16 := newNarrowRef(func(p uint32) float64 { return float64(device.BF16(p).Float32()) }, 0x7f80, 0)
	decF16 := func(p uint64) float64 { return float64(device.F16(p).Float32()) }
	decBF16 := func(p uint64) float64 { return float64(device.BF16(p).Float32()) }
	for i := range n {
		a, b, c := x[i], x[(i+1)%n], x[(i+2)%n]
		ha, hb, hc := uint64(device.F16FromFloat32(a)), uint64(device.F16FromFloat32(b)), uint64(device.F16FromFloat32(c))
		ba, bb, bc := uint64(device.BF16FromFloat32(a)), uint64(device.BF16FromFloat32(b)), uint64(device.BF16FromFloat32(c))
		lt := uint64(0)
		if decF16(ha) < decF16(hb) {
			lt = 1
		}
		want := []uint64{
			halfRef(f16, decF16, "fma", ha, hb, hc),
			halfRef(bf16, decBF16, "fma", ba, bb, bc),
			halfRef(f16, decF16, "mul", ha, hb, 0),
			halfRef(bf16, decBF16, "add", ba, bb, 0),
			halfRef(f16, decF16, "mul", ha, hc, 0),
			halfRef(f16, decF16, "mul", hb, ha, 0),
			uint64(device.F16FromFloat32(device.BF16(ba).Float32() + device.F16(hb).Float32())),
			lt,
		}
		for k, w := range want {
			if g := uint64(got[16*i+2*k]) | uint64(got[16*i+2*k+1])<<8; g != w {
				t.Fatalf("element %d (x=%g, %g, %g) result %d: got %#04x, want %#04x", i, a, b, c, k, g, w)
			}
		}
	}
}

// TestHalfContraction: in ModeGPU a half mul followed by an add or sub of
// its result (cuda_fp16.h's __hmul and __hadd write them without .rn) is
// one fma, as ptxas fuses it; ModeExact rounds the product first.
func TestHalfContraction(t *testing.T) {
	r := seeded(t)
	f16 := newNarrowRef(func(p uint32) float64 { return float64(device.F16(p).Float32()) }, 0x7c00, 0)
	bf16 := newNarrowRef(func(p uint32) float64 { return float64(device.BF16(p).Float32()) }, 0x7f80, 0)
	decF16 := func(p uint64) float64 { return float64(device.F16(p).Float32()) }
	decBF16 := func(p uint64) float64 { return float64(device.BF16(p).Float32()) }
	var a, b, c []uint64
	for range 256 {
		a = append(a, uint64(device.F16FromFloat32(float32(r.NormFloat64()))))
		b = append(b, uint64(device.F16FromFloat32(float32(r.NormFloat64()))))
		c = append(c, uint64(device.F16FromFloat32(float32(r.NormFloat64()))))
	}
	for _, typ := range []string{"f16", "bf16"} {
		ref, dec := f16, decF16
		if typ == "bf16" {
			ref, dec = bf16, decBF16
		}
		body := "{ .reg .b16 p; mul." + typ + " p, %a, %b; sub." + typ + " %d, %c, p; }"
		gpu := runOpOn(t, New(WithMode(ModeGPU)), tB16, tB16, body, a, b, c)
		exact := runOpOn(t, New(), tB16, tB16, body, a, b, c)
		fused := 0
		for i := range a {
			if want := halfRef(ref, dec, "fma", a[i]^0x8000, b[i], c[i]); gpu[i] != want {
				t.Fatalf("%s ModeGPU c-a*b with a=%#x b=%#x c=%#x: got %#x, want the fma %#x", typ, a[i], b[i], c[i], gpu[i], want)
			}
			p := halfRef(ref, dec, "mul", a[i], b[i], 0)
			if want := halfRef(ref, dec, "sub", c[i], p, 0); exact[i] != want {
				t.Fatalf("%s ModeExact c-a*b with a=%#x b=%#x c=%#x: got %#x, want %#x", typ, a[i], b[i], c[i], exact[i], want)
			}
			if gpu[i] != exact[i] {
				fused++
			}
		}
		if fused == 0 {
			t.Errorf("%s: no result changed when fused", typ)
		}
	}
}
