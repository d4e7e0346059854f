package cudasim

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// opKernel is a one-instruction test kernel: each thread loads a, b, c
// of type src, runs body (which writes %d of type dst) and stores %d.
const opKernel = `.version 7.8
.target sm_70
.address_size 64
.visible .entry k(.param .u64 pd, .param .u64 pa, .param .u64 pb, .param .u64 pc)
{
	.reg .pred %p<4>;
	.reg .b32 %r<4>;
	.reg .b16 %rs<4>;
	.reg .b32 %tx;
	.reg .b64 %rd<12>;
	.reg .SRC %a, %b, %c;
	.reg .DST %d;
	ld.param.u64 %rd1, [pd];
	ld.param.u64 %rd2, [pa];
	ld.param.u64 %rd3, [pb];
	ld.param.u64 %rd4, [pc];
	mov.u32 %tx, %tid.x;
	mul.wide.u32 %rd5, %tx, SSIZE;
	add.s64 %rd6, %rd2, %rd5;
	ld.global.SRC %a, [%rd6];
	add.s64 %rd7, %rd3, %rd5;
	ld.global.SRC %b, [%rd7];
	add.s64 %rd8, %rd4, %rd5;
	ld.global.SRC %c, [%rd8];
	BODY
	mul.wide.u32 %rd9, %tx, DSIZE;
	add.s64 %rd10, %rd1, %rd9;
	st.global.DST [%rd10], %d;
	ret;
}
`

// runOp runs body over the operand bit patterns (one thread per element;
// b and c default to a) and returns the result bit patterns.
func runOp(t *testing.T, dst, src ptype, body string, a, b, c []uint64) []uint64 {
	t.Helper()
	return runOpOn(t, New(), dst, src, body, a, b, c)
}

