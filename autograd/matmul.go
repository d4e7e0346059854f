package autograd

// MatMul returns the matrix product of a and b with NumPy's matmul rules:
// leading axes are batch axes and broadcast, and a 1-D operand is a row
// (left) or column (right) vector whose added axis is dropped from the
// result. The gradients are products with the other operand transposed
// (a view, not a copy), summed over broadcast batch axes; the tangent is
// ta b + a tb. Under autocast (see Autocast) the products, forward and
// backward, run in the marked half dtype with float32 accumulation; with
// AllowTF32's mark, float32 products may use TF32 operands.
func (a *Var) MatMul(b *Var) *Var {
	if a.Rank() == 0 || b.Rank() == 0 {
		panic(withOperands(newError("MatMul", "operands need rank >= 1"), a.value, b.value))
	}
	// Vectors become matrices through Var views, so the core below (and
	// its VJP) only ever sees rank >= 2.
	a2, b2 := a, b
	if a.Rank() == 1 {
		a2 = a.Unsqueeze(0)
	}
	if b.Rank() == 1 {
		b2 = b.Unsqueeze(1)
	}
	out := product(a2, b2)
	if b.Rank() == 1 {
		out = out.Squeeze(-1)
	}
	if a.Rank() == 1 {
		// The row axis is last once b's column axis is gone.
		if b.Rank() == 1 {
			return out.Squeeze(-1)
		}
		out = out.Squeeze(-2)
	}
	return out
}
