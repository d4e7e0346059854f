package cudasim

import (
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// sgemmRef computes alpha*A*B + beta*C in float64, and the magnitude
// sum(|alpha*a*b|) + |beta*c| that bounds float32 rounding error.
func sgemmRef(a, b, c []float32, m, n, k int, alpha, beta float32) (want, mag []float64) {
	want, mag = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, g float64
			for p := 0; p < k; p++ {
				x := float64(a[i*k+p]) * float64(b[p*n+j])
				s += x
				g += math.Abs(x)
			}
			want[i*n+j] = float64(alpha)*s + float64(beta)*float64(c[i*n+j])
			mag[i*n+j] = math.Abs(float64(alpha))*g + math.Abs(float64(beta)*float64(c[i*n+j]))
		}
	}
	return want, mag
}

// launchSgemm runs sgemm_tiled on C (m x n) = alpha*A*B + beta*C.
func launchSgemm(s *Sim, f driver.Function, c, a, b driver.DevPtr, m, n, k int, alpha, beta float32) error {
	return s.Launch(f, driver.Dim3{X: (n + 63) / 64, Y: (m + 63) / 64}, driver.Dim3{X: 16, Y: 16}, 0,
		c, a, b, int32(m), int32(n), int32(k), alpha, beta)
}

func TestSgemmTiled(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "sgemm.ptx"), "sgemm_tiled")
	for _, sz := range [][3]int{{64, 64, 16}, {100, 70, 33}, {128, 192, 64}, {1, 5, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b, c := randF32(r, m*k, 1), randF32(r, k*n, 1), randF32(r, m*n, 1)
		alpha, beta := r.Float32()+0.5, r.Float32()-0.5
		pc := upload(t, s, c)
		if err := launchSgemm(s, f, pc, upload(t, s, a), upload(t, s, b), m, n, k, alpha, beta); err != nil {
			t.Fatal(err)
		}
		got := download[float32](t, s, pc, m*n)
		want, mag := sgemmRef(a, b, c, m, n, k, alpha, beta)
		for i := range got {
			if math.Abs(float64(got[i])-want[i]) > 1e-6*mag[i]*float64(k)+1e-7 {
				t.Fatalf("%dx%dx%d: C[%d] = %v, want %v", m, n, k, i, got[i], want[i])
			}
		}
	}
}
