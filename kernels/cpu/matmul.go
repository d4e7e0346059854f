package cpu

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/tapegrad/tapegrad/device"
)

// gemm is the row-major GEMM signature gonum's Sgemm and Dgemm share.
type gemm[T float] func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// MatMul computes C[b] = opA(A[b]) @ opB(B[b]) for each b < Batch with the
// current blas32/blas64 implementation (gonum's own unless a program calls
// Use). Reference:
//
//	C[b][i][j] = Σ_k opA(A[b])[i][k] * opB(B[b])[k][j]
//
// accumulated in the element type in gonum's order. K == 0 writes zeros;
// M, N or Batch == 0 does nothing. Float dtypes only. Batches of matrices
// too small for gonum to parallelise are spread across goroutines instead.
// gonum skips zero entries of A, so 0*Inf there contributes 0, not NaN.
func (*Backend) MatMul(a device.MatMulArgs) error {
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
		matmul(blas32.Implementation().Sgemm, a, slice[float32](bs[0]), slice[float32](bs[1]), slice[float32](c))
	} else {
		matmul(blas64.Implementation().Dgemm, a, slice[float64](bs[0]), slice[float64](bs[1]), slice[float64](c))
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

func matmul[T float](f gemm[T], a device.MatMulArgs, A, B, C []T) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if a.TransA {
		tA = blas.Trans
	}
	if a.TransB {
		tB = blas.Trans
	}
	ar, ac := stored(a.M, a.K, a.TransA)
	br, bc := stored(a.K, a.N, a.TransB)
	mn := a.M * a.N
	run := func(lo, hi int) {
		var packA, packB []T
		for b := lo; b < hi; b++ {
			ad, lda := operand(A, a.AOffset+b*a.AStride, ar, ac, a.LDA, &packA)
			bd, ldb := operand(B, a.BOffset+b*a.BStride, br, bc, a.LDB, &packB)
			f(tA, tB, a.M, a.N, a.K, 1, ad, lda, bd, ldb, 0, C[b*mn:(b+1)*mn], a.N)
		}
	}
	// gonum's Gemm runs serially below four 64×64 blocks of C; spread such
	// batches over goroutines instead. Each C[b] is still one Gemm call, so
	// the result does not depend on the split.
	if (a.M+63)/64*((a.N+63)/64) < 4 {
		parallelFor(a.Batch, mn*a.K, run)
	} else {
		run(0, a.Batch)
	}
}

// operand returns the stored rows×cols matrix at off with leading dimension
// ld in the form gonum accepts (ld >= cols). Rows that overlap (ld < cols,
// as a broadcast row with ld 0) are first packed into *pack.
func operand[T float](data []T, off, rows, cols, ld int, pack *[]T) ([]T, int) {
	switch {
	case rows == 1:
		return data[off : off+cols], cols
	case ld >= cols:
		return data[off : off+(rows-1)*ld+cols], ld
	}
	if len(*pack) < rows*cols {
		*pack = make([]T, rows*cols)
	}
	p := (*pack)[:rows*cols]
	for i := range rows {
		copy(p[i*cols:(i+1)*cols], data[off+i*ld:off+i*ld+cols])
	}
	return p, cols
}
