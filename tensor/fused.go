package tensor

import "github.com/tapegrad/tapegrad/device"

// fusedFallback computes a fused VJP op (device.BinaryInfo.Fused) from
// other ops, for a backend that leaves the fused kernel out: the math of
// the op's table row, in a few kernels instead of one, each rounding to
// the dtype (so float32 results may differ from the fused kernel's, which
// rounds once, by a few ulps). x is the saved forward value and g the
// gradient; they broadcast as in Binary.
func fusedFallback(op device.BinaryOp, p float64, x, g *Tensor) *Tensor {
	switch op {
	case device.ReLUGrad: // g where x > 0, else 0 (a NaN or Inf g too)
		return Where(x.GtScalar(0), g, g.scalarLike("ReLUGrad", 0))
	case device.LeakyReLUGrad:
		return Where(x.GtScalar(0), g, g.MulScalar(p))
	case device.SigmoidGrad: // g*y*(1-y)
		return g.Mul(x).Mul(x.RSubScalar(1))
	case device.TanhGrad: // g*(1-y²)
		return g.Mul(x.Mul(x).RSubScalar(1))
	case device.GELUGrad:
		// g·(0.5(1+t) + 0.5x(1-t²)·c(1+3ax²)), t = tanh(c(x+ax³))
		x2 := x.Mul(x)
		t := x.Add(x2.Mul(x).MulScalar(device.GELUA)).MulScalar(device.GELUC).Tanh()
		du := x2.MulScalar(3 * device.GELUA).AddScalar(1).MulScalar(device.GELUC)
		d := t.AddScalar(1).MulScalar(0.5).Add(x.MulScalar(0.5).Mul(t.Mul(t).RSubScalar(1)).Mul(du))
		return g.Mul(d)
	}
	fail(ErrValue, op.String(), []*Tensor{x, g}, "the backend lacks this fused op and tensor has no fallback for it")
	return nil
}
