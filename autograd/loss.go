package autograd

// BCEWithLogits returns the elementwise binary cross-entropy of logits x
// against targets y in [0, 1] (which broadcast against each other),
// softplus(x) - x·y, as one op: its value is computed stably
// (max(x, 0) + ln(1 + e^-|x|) - x·y) and its gradient is exactly
// sigmoid(x) - y for x (1/2 - y at x = 0) and -x for y. The rules are Var
// ops, so it can be differentiated again.
func BCEWithLogits(x, y *Var) *Var {
	xv := x.value
	v := xv.ReLU().Add(xv.Abs().Neg().Exp().Log1p()).Sub(xv.Mul(y.value))
	return binary("BCEWithLogits", v, x, y,
		func(g, x, y, _ *Var) *Var { return g.Mul(x.Sigmoid().Sub(y)).SumTo(x.Shape()...) },
		func(g, x, y, _ *Var) *Var { return g.Mul(x).Neg().SumTo(y.Shape()...) },
		func(t, x, y, _ *Var) *Var { return t.Mul(x.Sigmoid().Sub(y)) },
		func(t, x, y, _ *Var) *Var { return t.Mul(x).Neg() })
}
