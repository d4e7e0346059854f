package cudasim

import (
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// ordered64 maps float64 bits to integers in the same order as the floats.
func ordered64(f float64) int64 {
	b := int64(math.Float64bits(f))
	if b < 0 {
		b = math.MinInt64 - b
	}
	return b
}

func TestMathF32(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "math.ptx"), "math_f32")
	n := 700
	x := randF32(r, n, 6)
	copy(x, []float32{0, -0.0, 1, -1, 0.5, 1e-3, 88, -87, 5.5, -2.5})
	x[1] = float32(math.Copysign(0, -1))
	type row struct {
		name string
		ulps int64 // CUDA's documented maximum error, plus one for the float64 reference
		ref  func(v, p float64) float64
	}
	rows := []row{
		{"expf", 3, func(v, _ float64) float64 { return math.Exp(v) }}, {"logf", 2, func(_, p float64) float64 { return math.Log(p) }},
		{"tanhf", 3, func(v, _ float64) float64 { return math.Tanh(v) }},
		{"sqrtf", 0, func(_, p float64) float64 { return math.Sqrt(p) }},
		{"rsqrtf", 3, func(_, p float64) float64 { return 1 / math.Sqrt(p) }},
		{"sinf", 3, func(v, _ float64) float64 { return math.Sin(v) }},
		{"cosf", 3, func(v, _ float64) float64 { return math.Cos(v) }},
		{"powf", 9, func(_, p float64) float64 { return math.Pow(p, float64(float32(1.7))) }},
		{"div", 0, func(v, p float64) float64 { return v / p }},
		{"__fdividef", 3, func(v, p float64) float64 { return v / p }},
		{"__expf", 200, func(v, _ float64) float64 { return math.Exp(v) }},
		{"sigmoid", 4, func(v, _ float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"fminf", 0, func(v, _ float64) float64 { return math.Min(v, 0.25) }},
		{"fmaxf", 0, func(v, _ float64) float64 { return math.Max(v, 0.25) }},
		{"floorf", 0, func(v, _ float64) float64 { return math.Floor(float64(float32(v * 3))) }},
		{"ceilf", 0, func(v, _ float64) float64 { return math.Ceil(float64(float32(v * 3))) }},
		{"truncf", 0, func(v, _ float64) float64 { return math.Trunc(float64(float32(v * 3))) }},
		{"rintf", 0, func(v, _ float64) float64 { return math.RoundToEven(float64(float32(v * 3))) }},
		{"__float2int_rn", 0, func(v, _ float64) float64 { return math.RoundToEven(float64(float32(v * 100))) }},
		{"__saturatef", 0, func(v, _ float64) float64 { return math.Max(0, math.Min(1, v)) }},
		{"erff", 3, func(v, _ float64) float64 { return math.Erf(v) }},
		{"log1pf", 2, func(_, p float64) float64 { return math.Log1p(p) }},
		{"fmaf", 0, func(v, p float64) float64 { return v*p - 1 }},
	}
	out := upload(t, s, make([]float32, len(rows)*n))
	if err := s.Launch(f, driver.Dim3{X: (n + 127) / 128}, driver.Dim3{X: 128}, 0, out, upload(t, s, x), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, s, out, len(rows)*n)
	for k, rw := range rows {
		for i, v := range x {
			p := float32(math.Abs(float64(v)) + 0.5)
			want := float32(rw.ref(float64(v), float64(p)))
			if g := got[k*n+i]; !closeULP(g, want, rw.ulps) && !(want == 0 && math.Abs(float64(g)) < 1e-30) {
				t.Errorf("%s(%v) = %v, want %v (within %d ulp)", rw.name, v, g, want, rw.ulps)
			}
		}
	}
}

func TestMathF64(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "math.ptx"), "math_f64")
	n := 500
	x := make([]float64, n)
	for i := range x {
		x[i] = (r.Float64()*2 - 1) * 20
	}
	copy(x, []float64{0, 1, -1, 0.5, 700, -700, 1e-300, 3.25})
	rows := []struct {
		name string
		ulps int64 // libdevice's documented maximum error, plus the reference's
		ref  func(v, p float64) float64
	}{
		{"exp", 2, func(v, _ float64) float64 { return math.Exp(v) }},
		{"log", 2, func(_, p float64) float64 { return math.Log(p) }},
		{"tanh", 3, func(v, _ float64) float64 { return math.Tanh(v) }},
		{"sqrt", 0, func(_, p float64) float64 { return math.Sqrt(p) }},
		{"rsqrt", 2, func(_, p float64) float64 { return 1 / math.Sqrt(p) }},
		{"sin", 2, func(v, _ float64) float64 { return math.Sin(v) }},
		{"cos", 2, func(v, _ float64) float64 { return math.Cos(v) }},
		{"pow", 3, func(_, p float64) float64 { return math.Pow(p, 1.7) }},
		{"div", 0, func(v, p float64) float64 { return v / p }},
		{"sigmoid", 4, func(v, _ float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"fmin", 0, func(v, _ float64) float64 { return math.Min(v, 0.25) }},
		{"fmax", 0, func(v, _ float64) float64 { return math.Max(v, 0.25) }},
		{"floor", 0, func(v, _ float64) float64 { return math.Floor(v * 3) }},
		{"to f32 and back", 0, func(v, _ float64) float64 { return float64(float32(v)) }},
		{"to int64", 0, func(v, _ float64) float64 { return float64(int64(v * 1e6)) }},
		{"fma", 0, func(v, p float64) float64 { return math.FMA(v, p, -1) }},
	}
	out := upload(t, s, make([]float64, len(rows)*n))
	if err := s.Launch(f, driver.Dim3{X: (n + 127) / 128}, driver.Dim3{X: 128}, 0, out, upload(t, s, x), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float64](t, s, out, len(rows)*n)
	for k, rw := range rows {
		for i, v := range x {
			p := math.Abs(v) + 0.5
			want, g := rw.ref(v, p), got[k*n+i]
			if d := ordered64(g) - ordered64(want); (d > rw.ulps || d < -rw.ulps) && !(want == 0 && math.Abs(g) < 1e-300) {
				t.Errorf("%s(%v) = %v, want %v (within %d ulp)", rw.name, v, g, want, rw.ulps)
			}
		}
	}
}
