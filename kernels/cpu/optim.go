package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// SGD applies one step of device.SGDParams to n elements, per element in
// float64, storing param and mom rounded to their dtype:
//
//	g := grad + WeightDecay*param
//	if Momentum != 0 { mom = Momentum*mom + g; g = Nesterov ? g + Momentum*mom : mom }
//	param -= LR*g
//
// Nesterov uses the updated momentum before it is rounded. mom may be nil
// when Momentum == 0.
func (be *Backend) SGD(param, grad, mom device.Buffer, n int, h device.SGDParams) error {
	bufs := []device.Buffer{param, grad}
	if h.Momentum != 0 {
		bufs = append(bufs, mom)
	}
	if dt, ok := halfOf(bufs...); ok {
		outs := []device.Buffer{param}
		if h.Momentum != 0 {
			outs = append(outs, mom)
		}
		return be.plainHalf("SGD", dt, outs, []device.Buffer{grad}, func(bs []device.Buffer) error {
			var m device.Buffer
			if h.Momentum != 0 {
				m = bs[1]
			}
			return be.SGD(bs[0], bs[len(bs)-1], m, n, h)
		})
	}
	bs, err := optimBuffers("SGD", n, bufs...)
	if err != nil {
		return err
	}
	if bs[0].dt == device.Float32 {
		sgd(bs, n, h, slice[float32])
	} else {
		sgd(bs, n, h, slice[float64])
	}
	return nil
}

// optimBuffers checks the buffers of an optimizer step: one float dtype,
// each holding at least n elements.
func optimBuffers(op string, n int, b ...device.Buffer) ([]*Buffer, error) {
	first, err := asBuffer(op, b[0])
	if err != nil {
		return nil, err
	}
	bs, err := buffers(op, first.dt, b...)
	if err != nil {
		return nil, err
	}
	for _, cb := range bs {
		if err := need(op, cb, n, "operand"); err != nil {
			return nil, err
		}
	}
	if !first.dt.IsFloat() {
		return nil, unsupported(op, first.dt)
	}
	return bs, nil
}

func sgd[T float](bs []*Buffer, n int, h device.SGDParams, data func(*Buffer) []T) {
	p, g := data(bs[0]), data(bs[1])
	m := p // unused without momentum; the kernels take a slice all the same
	k := sgdConsts{wd: h.WeightDecay, mom: h.Momentum, lr: h.LR}
	if h.Momentum != 0 {
		m = data(bs[2])
		k.mode = 1
		if h.Nesterov {
			k.mode = 2
		}
	}
	// As adam: 64-element chunks, each element independent of the rest;
	// float32 runs this machine's fastest kernel.
	run := sgdGo[T]
	if f, ok := any(sgdF32Kernels[0].run).(func(p, g, m []T, lo, hi int, k *sgdConsts)); ok {
		run = f
	}
	parallelFor((n+63)/64, 4*64, func(lo, hi int) { run(p, g, m, lo*64, min(hi*64, n), &k) })
}

// sgdConsts are the scalars of one SGD step; the field order is the
// assembly kernels' (optim_amd64.s reads them by offset).
type sgdConsts struct {
	wd, mom, lr float64 // WeightDecay, Momentum, LR
	mode        int64   // 0 plain, 1 momentum, 2 Nesterov momentum
}

// sgdGo is the SGD step of SGDParams on elements [lo, hi), in float64, one
// IEEE operation at a time in the order the assembly kernels run them (see
// adamGo); m is read and written only with momentum.
func sgdGo[T float](p, g, m []T, lo, hi int, k *sgdConsts) {
	p, g = p[lo:hi], g[lo:hi:hi]
	if k.mode != 0 {
		m = m[lo:hi:hi]
	}
	for i := range p {
		pi := float64(p[i])
		gi := float64(g[i]) + float64(k.wd*pi)
		if k.mode != 0 {
			mi := float64(k.mom*float64(m[i])) + gi
			m[i] = T(mi)
			if k.mode == 2 {
				gi += float64(k.mom * mi)
			} else {
				gi = mi
			}
		}
		p[i] = T(pi - float64(k.lr*gi))
	}
}

// sgdF32Kernel is one float32 SGD step over elements [lo, hi), as sgdGo.
type sgdF32Kernel struct {
	name string
	run  func(p, g, m []float32, lo, hi int, k *sgdConsts)
}

// goSGDF32 is the portable kernel, last in sgdF32Kernels.
var goSGDF32 = sgdF32Kernel{name: "go", run: sgdGo[float32]}

