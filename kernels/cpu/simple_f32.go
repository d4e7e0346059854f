package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Float32 kernels of the exact elementwise ops: Neg, Abs, Sign, Sqrt,
// ReLU and LeakyReLU, the binary Add, Sub, Mul and Div, and the fused
// gradients ReLUGrad, LeakyReLUGrad, SigmoidGrad and TanhGrad (the last
// three computed in float64 in gradLoop's order and rounded once).
// Each result is the correctly rounded value of the op's float64
// reference (device/elementwise.go), so every variant, the Go loops here
// and the assembly of simple_amd64.s, gives the same bits (NaN payloads
// aside) and the same bits as the generic loops of unary.go and binary.go
// did before these kernels existed. The Go loops are branch-free where
// the generic ones branched: on random signs a branch per element
// mispredicts half the time, which cost relu and sign 3 ns an element.

// simpleF32Set is one implementation of the exact float32 kernels. A
// unary kernel writes op(x[i]) to dst[i] for i < len(x); a binary one
// writes op(a[i], b[i]) to dst[i] for i < len(a); dst (and b) are at
// least that long.
type simpleF32Set struct {
	name               string
	neg, abs, sign     func(dst, x []float32)
	sqrt, relu         func(dst, x []float32)
	leaky              func(dst, x []float32, p float64)
	add, sub, mul, div func(dst, a, b []float32)
	reluGrad           func(dst, a, b []float32)
	sigmoidGrad        func(dst, a, b []float32)
	tanhGrad           func(dst, a, b []float32)
	leakyGrad          func(dst, a, b []float32, p float64)
}

// unary returns s's kernel for op, or nil where op has none (LeakyReLU,
// which takes p, is s.leaky).
func (s *simpleF32Set) unary(op device.UnaryOp) func(dst, x []float32) {
	switch op {
	case device.Neg:
		return s.neg
	case device.Abs:
		return s.abs
	case device.Sign:
		return s.sign
	case device.Sqrt:
		return s.sqrt
	case device.ReLU:
		return s.relu
	}
	return nil
}

// binary returns s's kernel for op, or nil where op has none
// (LeakyReLUGrad, which takes p, is s.leakyGrad).
func (s *simpleF32Set) binary(op device.BinaryOp) func(dst, a, b []float32) {
	switch op {
	case device.Add:
		return s.add
	case device.Sub:
		return s.sub
	case device.Mul:
		return s.mul
	case device.Div:
		return s.div
	case device.ReLUGrad:
		return s.reluGrad
	case device.SigmoidGrad:
		return s.sigmoidGrad
	case device.TanhGrad:
		return s.tanhGrad
	}
	return nil
}

// goSimpleF32 is the portable set.
var goSimpleF32 = simpleF32Set{
	name: "go",
	neg:  mapF32(func(v float32) float32 { return -v }),
	abs:  mapF32(absF32),
	sign: mapF32(signF32),
	sqrt: mapF32(func(v float32) float32 { return float32(math.Sqrt(float64(v))) }),
	// max puts +0 above -0 and returns NaN for a NaN v: exactly ReLU.
	relu:  mapF32(func(v float32) float32 { return max(v, 0) }),
	leaky: leakyReLUGo,
	add: func(dst, a, b []float32) {
		dst, b = dst[:len(a)], b[:len(a)]
		for i, v := range a {
			dst[i] = v + b[i]
		}
	},
	sub: func(dst, a, b []float32) {
		dst, b = dst[:len(a)], b[:len(a)]
		for i, v := range a {
			dst[i] = v - b[i]
		}
	},
	mul: func(dst, a, b []float32) {
		dst, b = dst[:len(a)], b[:len(a)]
		for i, v := range a {
			dst[i] = v * b[i]
		}
	},
	div: func(dst, a, b []float32) {
		dst, b = dst[:len(a)], b[:len(a)]
		for i, v := range a {
			dst[i] = v / b[i]
		}
	},
	reluGrad: reluGradGo,
	sigmoidGrad: func(dst, y, g []float32) {
		dst, g = dst[:len(y)], g[:len(y)]
		for i, v := range y {
			w := float64(v)
			dst[i] = float32(float64(g[i]) * w * (1 - w))
		}
	},
	tanhGrad: func(dst, y, g []float32) {
		dst, g = dst[:len(y)], g[:len(y)]
		for i, v := range y {
			w := float64(v)
			dst[i] = float32(float64(g[i]) * (1 - w*w))
		}
	},
	leakyGrad: leakyReLUGradGo,
}

// leakyReLUGradGo is g where x > 0, else p·g in float64 rounded once.
func leakyReLUGradGo(dst, x, g []float32, p float64) {
	dst, g = dst[:len(x)], g[:len(x)]
	for i, v := range x {
		dst[i] = pick(v > 0, g[i], float32(p*float64(g[i])))
	}
}

// absF32 clears the sign bit: math.Abs without the float64 round trip.
func absF32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// signF32 is -1, 0 or 1 (+0 for ±0 and NaN) from two compares turned
// into integers (SETcc), without a branch.
func signF32(v float32) float32 {
	var p, n int32
	if v > 0 {
		p = 1
	}
	if v < 0 {
		n = 1
	}
	return float32(p - n)
}

// pick returns a where c, else b, by selecting bits (the compiler makes
// the mask from a SETcc) rather than by a branch that random signs would
// mispredict.
func pick(c bool, a, b float32) float32 {
	var m uint32
	if c {
		m = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(a)&m | math.Float32bits(b)&^m)
}

// leakyReLUGo is x where x > 0, else p·x computed in float64 and rounded
// once (p is a float64 and need not be a float32). The reference loop:
//
//	for i, v := range x {
//		if v > 0 { dst[i] = v } else { dst[i] = float32(p * float64(v)) }
//	}
func leakyReLUGo(dst, x []float32, p float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = pick(v > 0, v, float32(p*float64(v)))
	}
}

// reluGradGo is g where x > 0, else +0 (a NaN x gives 0). The reference
// loop:
//
//	for i := range a {
//		if a[i] > 0 { dst[i] = b[i] } else { dst[i] = 0 }
//	}
func reluGradGo(dst, x, g []float32) {
	dst, g = dst[:len(x)], g[:len(x)]
	for i, v := range x {
		dst[i] = pick(v > 0, g[i], 0)
	}
}
