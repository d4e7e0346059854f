package cpu

import (
	"runtime"

	"github.com/tapegrad/tapegrad/device"
)

// MatMul computes C[b] = opA(A[b]) @ opB(B[b]) for each b < Batch with the
// packed GEMM (gemm) and this machine's fastest micro-kernel. Reference:
//
//	C[b][i][j] = Σ_k opA(A[b])[i][k] * opB(B[b])[k][j]
//
// accumulated in the element type, in order of k within fixed K slices
// (float32 with FMA on amd64), so results do not depend on GOMAXPROCS;
// float32 matrix-vector products (a single row or column of C) take an
// AVX-512 dot product in 32 fixed lanes instead where the matrix's rows
// are contiguous (gemv).
// K == 0 writes zeros; M, N or Batch == 0 does nothing. Float dtypes only.
// Products follow IEEE: 0*Inf is NaN, as in OpenBLAS and PyTorch. Batches
// of matrices too small to split are spread across goroutines instead.
func (be *Backend) MatMul(a device.MatMulArgs) error {
	if dt, ok := halfOf(a.A, a.B, a.C); ok {
		return be.matMulHalf(dt, a)
	}
	const name = "MatMul"
	c, err := asBuffer(name, a.C)
	if err != nil {
		return err
	}
	bs, err := buffers(name, c.dt, a.A, a.B)
	if err != nil {
		return err
	}
	if a.Batch < 0 || a.M < 0 || a.N < 0 || a.K < 0 {
		return opError(name, "negative size: batch %d, %d×%d×%d", a.Batch, a.M, a.N, a.K)
	}
	if err := need(name, c, a.Batch*a.M*a.N, "C"); err != nil {
		return err
	}
	if c.dt == device.Int32 {
		return unsupported(name, c.dt)
	}
	if a.Batch == 0 || a.M == 0 || a.N == 0 {
		return nil
	}
	if a.K == 0 {
		return fillN(c, a.Batch*a.M*a.N, 0)
	}
	ar, ac := stored(a.M, a.K, a.TransA)
	br, bc := stored(a.K, a.N, a.TransB)
	if err := checkOperand(bs[0], "A", a.Batch, a.AOffset, a.AStride, a.LDA, ar, ac); err != nil {
		return err
	}
	if err := checkOperand(bs[1], "B", a.Batch, a.BOffset, a.BStride, a.LDB, br, bc); err != nil {
		return err
	}
	if c.dt == device.Float32 {
		matmul(gemmKernel[float32](), a, slice[float32](bs[0]), slice[float32](bs[1]), slice[float32](c))
	} else {
		matmul(gemmKernel[float64](), a, slice[float64](bs[0]), slice[float64](bs[1]), slice[float64](c))
	}
	return nil
}

// stored returns the stored shape of an operand whose op is rows×cols.
func stored(rows, cols int, trans bool) (int, int) {
	if trans {
		return cols, rows
	}
	return rows, cols
}

// checkOperand checks that every batch of a stored rows×cols operand lies
// inside b.
func checkOperand(b *Buffer, what string, batch, off, stride, ld, rows, cols int) error {
	if off < 0 || stride < 0 || ld < 0 {
		return opError("MatMul", "%s has negative offset %d, batch stride %d or leading dimension %d", what, off, stride, ld)
	}
	if last := off + (batch-1)*stride + (rows-1)*ld + cols; last > b.Len() {
		return opError("MatMul", "%s (%d×%d, ld %d, offset %d, batch %d×%d) needs %d elements, buffer has %d",
			what, rows, cols, ld, off, batch, stride, last, b.Len())
	}
	return nil
}

// matmul runs gemm with micro-kernel kern for every batch of a (checked).
func matmul[T float](kern microKernel[T], a device.MatMulArgs, A, B, C []T) {
	if gemv(kern, a, A, B, C) {
		return
	}
	mn := a.M * a.N
	w := runtime.GOMAXPROCS(0)
	whole := a.Batch > 1 && (a.Batch%w == 0 || a.Batch >= 2*w)
	av, bv := matView[T]{data: A, rs: a.LDA, cs: 1}, matView[T]{data: B, rs: a.LDB, cs: 1}
	if a.TransA {
		av.rs, av.cs = 1, a.LDA
	}
	if a.TransB {
		bv.rs, bv.cs = 1, a.LDB
	}
	// split runs products [lo, hi) each split among the goroutines by gemm;
	// spread runs each whole on the calling goroutine (gemmBlock over all of
	// C gives the bits gemm's rectangles do), packing A once for all of
	// them when the batch shares it (a zero batch stride).
	split := func(lo, hi int) {
		for b := lo; b < hi; b++ {
			av, bv := av, bv
			av.off, bv.off = a.AOffset+b*a.AStride, a.BOffset+b*a.BStride
			gemm(kern, a.M, a.N, a.K, av, bv, C[b*mn:(b+1)*mn])
		}
	}
	spread := func(lo, hi int) {
		var pre []T
		if a.AStride == 0 && hi-lo > 1 {
			s := getScratch[T]((a.M+kern.mr-1)/kern.mr*kern.mr*a.K, 0, 0)
			defer putScratch(s)
			av := av
			av.off = a.AOffset
			packAll(kern, s.a, av, a.M, a.K)
			pre = s.a
		}
		for b := lo; b < hi; b++ {
			av, bv := av, bv
			av.off, bv.off = a.AOffset+b*a.AStride, a.BOffset+b*a.BStride
			gemmBlock(kern, 0, a.M, 0, a.N, a.K, a.N, av, bv, C[b*mn:(b+1)*mn], pre)
		}
	}
	// Enough products to share out (a multiple of the thread count, or at
	// least two a thread), or products too small to split (a single tile,
	// or too little work for two goroutines): spread the batch, which
	// saves a fork and join per product. Each C[b] is computed by one call
	// either way, and gemm's result does not depend on its split.
	if tm, tn := gemmGrid(kern, a.M, a.N, a.K); (tm*tn == 1 || whole) && a.Batch > 1 {
		parallelFor(a.Batch, mn*a.K, spread)
	} else if tm*tn == 1 {
		spread(0, a.Batch)
	} else {
		split(0, a.Batch)
	}
}

