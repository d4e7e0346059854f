package cudasim

import (
	"fmt"
	"math"
	"slices"
)

// Mode selects how closely cudasim's floating point follows a GPU rather
// than the exact PTX semantics.
type Mode uint8

const (
	// ModeExact (the default) computes every instruction as PTX defines
	// it, rounding each, and returns correctly rounded .approx results.
	ModeExact Mode = iota
	// ModeGPU computes as ptxas-compiled code on a GPU may: an f32 or f64
	// mul without a rounding modifier followed by an add or sub of its
	// result, also without one, is contracted into one fused
	// multiply-add, and f32 .approx instructions (and div.full) return a
	// result at the edge of their documented error bound (see
	// approxBounds). A tolerance that holds in both modes holds on a GPU.
	ModeGPU
)

// ModeEnv names the environment variable that selects the Mode of
// simulators made by New: "exact" or "gpu".
const ModeEnv = "TAPEGRAD_CUDASIM_MODE"

// WithMode selects the floating-point mode (default ModeExact, or
// TAPEGRAD_CUDASIM_MODE). It applies to modules loaded afterwards.
func WithMode(m Mode) Option { return func(s *Sim) { s.mode = m } }

// parseMode reads a ModeEnv value.
func parseMode(v string) (Mode, error) {
	switch v {
	case "", "exact":
		return ModeExact, nil
	case "gpu":
		return ModeGPU, nil
	}
	return ModeExact, fmt.Errorf("%w: %s=%q; want exact or gpu", ErrInvalidValue, ModeEnv, v)
}

// approxBound is the documented error bound of an f32 approximate
// instruction: allowed returns how far from the exact result y (of
// operands x, z) the result may lie, given the correctly rounded result
// r, and false where the PTX ISA guarantees nothing (then r is kept).
type approxBound struct {
	exact   func(x, z float64) float64
	allowed func(x, y, r float64) (float64, bool)
}

// Bound shapes of the PTX ISA: k ulps from the correctly rounded result,
// k ulps from the exact one, a relative error.
func ulpsFromRounded(k float64) func(x, y, r float64) (float64, bool) {
	return func(_, y, r float64) (float64, bool) { return math.Abs(r-y) + k*ulp32(r), true }
}

func ulpsFromExact(k float64) func(x, y, r float64) (float64, bool) {
	return func(_, y, _ float64) (float64, bool) { return k * ulp32(y), true }
}

func relative(e float64) func(x, y, r float64) (float64, bool) {
	return func(_, y, _ float64) (float64, bool) { return e * math.Abs(y), true }
}

// trigBound is sin's and cos's absolute error: 2^-20.5 on [-2pi, 2pi],
// 2^-14.7 on [-100pi, 100pi], no guarantee beyond.
func trigBound(x, _, _ float64) (float64, bool) {
	switch a := math.Abs(x); {
	case a <= 2*math.Pi:
		return math.Exp2(-20.5), true
	case a <= 100*math.Pi:
		return math.Exp2(-14.7), true
	}
	return 0, false
}

// lg2Bound is an absolute error of 2^-22 for arguments in (0.5, 2) and a
// relative one of 2^-22 elsewhere.
func lg2Bound(x, y, _ float64) (float64, bool) {
	if x > 0.5 && x < 2 {
		return math.Exp2(-22), true
	}
	return math.Exp2(-22) * math.Abs(y), true
}

// approxBounds are the PTX ISA's error bounds for the f32 approximate
// instructions (PTX ISA 8.x, "Floating Point Instructions": rcp, div,
// sqrt, rsqrt, sin, cos, lg2, ex2, tanh).
var approxBounds = map[string]approxBound{
	"rcp":   {func(x, _ float64) float64 { return 1 / x }, ulpsFromExact(1)},
	"div":   {func(x, z float64) float64 { return x / z }, ulpsFromExact(2)},
	"sqrt":  {func(x, _ float64) float64 { return math.Sqrt(x) }, relative(math.Exp2(-23))},
	"rsqrt": {func(x, _ float64) float64 { return 1 / math.Sqrt(x) }, relative(math.Exp2(-22.9))},
	"ex2":   {func(x, _ float64) float64 { return math.Exp2(x) }, ulpsFromRounded(2)},
	"lg2":   {func(x, _ float64) float64 { return math.Log2(x) }, lg2Bound},
	"sin":   {func(x, _ float64) float64 { return math.Sin(x) }, trigBound},
	"cos":   {func(x, _ float64) float64 { return math.Cos(x) }, trigBound},
	"tanh":  {func(x, _ float64) float64 { return math.Tanh(x) }, relative(math.Exp2(-11))},
}