// runOpOn is runOp on a given simulator.
func runOpOn(t *testing.T, s *Sim, dst, src ptype, body string, a, b, c []uint64) []uint64 {
	t.Helper()
	if b == nil {
		b = a
	}
	if c == nil {
		c = a
	}
	r := strings.NewReplacer("SRC", src.String(), "DST", dst.String(), "SSIZE", fmt.Sprint(src.size()),
		"DSIZE", fmt.Sprint(dst.size()), "BODY", body)
	m, err := s.Load("op.ptx", r.Replace(opKernel))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(xs []uint64, size int) driver.DevPtr {
		buf := make([]byte, len(a)*size)
		for i, x := range xs {
			putLE(buf[i*size:], size, x)
		}
		p, err := s.Alloc(len(buf))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CopyHtoD(p, buf); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := enc(make([]uint64, len(a)), dst.size())
	if err := s.Launch(kernel(t, m, "k"), driver.Dim3{X: 1}, driver.Dim3{X: len(a)}, 0,
		out, enc(a, src.size()), enc(b, src.size()), enc(c, src.size())); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	buf := make([]byte, len(a)*dst.size())
	if err := s.CopyDtoH(buf, out); err != nil {
		t.Fatal(err)
	}
	res := make([]uint64, len(a))
	for i := range res {
		res[i] = getLE(buf[i*dst.size():], dst.size(), false)
	}
	return res
}

func f32b(f float32) uint64 { return uint64(math.Float32bits(f)) }
func f64b(f float64) uint64 { return math.Float64bits(f) }

var (
	nan32  = f32b(float32(math.NaN()))
	nan64  = f64b(math.NaN())
	negz32 = f32b(float32(math.Copysign(0, -1)))
)

// opCase is one instruction applied to operands with the expected bits.
type opCase struct {
	body     string
	dst, src ptype
	a, b, c  uint64
	want     uint64
}

func checkCases(t *testing.T, cases []opCase) {
	for _, tc := range cases {
		got := runOp(t, tc.dst, tc.src, tc.body, []uint64{tc.a}, []uint64{tc.b}, []uint64{tc.c})[0]
		if got != tc.want {
			t.Errorf("%s with a=%#x b=%#x c=%#x: got %#x, want %#x", tc.body, tc.a, tc.b, tc.c, got, tc.want)
		}
	}
}

func TestMinMaxNaNRules(t *testing.T) {
	one, two := f32b(1), f32b(2)
	checkCases(t, []opCase{
		{"min.f32 %d, %a, %b;", tF32, tF32, nan32, one, 0, one},
		{"min.f32 %d, %a, %b;", tF32, tF32, one, nan32, 0, one},
		{"max.f32 %d, %a, %b;", tF32, tF32, nan32, nan32, 0, canonNaN32},
		{"min.NaN.f32 %d, %a, %b;", tF32, tF32, nan32, one, 0, canonNaN32},
		{"min.f32 %d, %a, %b;", tF32, tF32, 0, negz32, 0, negz32},
		{"max.f32 %d, %a, %b;", tF32, tF32, negz32, 0, 0, 0},
		{"max.f32 %d, %a, %b;", tF32, tF32, one, two, 0, two},
		{"max.f64 %d, %a, %b;", tF64, tF64, nan64, f64b(-3), 0, f64b(-3)},
		{"min.f64 %d, %a, %b;", tF64, tF64, f64b(math.Inf(-1)), nan64, 0, f64b(math.Inf(-1))},
	})
}

func TestCvtSaturationAndRounding(t *testing.T) {
	i32 := func(v int32) uint64 { return uint64(uint32(v)) }
	checkCases(t, []opCase{
		{"cvt.rzi.s32.f32 %d, %a;", tS32, tF32, nan32, 0, 0, 0},
		{"cvt.rzi.s32.f32 %d, %a;", tS32, tF32, f32b(3e9), 0, 0, i32(math.MaxInt32)},
		{"cvt.rzi.s32.f32 %d, %a;", tS32, tF32, f32b(-3e9), 0, 0, i32(math.MinInt32)},
		{"cvt.rzi.s32.f32 %d, %a;", tS32, tF32, f32b(float32(math.Inf(1))), 0, 0, i32(math.MaxInt32)},
		{"cvt.rzi.s32.f32 %d, %a;", tS32, tF32, f32b(-1.7), 0, 0, i32(-1)},
		{"cvt.rni.s32.f32 %d, %a;", tS32, tF32, f32b(2.5), 0, 0, 2},
		{"cvt.rni.s32.f32 %d, %a;", tS32, tF32, f32b(-3.5), 0, 0, i32(-4)},
		{"cvt.rmi.s32.f32 %d, %a;", tS32, tF32, f32b(-1.5), 0, 0, i32(-2)},
		{"cvt.rpi.s32.f32 %d, %a;", tS32, tF32, f32b(1.25), 0, 0, 2},
		{"cvt.rzi.u32.f32 %d, %a;", tU32, tF32, f32b(-5), 0, 0, 0},
		{"cvt.rzi.u32.f32 %d, %a;", tU32, tF32, f32b(5e9), 0, 0, math.MaxUint32},
		{"cvt.rzi.s64.f64 %d, %a;", tS64, tF64, f64b(1e30), 0, 0, math.MaxInt64},
		{"cvt.rzi.s64.f64 %d, %a;", tS64, tF64, nan64, 0, 0, 0},
		{"cvt.rzi.u64.f64 %d, %a;", tU64, tF64, f64b(-1e30), 0, 0, 0},
		{"cvt.sat.f32.f32 %d, %a;", tF32, tF32, f32b(1.5), 0, 0, f32b(1)},
		{"cvt.sat.f32.f32 %d, %a;", tF32, tF32, f32b(-2), 0, 0, 0},
		{"cvt.sat.f32.f32 %d, %a;", tF32, tF32, nan32, 0, 0, 0},
		{"cvt.rn.f32.f64 %d, %a;", tF32, tF64, f64b(1 + 0x1p-30), 0, 0, f32b(1)},
		{"cvt.rp.f32.f64 %d, %a;", tF32, tF64, f64b(1 + 0x1p-40), 0, 0, f32b(1 + 0x1p-23)},
		{"cvt.rm.f32.f64 %d, %a;", tF32, tF64, f64b(-1 - 0x1p-40), 0, 0, f32b(-1 - 0x1p-23)},
		{"cvt.rz.f32.f64 %d, %a;", tF32, tF64, f64b(1e39), 0, 0, f32b(math.MaxFloat32)},
		{"cvt.rn.f32.f64 %d, %a;", tF32, tF64, f64b(1e39), 0, 0, f32b(float32(math.Inf(1)))},
		{"cvt.rn.f32.s64 %d, %a;", tF32, tS64, 1<<60 + 1, 0, 0, f32b(0x1p60)},
		{"cvt.rp.f32.s64 %d, %a;", tF32, tS64, 1<<60 + 1, 0, 0, f32b(0x1p60 + 0x1p37)},
		{"cvt.rn.f64.u64 %d, %a;", tF64, tU64, math.MaxUint64, 0, 0, f64b(0x1p64)},
		{"cvt.rz.f64.u64 %d, %a;", tF64, tU64, math.MaxUint64, 0, 0, f64b(0x1p64 - 0x1p11)},
		{"cvt.sat.s32.s64 %d, %a;", tS32, tS64, 1 << 40, 0, 0, i32(math.MaxInt32)},
		{"cvt.sat.u32.s64 %d, %a;", tU32, tS64, uint64(math.MaxUint64), 0, 0, 0},
		{"cvt.s64.s32 %d, %a;", tS64, tS32, i32(-7), 0, 0, uint64(math.MaxUint64 - 6)},
		{"cvt.u64.u32 %d, %a;", tU64, tU32, i32(-7), 0, 0, uint64(uint32(math.MaxUint32 - 6))},
		{"cvt.rn.f16.f32 %r1, %a; cvt.f32.f16 %d, %r1;", tF32, tF32, f32b(1.0 / 3), 0, 0, f32b(0.333251953125)},
		{"cvt.rn.f16.f32 %r1, %a; mov.b32 %d, %r1;", tB32, tF32, f32b(70000), 0, 0, 0x7c00},
	})
}

func TestFlushToZero(t *testing.T) {
	sub := f32b(1e-39) // subnormal
	checkCases(t, []opCase{
		{"add.f32 %d, %a, %b;", tF32, tF32, sub, 0, 0, sub},
		{"add.ftz.f32 %d, %a, %b;", tF32, tF32, sub, 0, 0, 0},
		{"mul.ftz.f32 %d, %a, %b;", tF32, tF32, f32b(-1e-20), f32b(1e-20), 0, negz32},
		{"mul.f32 %d, %a, %b;", tF32, tF32, f32b(1e-20), f32b(1e-20), 0, f32b(1e-20 * 1e-20)},
		{"setp.eq.ftz.f32 %p1, %a, %b; selp.u32 %d, 1, 0, %p1;", tU32, tF32, sub, 0, 0, 1},
		{"setp.eq.f32 %p1, %a, %b; selp.u32 %d, 1, 0, %p1;", tU32, tF32, sub, 0, 0, 0},
		{"cvt.ftz.f64.f32 %d, %a;", tF64, tF32, sub, 0, 0, 0},
		{"fma.rn.ftz.f32 %d, %a, %b, %c;", tF32, tF32, f32b(1e-20), f32b(1e-20), 0, 0},
	})
}

func TestUnorderedCompares(t *testing.T) {
	one := f32b(1)
	var cases []opCase
	for _, c := range []struct {
		cmp  string
		a, b uint64
		want uint64
	}{
		{"lt", nan32, one, 0}, {"ltu", nan32, one, 1}, {"ne", nan32, nan32, 0}, {"neu", nan32, nan32, 1},
		{"eq", nan32, nan32, 0}, {"equ", nan32, one, 1}, {"ge", one, nan32, 0}, {"geu", one, nan32, 1},
		{"num", one, one, 1}, {"num", one, nan32, 0}, {"nan", nan32, one, 1}, {"nan", one, one, 0},
		{"ne", one, f32b(2), 1}, {"gtu", f32b(2), one, 1}, {"leu", f32b(2), one, 0},
	} {
		cases = append(cases, opCase{fmt.Sprintf("setp.%s.f32 %%p1, %%a, %%b; selp.u32 %%d, 1, 0, %%p1;", c.cmp),
			tU32, tF32, c.a, c.b, 0, c.want})
	}
	cases = append(cases,
		opCase{"setp.lt.and.f32 %p1|%p2, %a, %b, 1; selp.u32 %r1, 1, 0, %p1; selp.u32 %r2, 2, 0, %p2; or.b32 %d, %r1, %r2;",
			tU32, tF32, nan32, one, 0, 2},
		opCase{"setp.lt.s32 %p1, %a, %b; setp.lo.u32 %p2, %a, %b; selp.u32 %r1, 1, 0, %p1; selp.u32 %r2, 2, 0, %p2; or.b32 %d, %r1, %r2;",
			tU32, tS32, uint64(math.MaxUint32), 1, 0, 1})
	checkCases(t, cases)
}

func TestIntegerDivisionByZero(t *testing.T) {
	i32 := func(v int32) uint64 { return uint64(uint32(v)) }
	checkCases(t, []opCase{
		{"div.u32 %d, %a, %b;", tU32, tU32, 17, 0, 0, math.MaxUint32},
		{"rem.u32 %d, %a, %b;", tU32, tU32, 17, 0, 0, 17},
		{"div.s32 %d, %a, %b;", tS32, tS32, 5, 0, 0, i32(-1)},
		{"div.s32 %d, %a, %b;", tS32, tS32, i32(-5), 0, 0, 1},
		{"rem.s32 %d, %a, %b;", tS32, tS32, i32(-7), 0, 0, i32(-7)},
		{"div.s32 %d, %a, %b;", tS32, tS32, i32(math.MinInt32), i32(-1), 0, i32(math.MinInt32)},
		{"rem.s32 %d, %a, %b;", tS32, tS32, i32(math.MinInt32), i32(-1), 0, 0},
		{"div.u64 %d, %a, %b;", tU64, tU64, 17, 0, 0, math.MaxUint64},
		{"div.s64 %d, %a, %b;", tS64, tS64, 1 << 63, math.MaxUint64, 0, 1 << 63},
		{"rem.s64 %d, %a, %b;", tS64, tS64, 99, 0, 0, 99},
		{"shl.b32 %d, %a, 40;", tB32, tB32, 3, 0, 0, 0},
		{"shr.s32 %d, %a, 40;", tS32, tS32, i32(-8), 0, 0, i32(-1)},
		{"shr.u32 %d, %a, 33;", tU32, tU32, i32(-8), 0, 0, 0},
		{"add.sat.s32 %d, %a, %b;", tS32, tS32, i32(math.MaxInt32), 1, 0, i32(math.MaxInt32)},
		{"sub.sat.s32 %d, %a, %b;", tS32, tS32, i32(math.MinInt32), 1, 0, i32(math.MinInt32)},
	})
}

func TestFmaRoundsOnce(t *testing.T) {
	// a*b + 1 lies just above the float32 halfway point 1 + 2^-24, within
	// half a float64 ulp of it: rounding through float64 would tie to 1.
	checkCases(t, []opCase{
		{"fma.rn.f32 %d, %a, %b, %c;", tF32, tF32, 0x3f8007e0, 0x337ff041, f32b(1), 0x3f800001},
		{"mad.rn.f32 %d, %a, %b, %c;", tF32, tF32, 0x3f8007e1, 0x337ff03f, f32b(1), 0x3f800001},
		{"fma.rn.ftz.f32 %d, %a, %b, %c;", tF32, tF32, 0x3f8007e2, 0x337ff03d, f32b(1), 0x3f800001},
	})
}

func TestBitFieldsAndCarries(t *testing.T) {
	checkCases(t, []opCase{
		{"bfe.u32 %d, %a, 4, 8;", tU32, tU32, 0xF0F0F0F0, 0, 0, 0x0F},
		{"bfe.s32 %d, %a, 8, 4;", tS32, tS32, 0x00000F00, 0, 0, 0xFFFFFFFF},
		{"bfe.s32 %d, %a, 30, 8;", tS32, tS32, 0x80000000, 0, 0, 0xFFFFFFFE},
		{"bfe.u32 %d, %a, 3, 0;", tU32, tU32, 0xFFFFFFFF, 0, 0, 0},
		{"bfe.u64 %d, %a, 60, 8;", tU64, tU64, 0xF000000000000000, 0, 0, 0xF},
		{"bfi.b32 %d, %a, %b, 4, 8;", tB32, tB32, 0xF, 0xFFFF0000, 0, 0xFFFF00F0},
		{"prmt.b32.f4e %d, %a, %b, 1;", tB32, tB32, 0x44332211, 0x88776655, 0, 0x55443322},
		{"add.cc.u32 %r1, %a, %b; addc.u32 %d, %a, %b;", tU32, tU32, 0xFFFFFFFF, 1, 0, 1},
		{"sub.cc.u32 %r1, %a, %b; subc.u32 %d, %a, %b;", tU32, tU32, 0, 1, 0, 0xFFFFFFFE},
		{"mad.lo.cc.u32 %r1, %a, %b, %c; madc.hi.u32 %d, %a, %b, 0;", tU32, tU32, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},
		{"mad.lo.cc.u32 %r1, %a, %b, %c; madc.hi.u32 %d, %a, %b, 0;", tU32, tU32, 0xFFFFFFFF, 0xFFFFFFFF, 1, 0xFFFFFFFE},
		{"add.cc.u64 %rd11, %a, %b; addc.u64 %d, 0, 0;", tU64, tU64, math.MaxUint64, 2, 0, 1},
		{"bfind.u32 %d, %a;", tU32, tU32, 0x00F00000, 0, 0, 23},
		{"bfind.shiftamt.u32 %d, %a;", tU32, tU32, 0x00F00000, 0, 0, 8},
		{"bfind.s32 %d, %a;", tS32, tS32, 0xFFFFFF00, 0, 0, 7},
		{"bfind.u32 %d, %a;", tU32, tU32, 0, 0, 0, 0xFFFFFFFF},
		{"mov.pred %p1, -1; selp.u32 %d, 1, 0, %p1;", tU32, tU32, 0, 0, 0, 1},
		{"mov.pred %p1, 0; selp.u32 %d, 1, 0, %p1;", tU32, tU32, 0, 0, 0, 0},
		{"mul24.lo.u32 %d, %a, %b;", tU32, tU32, 0x1000003, 2, 0, 6},
		{"mul24.hi.s32 %d, %a, %b;", tS32, tS32, 0xFFFFFF, 0x10000, 0, 0xFFFFFFFF},
		{"mad24.lo.s32 %d, %a, %b, %c;", tS32, tS32, 0xFFFFFF, 3, 10, 7},
	})
}

func TestNaNCanonicalisation(t *testing.T) {
	payload32 := uint64(0x7fc01234)
	payload64 := uint64(0x7ff8000000001234)
	checkCases(t, []opCase{
		{"add.f32 %d, %a, %b;", tF32, tF32, payload32, f32b(1), 0, canonNaN32},
		{"abs.f32 %d, %a;", tF32, tF32, payload32 | 1<<31, 0, 0, canonNaN32},
		{"abs.f64 %d, %a;", tF64, tF64, payload64 | 1<<63, 0, 0, payload64},
		{"neg.f64 %d, %a;", tF64, tF64, payload64, 0, 0, payload64 | 1<<63},
		{"sqrt.rn.f32 %d, %a;", tF32, tF32, f32b(-1), 0, 0, canonNaN32},
	})
}

// bigRound computes op exactly with math/big and rounds it to prec bits
// in mode, the oracle for PTX rounding modifiers.
func bigRound(op string, prec uint, mode big.RoundingMode, a, b, c float64) float64 {
	x, y, z := big.NewFloat(a), big.NewFloat(b), big.NewFloat(c)
	r := new(big.Float).SetPrec(prec).SetMode(mode)
	switch op {
	case "add":
		r.Add(x, y)
	case "sub":
		r.Sub(x, y)
	case "mul":
		r.Mul(x, y)
	case "div":
		r.Quo(x, y)
	case "sqrt":
		// big.Float.Sqrt ignores directed modes: round a 300-bit root.
		r.Set(new(big.Float).SetPrec(300).Sqrt(x))
	case "fma":
		r.Add(new(big.Float).SetPrec(300).Mul(x, y), z)
	}
	f, _ := r.Float64()
	return f
}

func TestRoundingModesAgainstBigFloat(t *testing.T) {
	rng := seeded(t)
	modes := map[string]big.RoundingMode{"rn": big.ToNearestEven, "rz": big.ToZero, "rm": big.ToNegativeInf, "rp": big.ToPositiveInf}
	const n = 64
	for _, op := range []string{"add", "sub", "mul", "div", "sqrt", "fma"} {
		for name, mode := range modes {
			for _, ft := range []ptype{tF32, tF64} {
				a, b, c := make([]uint64, n), make([]uint64, n), make([]uint64, n)
				fa, fb, fc := make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range a {
					fa[i], fb[i], fc[i] = rng.NormFloat64()*100, rng.NormFloat64(), rng.NormFloat64()*1e-3
					if op == "sqrt" {
						fa[i] = math.Abs(fa[i])
					}
					if ft == tF32 {
						fa[i], fb[i], fc[i] = float64(float32(fa[i])), float64(float32(fb[i])), float64(float32(fc[i]))
						a[i], b[i], c[i] = f32b(float32(fa[i])), f32b(float32(fb[i])), f32b(float32(fc[i]))
					} else {
						a[i], b[i], c[i] = f64b(fa[i]), f64b(fb[i]), f64b(fc[i])
					}
				}
				body := fmt.Sprintf("%s.%s.%s %%d, %%a, %%b;", op, name, ft)
				switch op {
				case "sqrt":
					body = fmt.Sprintf("sqrt.%s.%s %%d, %%a;", name, ft)
				case "fma":
					body = fmt.Sprintf("fma.%s.%s %%d, %%a, %%b, %%c;", name, ft)
				}
				got := runOp(t, ft, ft, body, a, b, c)
				prec := uint(53)
				if ft == tF32 {
					prec = 24
				}
				for i := range got {
					want := bigRound(op, prec, mode, fa[i], fb[i], fc[i])
					wb := f64b(want)
					if ft == tF32 {
						wb = f32b(float32(want))
					}
					if got[i] != wb {
						t.Errorf("%s a=%v b=%v c=%v: got %#x, want %#x (%v)", body, fa[i], fb[i], fc[i], got[i], wb, want)
					}
				}
			}
		}
	}
}

func TestVectorAndPackedMoves(t *testing.T) {
	checkCases(t, []opCase{
		{"mov.b64 {%r1, %r2}, %a; mov.b64 %d, {%r2, %r1};", tB64, tB64, 0x1122334455667788, 0, 0, 0x5566778811223344},
		{"mov.b32 {%rs1, %rs2}, %a; mov.b32 %d, {%rs2, %rs1};", tB32, tB32, 0x11223344, 0, 0, 0x33441122},
	})
}
