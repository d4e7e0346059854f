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
	var m []T
	if h.Momentum != 0 {
		m = data(bs[2])
	}
	parallelFor(n, 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := float64(g[i]) + h.WeightDecay*float64(p[i])
			if m != nil {
				mi := h.Momentum*float64(m[i]) + gi
				m[i] = T(mi)
				if h.Nesterov {
					gi += h.Momentum * mi
				} else {
					gi = mi
				}
			}
			p[i] = T(float64(p[i]) - h.LR*gi)
		}
	})
}

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
	c1 := 1 - math.Pow(h.Beta1, float64(h.Step))
	c2 := 1 - math.Pow(h.Beta2, float64(h.Step))
	parallelFor(n, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pi, gi := float64(p[i]), float64(g[i])
			if h.Decoupled {
				pi *= 1 - h.LR*h.WeightDecay
			} else {
				gi += h.WeightDecay * pi
			}
			mi := h.Beta1*float64(m[i]) + (1-h.Beta1)*gi
			vi := h.Beta2*float64(v[i]) + (1-h.Beta2)*gi*gi
			m[i], v[i] = T(mi), T(vi)
			p[i] = T(pi - h.LR*(mi/c1)/(math.Sqrt(vi/c2)+h.Eps))
		}
	})
}
