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