// Adam applies one Adam (or, when Decoupled, AdamW) step of
// device.AdamParams to n elements, per element in float64, storing param,
// m and v rounded to their dtype:
//
//	if Decoupled { param *= 1 - LR*WeightDecay } else { g = grad + WeightDecay*param }
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g²
//	param -= LR * (m/(1-Beta1^Step)) / (sqrt(v/(1-Beta2^Step)) + Eps)
//
// using the updated m and v before they are rounded. Step must be >= 1.
func (be *Backend) Adam(param, grad, m, v device.Buffer, n int, h device.AdamParams) error {
	if dt, ok := halfOf(param, m, v, grad); ok {
		return be.plainHalf("Adam", dt, []device.Buffer{param, m, v}, []device.Buffer{grad}, func(bs []device.Buffer) error {
			return be.Adam(bs[0], bs[3], bs[1], bs[2], n, h)
		})
	}
	if h.Step < 1 {
		return opError("Adam", "step %d: the first step is 1", h.Step)
	}
	bs, err := optimBuffers("Adam", n, param, grad, m, v)
	if err != nil {
		return err
	}
	if bs[0].dt == device.Float32 {
		adam(bs, n, h, slice[float32])
	} else {
		adam(bs, n, h, slice[float64])
	}
	return nil
}

func adam[T float](bs []*Buffer, n int, h device.AdamParams, data func(*Buffer) []T) {
	p, g, m, v := data(bs[0]), data(bs[1]), data(bs[2]), data(bs[3])
	k := newAdamConsts(h)
	// Chunks of 64 elements keep every range but the last a whole number of
	// vectors; each element's result depends on its own inputs alone.
	// float32 runs this machine's fastest kernel.
	run := adamGo[T]
	if f, ok := any(adamF32Kernels[0].run).(func(p, g, m, v []T, lo, hi int, k *adamConsts)); ok {
		run = f
	}
	parallelFor((n+63)/64, 8*64, func(lo, hi int) { run(p, g, m, v, lo*64, min(hi*64, n), &k) })
}

// adamConsts are the scalars of one Adam step, computed once; the field
// order is the assembly kernels' (optim_amd64.s reads them by offset).
type adamConsts struct {
	b1, omb1, b2, omb2 float64 // Beta1, 1-Beta1, Beta2, 1-Beta2
	step, rs2, eps     float64 // LR/(1-Beta1^Step), 1/sqrt(1-Beta2^Step), Eps
	wd, kdec           float64 // WeightDecay, and 1-LR*WeightDecay (Decoupled's factor)
	decoupled          int64   // 1 when Decoupled
}

func newAdamConsts(h device.AdamParams) adamConsts {
	c1 := 1 - math.Pow(h.Beta1, float64(h.Step))
	c2 := 1 - math.Pow(h.Beta2, float64(h.Step))
	k := adamConsts{
		b1: h.Beta1, omb1: 1 - h.Beta1, b2: h.Beta2, omb2: 1 - h.Beta2,
		step: h.LR / c1, rs2: 1 / math.Sqrt(c2), eps: h.Eps,
		wd: h.WeightDecay, kdec: 1 - h.LR*h.WeightDecay,
	}
	if h.Decoupled {
		k.decoupled = 1
	}
	return k
}

// adamGo is the Adam step of AdamParams on elements [lo, hi), in float64,
// one IEEE operation at a time in the order the assembly kernels run them:
// the conversions to float64 keep the compiler from fusing a multiply and
// an add (it may where FMA is always present), so every variant rounds
// the same way. The bias corrections are folded into two scalars, as
// PyTorch's Adam does, so that an element costs one division and one
// square root:
//
//	param -= (LR/(1-Beta1^Step)) * m / (sqrt(v) * (1/sqrt(1-Beta2^Step)) + Eps)
func adamGo[T float](p, g, m, v []T, lo, hi int, k *adamConsts) {
	p, g, m, v = p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
	for i := range p {
		pi, gi := float64(p[i]), float64(g[i])
		if k.decoupled != 0 {
			pi *= k.kdec
		} else {
			gi += float64(k.wd * pi)
		}
		mi := float64(k.b1*float64(m[i])) + float64(k.omb1*gi)
		vi := float64(k.b2*float64(v[i])) + float64(float64(k.omb2*gi)*gi)
		m[i], v[i] = T(mi), T(vi)
		p[i] = T(pi - float64(k.step*mi)/(float64(math.Sqrt(vi)*k.rs2)+k.eps))
	}
}

// adamF32Kernel is one float32 Adam step over elements [lo, hi), as adamGo.
type adamF32Kernel struct {
	name string
	run  func(p, g, m, v []float32, lo, hi int, k *adamConsts)
}

// goAdamF32 is the portable kernel, last in adamF32Kernels.
var goAdamF32 = adamF32Kernel{name: "go", run: adamGo[float32]}
