//go:build !purego

package cpu

// sdotRowsAVX512 writes out[i] = Σ_p a[i*lda+p]·x[p] for i < m and
// p < 32*k32 + the lanes of the tail masks m0 and m1 (gemv_amd64.s),
// each row summed in 32 lanes by FMA and folded in a fixed order.
//
//go:noescape
func sdotRowsAVX512(m, k32 int, a *float32, lda int, x *float32, out *float32, m0, m1 uint16)

// sdotRows is microKernel.dot for the AVX-512 float32 kernel.
func sdotRows(m, k int, a []float32, lda int, x, out []float32) {
	if m == 0 {
		return
	}
	_ = a[(m-1)*lda+k-1]
	_ = x[k-1]
	_ = out[m-1]
	t := k % 32
	m0, m1 := uint16(1<<min(t, 16)-1), uint16(1<<max(t-16, 0)-1)
	sdotRowsAVX512(m, k/32, &a[0], lda, &x[0], &out[0], m0, m1)
}

// saxpyRowsAVX512 writes c[j] = Σ_p x[p]·b[p*ldb+j] for j < n and p < k,
// added to c when acc (gemv_amd64.s): each output by FMA in order of p
// from zero, the GEMM micro-kernels' arithmetic.
//
//go:noescape
func saxpyRowsAVX512(n, k int, x, b *float32, ldb int, c *float32, acc bool)

// saxpyRows is microKernel.axpy for the AVX-512 float32 kernel.
func saxpyRows(n, k int, x, b []float32, ldb int, c []float32, acc bool) {
	if n == 0 || k == 0 {
		return
	}
	_ = x[k-1]
	_ = b[(k-1)*ldb+n-1]
	_ = c[n-1]
	saxpyRowsAVX512(n, k, &x[0], &b[0], ldb, &c[0], acc)
}
