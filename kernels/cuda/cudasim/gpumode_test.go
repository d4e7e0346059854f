package cudasim

import (
	"math"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// modeKernel reads a, b, c (256 floats each, from %rd1) at the thread's
// index and writes nine results: mul+add, c-a*b (sub), and the f32
// .approx functions.
const modeKernel = `
	mul.wide.u32 %rd2, %r1, 4;
	add.s64 %rd2, %rd1, %rd2;
	ld.global.f32 %f1, [%rd2];
	ld.global.f32 %f2, [%rd2+1024];
	ld.global.f32 %f3, [%rd2+2048];
	mul.f32 %f4, %f1, %f2;
	add.f32 %f5, %f4, %f3;
	st.global.f32 [%rd2+3072], %f5;
	mul.f32 %f4, %f1, %f2;
	sub.f32 %f5, %f3, %f4;
	st.global.f32 [%rd2+4096], %f5;
	abs.f32 %f4, %f1;
	add.f32 %f4, %f4, 0f3C000000;
	rcp.approx.f32 %f5, %f4;
	st.global.f32 [%rd2+5120], %f5;
	sqrt.approx.f32 %f5, %f4;
	st.global.f32 [%rd2+6144], %f5;
	ex2.approx.ftz.f32 %f5, %f1;
	st.global.f32 [%rd2+7168], %f5;
	lg2.approx.f32 %f5, %f4;
	st.global.f32 [%rd2+8192], %f5;
	sin.approx.f32 %f5, %f1;
	st.global.f32 [%rd2+9216], %f5;
	div.full.f32 %f5, %f3, %f4;
	st.global.f32 [%rd2+10240], %f5;
	tanh.approx.f32 %f5, %f1;
	st.global.f32 [%rd2+11264], %f5;`

func runModeKernel(t *testing.T, s *Sim, a, b, c []float32) []float32 {
	t.Helper()
	in := append(append(append([]float32{}, a...), b...), c...)
	p := upload(t, s, append(in, make([]float32, 9*256)...))
	m, err := s.Load("mode.ptx", inline(".reg .f32 %g<6>;\n"+strings.ReplaceAll(modeKernel, "%f", "%g")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Launch(kernel(t, m, "k"), driver.Dim3{X: 1}, driver.Dim3{X: 256}, 0, p); err != nil {
		t.Fatal(err)
	}
	return download[float32](t, s, p, 12*256)[3*256:]
}

// TestModeGPU: in ModeGPU a mul followed by an add or sub of its result
// is one fused multiply-add, and .approx results sit at their error
// bound, deterministically; ModeExact rounds twice and returns correctly
// rounded results.
func TestModeGPU(t *testing.T) {
	r := seeded(t)
	a, b, c := randF32(r, 256, 4), randF32(r, 256, 4), randF32(r, 256, 4)
	exact := runModeKernel(t, New(), a, b, c)
	gpu := runModeKernel(t, New(WithMode(ModeGPU)), a, b, c)
	again := runModeKernel(t, New(WithMode(ModeGPU)), a, b, c)
	bits := func(x float32) uint64 { return uint64(math.Float32bits(x)) }
	fused, moved := 0, make([]int, 7)
	for i := range 256 {
		if got, want := exact[i], a[i]*b[i]+c[i]; got != float32(float64(float32(a[i]*b[i]))+float64(c[i])) {
			t.Fatalf("exact mul+add[%d] = %g, want %g rounded twice", i, got, want)
		}
		if got, want := gpu[i], math.Float32frombits(uint32(fma32(bits(a[i]), bits(b[i]), bits(c[i])))); got != want {
			t.Fatalf("gpu mul+add[%d] = %g, want fma %g", i, got, want)
		}
		if got, want := gpu[256+i], math.Float32frombits(uint32(fma32(bits(-a[i]), bits(b[i]), bits(c[i])))); got != want {
			t.Fatalf("gpu c-a*b[%d] = %g, want fma %g", i, got, want)
		}
		if gpu[i] != exact[i] {
			fused++
		}
		x, y := float64(a[i]), math.Abs(float64(a[i]))+1.0/128
		for k, ref := range []struct {
			exact float64
			bound float64
		}{
			{1 / y, ulp32(1 / y)},
			{math.Sqrt(y), math.Sqrt(y) * math.Exp2(-23)},
			{math.Exp2(x), 2.5 * ulp32(math.Exp2(x))}, // 2 ulp from the correctly rounded result
			{math.Log2(y), lg2Err(y)},
			{math.Sin(x), math.Exp2(-20.5)},
			{float64(c[i]) / y, 2 * ulp32(float64(c[i])/y)},
			{math.Tanh(x), math.Exp2(-11) * math.Abs(math.Tanh(x))},
		} {
			j := (2+k)*256 + i
			// A bound below half an ulp (lg2, sin of large results) still
			// allows the correctly rounded result.
			bound := max(ref.bound, ulp32(ref.exact)/2)
			if d := math.Abs(float64(gpu[j]) - ref.exact); d > bound {
				t.Fatalf("gpu result %d of thread %d = %g, %g from exact %g, beyond the bound %g", k, i, gpu[j], d, ref.exact, bound)
			}
			if gpu[j] != again[j] {
				t.Fatalf("gpu result %d of thread %d is %g on one run and %g on another", k, i, gpu[j], again[j])
			}
			if gpu[j] != exact[j] {
				moved[k]++
			}
		}
	}
	t.Logf("%d of 256 mul+add results differ when fused; .approx results moved off the correctly rounded value: %v", fused, moved)
	if fused == 0 {
		t.Error("no mul+add result changed when fused")
	}
	for k, n := range moved {
		if n < 64 {
			t.Errorf("approx result %d: only %d of 256 moved to the error bound", k, n)
		}
	}
}

// lg2Err is lg2.approx's bound: 2^-22 absolute on (0.5, 2), relative
// elsewhere.
func lg2Err(y float64) float64 {
	if y > 0.5 && y < 2 {
		return math.Exp2(-22)
	}
	return math.Exp2(-22) * math.Abs(math.Log2(y))
}

func TestModeFromEnv(t *testing.T) {
	t.Setenv(ModeEnv, "gpu")
	if s := New(); s.mode != ModeGPU {
		t.Fatalf("%s=gpu gives mode %d", ModeEnv, s.mode)
	}
	t.Setenv(ModeEnv, "fast")
	if err := runInline(t, New(), "", 32, 0); err == nil || !strings.Contains(err.Error(), ModeEnv) {
		t.Fatalf("a bad %s gave %v, want an error naming it", ModeEnv, err)
	}
}