// gemv computes the products of a as matrix-vector products, and reports
// whether it did: those with a single column of C (N == 1) or a single
// row (M == 1), when kern has the kernel for the matrix's layout. The
// packed GEMM would pack, transposing, all of the matrix for one
// multiply-add per element, and run its tile for one useful row or
// column: 46 against 7 µs for 1×784 @ 784×256ᵀ, 25 against 1.7 µs for
// 16×1024 @ 1024×1.
//
//   - dot, where the matrix's rows are contiguous (A·x with a row-major
//     A, x·Wᵀ with a column-major B: a linear layer on one sample): each
//     element of C is one dot product in the order dot fixes, which does
//     not depend on the number of goroutines but can differ in the last
//     bits from the same element of a wider product, as gemv and gemm do
//     in BLAS.
//   - axpy, where the matrix's columns are (Aᵀ·x, x·W with a row-major
//     W): rows of the matrix scaled and added, in the GEMM's K slices,
//     so C is the packed GEMM's bit for bit.
//
// The vector may be strided (it is gathered first).
func gemv[T float](kern microKernel[T], a device.MatMulArgs, A, B, C []T) bool {
	if a.N != 1 && a.M != 1 {
		return false
	}
	// The matrix: its mat[mOff+b*mStride+r*ld+p] for output r and step p
	// (dot), or mat[mOff+b*mStride+p*ld+r] (axpy); the vector:
	// vec[vOff+b*vStride+p*inc]. N == 1 takes A and B's column, M == 1 B
	// and A's row.
	colA, colB := 1, 1 // the steps along p of A's row and B's column
	if a.TransA {
		colA = a.LDA
	}
	if !a.TransB {
		colB = a.LDB
	}
	var mat, vec []T
	var rows, ld, mOff, mStride, inc, vOff, vStride int
	dot := false
	switch {
	case a.N == 1 && (!a.TransA && kern.dot != nil || a.TransA && kern.axpy != nil):
		mat, rows, ld, mOff, mStride = A, a.M, a.LDA, a.AOffset, a.AStride
		vec, inc, vOff, vStride = B, colB, a.BOffset, a.BStride
		dot = !a.TransA
	case a.M == 1 && (a.TransB && kern.dot != nil || !a.TransB && kern.axpy != nil):
		mat, rows, ld, mOff, mStride = B, a.N, a.LDB, a.BOffset, a.BStride
		vec, inc, vOff, vStride = A, colA, a.AOffset, a.AStride
		dot = a.TransB
	default:
		return false
	}
	k := a.K
	if inc != 1 && k > 1 {
		s := getScratch[T](a.Batch*k, 0, 0)
		defer putScratch(s)
		for b := range a.Batch {
			for p := range k {
				s.a[b*k+p] = vec[vOff+b*vStride+p*inc]
			}
		}
		vec, vOff, vStride = s.a, 0, k
	}
	if dot {
		parallelFor(a.Batch*rows, k, func(lo, hi int) {
			for lo < hi {
				b, r := lo/rows, lo%rows
				n := min(hi-lo, rows-r)
				kern.dot(n, k, mat[mOff+b*mStride+r*ld:], ld, vec[vOff+b*vStride:], C[b*rows+r:][:n])
				lo += n
			}
		})
		return true
	}
	// axpy: the outputs in groups of 64 (the kernel's widest), each group
	// over gemmBlock's K slices.
	kc := kern.sliceDepth(k)
	groups := (rows + 63) / 64
	parallelFor(a.Batch*groups, 64*k, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			b, g := t/groups, t%groups
			r0, r1 := g*64, min(g*64+64, rows)
			for pc := 0; pc < k; pc += kc {
				kern.axpy(r1-r0, min(kc, k-pc), vec[vOff+b*vStride+pc:], mat[mOff+b*mStride+pc*ld+r0:], ld, C[b*rows+r0:b*rows+r1], pc > 0)
			}
		}
	})
	return true
}
