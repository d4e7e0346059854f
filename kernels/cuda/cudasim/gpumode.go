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

// approxBound is the documented error bound of an f32 .approx
// instruction: abs is an absolute error, rel one relative to the exact
// result, ulps one in units in the last place of the exact result.
type approxBound struct {
	abs, rel, ulps float64
	exact          func(x, y float64) float64
	// exactAtIntegers: the hardware returns exact powers of two for
	// integer arguments of ex2, and libdevice relies on it (its f64 exp
	// and tanh build 2^k with ex2.approx.ftz.f32).
	exactAtIntegers bool
}

func isInt(x float32) bool { return x == float32(math.Trunc(float64(x))) }

// approxBounds are the PTX ISA's error bounds for the f32 approximate
// instructions (PTX ISA 7.x and 8.x, "Floating-Point Instructions").
// sin and cos use the bound for arguments in [-pi, pi].
var approxBounds = map[string]approxBound{
	"rcp":   {ulps: 1, exact: func(x, _ float64) float64 { return 1 / x }},
	"div":   {ulps: 2, exact: func(x, y float64) float64 { return x / y }},
	"sqrt":  {rel: math.Exp2(-23), exact: func(x, _ float64) float64 { return math.Sqrt(x) }},
	"rsqrt": {rel: math.Exp2(-22.9), exact: func(x, _ float64) float64 { return 1 / math.Sqrt(x) }},
	"ex2":   {ulps: 2, exact: func(x, _ float64) float64 { return math.Exp2(x) }, exactAtIntegers: true},
	"lg2":   {abs: math.Exp2(-22.6), exact: func(x, _ float64) float64 { return math.Log2(x) }},
	"sin":   {abs: math.Exp2(-20.9), exact: func(x, _ float64) float64 { return math.Sin(x) }},
	"cos":   {abs: math.Exp2(-20.9), exact: func(x, _ float64) float64 { return math.Cos(x) }},
	"tanh":  {rel: math.Exp2(-10.987), exact: func(x, _ float64) float64 { return math.Tanh(x) }},
}

// approxGPU wraps f, the correctly rounded f32 result of op, to return
// the float32 farthest from the exact result, in one direction, that is
// still within op's error bound. The direction is a hash of the operand
// bits, so a result is the same on every run and failures replay; zero,
// infinite, NaN and subnormal results are left alone.
func approxGPU(op string, f func(a, b uint64) uint64) func(a, b uint64) uint64 {
	bd, ok := approxBounds[op]
	if !ok {
		return f
	}
	return func(a, b uint64) uint64 {
		r := math.Float32frombits(uint32(f(a, b)))
		if r == 0 || r != r || math.IsInf(float64(r), 0) || math.Abs(float64(r)) < 0x1p-126 || bd.exactAtIntegers && isInt(f32(a)) {
			return uint64(math.Float32bits(r))
		}
		exact := bd.exact(float64(f32(a)), float64(f32(b)))
		allowed := bd.abs + bd.rel*math.Abs(exact) + bd.ulps*ulp32(exact)
		dir := float32(math.Inf(1))
		if (uint32(a)*0x9e3779b1^uint32(b)*0x85ebca6b)>>31 == 1 {
			dir = float32(math.Inf(-1))
		}
		for range 64 {
			next := math.Nextafter32(r, dir)
			if math.IsInf(float64(next), 0) || math.Abs(float64(next)-exact) > allowed || (next == 0) {
				break
			}
			r = next
		}
		return uint64(canon32(r))
	}
}

// ulp32 is the gap between the float32s around x.
func ulp32(x float64) float64 {
	f := float32(math.Abs(x))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// contract rewrites, in ModeGPU, an f32 or f64 add or sub of the result
// of the mul just before it (both without a rounding modifier, in the
// same basic block, under the same guard) into a fused multiply-add, as
// ptxas does. The mul still runs, for other uses of its result. It
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
		sign := uint64(1) << 31
		if t == "f64" {
			sign = 1 << 63
		}
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

// plainFloat reports whether mods are those of an f32 or f64 arithmetic
// instruction without a rounding modifier (optionally .ftz).
func plainFloat(mods []string) (t string, ftz, ok bool) {
	rest := slices.DeleteFunc(slices.Clone(mods), func(m string) bool { return m == "ftz" })
	if len(rest) != 1 || rest[0] != "f32" && rest[0] != "f64" {
		return "", false, false
	}
	return rest[0], len(rest) != len(mods), true
}