// approxGPU wraps f, the correctly rounded f32 result of op, to return
// the float32 farthest from the exact result, on one side, that is still
// within op's error bound (or the correctly rounded result, if that is
// farther). The side is a hash of the operand bits, so a result is the
// same on every run and failures replay; zero, infinite, NaN and
// subnormal results, and results whose sign would change, are kept.
func approxGPU(op string, f func(a, b uint64) uint64) func(a, b uint64) uint64 {
	bd, ok := approxBounds[op]
	if !ok {
		return f
	}
	return func(a, b uint64) uint64 {
		r := math.Float32frombits(uint32(f(a, b)))
		// The hardware's ex2 is exact at integers, and libdevice relies on
		// it: its f64 exp and tanh build 2^k with ex2.approx.ftz.f32.
		if r == 0 || r != r || math.IsInf(float64(r), 0) || math.Abs(float64(r)) < 0x1p-126 || op == "ex2" && isInt(f32(a)) {
			return uint64(math.Float32bits(r))
		}
		x := float64(f32(a))
		exact := bd.exact(x, float64(f32(b)))
		allowed, ok := bd.allowed(x, exact, float64(r))
		if !ok {
			return uint64(math.Float32bits(r))
		}
		if (uint32(a)*0x9e3779b1^uint32(b)*0x85ebca6b)>>31 == 1 {
			allowed = -allowed
		}
		c := float32(exact + allowed)
		for range 4 {
			if math.Abs(float64(c)-exact) <= math.Abs(allowed) {
				break
			}
			c = math.Nextafter32(c, float32(exact))
		}
		d := math.Abs(float64(c) - exact)
		if d <= math.Abs(allowed) && d > math.Abs(float64(r)-exact) && c != 0 && !math.IsInf(float64(c), 0) &&
			math.Signbit(float64(c)) == math.Signbit(float64(r)) {
			r = c
		}
		return uint64(canon32(r))
	}
}

// ulp32 is the gap between the float32s around x.
func ulp32(x float64) float64 {
	f := float32(math.Abs(x))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// contract rewrites, in ModeGPU, a float add or sub (f32, f64 or a half
// type) of the result of the mul just before it (both without a rounding
// modifier, in the same basic block, under the same guard) into a fused
// multiply-add, as ptxas does. The mul still runs, for other uses of its result. It
// returns nil when in cannot be contracted.
func (d *decoder) contract(f *function, i int) *inst {
	if i == 0 {
		return nil
	}
	add, mul := f.body[i], f.body[i-1]
	if add.op != "add" && add.op != "sub" || mul.op != "mul" || add.guard != mul.guard || add.gneg != mul.gneg ||
		len(add.args) != 3 || len(mul.args) != 3 || mul.args[0].kind != oName {
		return nil
	}
	t, ftz, ok := plainFloat(add.mods)
	mt, mftz, mok := plainFloat(mul.mods)
	if !ok || !mok || t != mt || ftz != mftz {
		return nil
	}
	for _, at := range f.labels {
		if at == i {
			return nil // a branch target: the mul may not have run
		}
	}
	prod := mul.args[0].name
	for _, a := range mul.args[1:] {
		if a.kind == oName && a.name == prod {
			return nil // the mul overwrote its own operand
		}
	}
	first := add.args[1].kind == oName && add.args[1].name == prod
	second := add.args[2].kind == oName && add.args[2].name == prod
	if first == second {
		return nil // the product is not an operand, or is both
	}
	other := add.args[2]
	if second {
		other = add.args[1]
	}
	mods := []string{"rn", t}
	if ftz {
		mods = []string{"rn", "ftz", t}
	}
	fma := &instr{line: add.line, guard: add.guard, gneg: add.gneg, op: "fma", mods: mods,
		args: []operand{add.args[0], mul.args[1], mul.args[2], other}}
	out := d.instruction(fma)
	if add.op == "sub" {
		// a*b - c negates c; c - a*b negates a.
		neg := 2
		if second {
			neg = 0
		}
		sign := map[string]uint64{"f32": 1 << 31, "f64": 1 << 63, "f16": 1 << 15, "bf16": 1 << 15,
			"f16x2": 0x80008000, "bf16x2": 0x80008000}[t]
		g := out.f3
		out.f3 = func(a, b, c uint64) uint64 {
			v := [3]uint64{a, b, c}
			v[neg] ^= sign
			return g(v[0], v[1], v[2])
		}
		out.exec = exec3
	}
	return &out
}

// plainFloat reports whether mods are those of an f32, f64 or half
// arithmetic instruction without a rounding modifier (optionally .ftz).
func plainFloat(mods []string) (t string, ftz, ok bool) {
	rest := slices.DeleteFunc(slices.Clone(mods), func(m string) bool { return m == "ftz" })
	if len(rest) != 1 || !slices.Contains([]string{"f32", "f64", "f16", "f16x2", "bf16", "bf16x2"}, rest[0]) {
		return "", false, false
	}
	return rest[0], len(rest) != len(mods), true
}

func isInt(x float32) bool { return x == float32(math.Trunc(float64(x))) }
