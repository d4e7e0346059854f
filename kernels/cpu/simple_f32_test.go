package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// simpleUnaryOps are the unary ops with exact float32 kernels, with the p
// they are tested at.
var simpleUnaryOps = []struct {
	op device.UnaryOp
	p  float64
}{
	{device.Neg, 0}, {device.Abs, 0}, {device.Sign, 0}, {device.Sqrt, 0}, {device.ReLU, 0},
	{device.LeakyReLU, 0.1}, {device.LeakyReLU, 0.01}, {device.LeakyReLU, -2.5},
}

// simpleBinaryOps are the binary ops with exact float32 kernels.
var simpleBinaryOps = []device.BinaryOp{device.Add, device.Sub, device.Mul, device.Div, device.ReLUGrad,
	device.SigmoidGrad, device.TanhGrad, device.LeakyReLUGrad}

// leakyGradP is the p the tests give LeakyReLUGrad.
const leakyGradP = 0.1

// runSimpleBinary runs set's kernel for op.
func runSimpleBinary(set *simpleF32Set, op device.BinaryOp, dst, a, b []float32) {
	if op == device.LeakyReLUGrad {
		set.leakyGrad(dst, a, b, leakyGradP)
		return
	}
	set.binary(op)(dst, a, b)
}

// runSimpleUnary runs set's kernel for op.
func runSimpleUnary(set *simpleF32Set, op device.UnaryOp, p float64, dst, x []float32) {
	if op == device.LeakyReLU {
		set.leaky(dst, x, p)
		return
	}
	set.unary(op)(dst, x)
}

// sameF32 reports whether a and b are the same float32, bit for bit, any
// NaN matching any NaN.
func sameF32(a, b float32) bool {
	return (a != a && b != b) || math.Float32bits(a) == math.Float32bits(b)
}

// TestSimpleF32Exact checks each exact unary kernel of every variant this
// build runs against its float64 reference rounded to float32, bit for bit
// (signed zeros included), over a sweep of the whole float32 range.
func TestSimpleF32Exact(t *testing.T) {
	xs := f32Sweep(t)
	if raceEnabled { // the specials come first and stay
		xs = xs[:len(xs)/8]
	}
	got := make([]float32, len(xs))
	for _, c := range simpleUnaryOps {
		ref := c.op.Info().Ref
		want := make([]float32, len(xs))
		for i, x := range xs {
			want[i] = float32(ref(float64(x), c.p))
		}
		for _, set := range simpleF32Sets {
			runSimpleUnary(&set, c.op, c.p, got, xs)
			for i, x := range xs {
				if !sameF32(want[i], got[i]) {
					t.Fatalf("%s %s(%g; p=%g) (0x%08x): want %g (0x%08x), got %g (0x%08x)", set.name, c.op, x, c.p,
						math.Float32bits(x), want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]))
				}
			}
		}
	}
}

// TestSimpleF32BinaryExact checks each exact binary kernel of every
// variant against its float64 reference rounded to float32, bit for bit,
// on random bit patterns paired with specials.
func TestSimpleF32BinaryExact(t *testing.T) {
	r := newRand(t)
	specials := f32Specials()
	n := 1 << 16
	a, b, got := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = math.Float32frombits(r.Uint32()), math.Float32frombits(r.Uint32())
		switch r.IntN(4) {
		case 0:
			a[i] = specials[r.IntN(len(specials))]
		case 1:
			b[i] = specials[r.IntN(len(specials))]
		case 2: // nearby magnitudes, where subtraction cancels
			b[i] = a[i] * float32(1+r.Float64()/1024)
		}
	}
	for _, op := range simpleBinaryOps {
		ref := op.Info().Ref
		for _, set := range simpleF32Sets {
			runSimpleBinary(&set, op, got, a, b)
			for i := range a {
				want := float32(ref(float64(a[i]), float64(b[i]), leakyGradP))
				if !sameF32(want, got[i]) {
					t.Fatalf("%s %s(%g, %g): want %g (0x%08x), got %g (0x%08x)", set.name, op, a[i], b[i],
						want, math.Float32bits(want), got[i], math.Float32bits(got[i]))
				}
			}
		}
	}
}

// TestSimpleF32Variants checks every kernel of every variant on each
// length from 0 to 40, so full vectors and masked tails, from unaligned
// starts: the portable results, and nothing written before dst or past
// the length.
func TestSimpleF32Variants(t *testing.T) {
	r := newRand(t)
	specials := f32Specials()
	rnd := func(n int) []float32 {
		xs := make([]float32, n+16)[r.IntN(16):][:n]
		for i := range xs {
			if r.IntN(4) == 0 {
				xs[i] = specials[r.IntN(len(specials))]
			} else {
				xs[i] = math.Float32frombits(r.Uint32())
			}
		}
		return xs
	}
	check := func(name string, n int, want []float32, run func(dst []float32)) {
		buf := make([]float32, n+32)
		for i := range buf {
			buf[i] = -7.5
		}
		start := r.IntN(16)
		run(buf[start:])
		for i, g := range buf {
			switch {
			case i < start || i >= start+n:
				require.Equalf(t, float32(-7.5), g, "%s n=%d wrote outside dst[:n] at %d", name, n, i-start)
			case !sameF32(want[i-start], g):
				t.Fatalf("%s n=%d at %d: go %g, got %g", name, n, i-start, want[i-start], g)
			}
		}
	}
	for _, set := range simpleF32Sets[:len(simpleF32Sets)-1] {
		for n := range 41 {
			x, y := rnd(n), rnd(n)
			want := make([]float32, n)
			for _, c := range simpleUnaryOps {
				runSimpleUnary(&goSimpleF32, c.op, c.p, want, x)
				check(set.name+" "+c.op.String(), n, want, func(dst []float32) { runSimpleUnary(&set, c.op, c.p, dst, x) })
			}
			for _, op := range simpleBinaryOps {
				runSimpleBinary(&goSimpleF32, op, want, x, y)
				check(set.name+" "+op.String(), n, want, func(dst []float32) { runSimpleBinary(&set, op, dst, x, y) })
			}
		}
	}
}
