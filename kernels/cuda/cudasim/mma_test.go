package cudasim

import (
	"math"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// mmaKernel describes a kernel of testdata/sm80/mma.cu.
type mmaKernel struct {
	name string
	k    int    // the instruction's k
	in   string // "f16", "bf16" or "tf32"
	f16C bool   // f16 accumulators and f16 C
}

var mmaKernels = []mmaKernel{
	{"gemm_f16_k16", 16, "f16", false},
	{"gemm_bf16_k16", 16, "bf16", false},
	{"gemm_f16_k8", 8, "f16", false},
	{"gemm_bf16_k8", 8, "bf16", false},
	{"gemm_f16acc", 16, "f16", true},
	{"gemm_tf32_k8", 8, "tf32", false},
	{"gemm_tf32_k4", 4, "tf32", false},
}

// quantize rounds x to the kernel's input type and returns the value and
// the bits to upload (16-bit patterns, or float32 bits for tf32, which the
// kernel rounds itself with cvt.rna).
func (mk mmaKernel) quantize(x float32) (float64, uint32) {
	switch mk.in {
	case "f16":
		h := device.F16FromFloat32(x)
		return float64(h.Float32()), uint32(h)
	case "bf16":
		h := device.BF16FromFloat32(x)
		return float64(h.Float32()), uint32(h)
	}
	// tf32, round to nearest with ties away: add half of the dropped 13
	// bits to the magnitude, then drop them.
	b := math.Float32bits(x)
	return float64(math.Float32frombits((b + 0x1000) &^ 0x1fff)), b
}

// runMma runs a kernel on A (m x k) and B (k x n), given as float32 that
// the kernel's input type represents, and returns C (m x n) as float64.
func runMma(t *testing.T, s *Sim, mod driver.Module, mk mmaKernel, m, n, k int, a, b []float32) []float64 {
	t.Helper()
	enc := func(x []float32, rows, cols int, transpose bool) driver.DevPtr {
		var b16 []uint8
		var b32 []float32
		for i := range rows * cols {
			src := i
			if transpose { // element (r, c) of the transposed matrix
				r, c := i/cols, i%cols
				src = c*rows + r
			}
			_, bits := mk.quantize(x[src])
			b16 = append(b16, uint8(bits), uint8(bits>>8))
			b32 = append(b32, x[src])
		}
		if mk.in == "tf32" {
			return upload(t, s, b32)
		}
		return upload(t, s, b16)
	}
	pa := enc(a, m, k, false)
	pb := enc(b, n, k, true) // Bt is n x k
	size := 4
	if mk.f16C {
		size = 2
	}
	pc := upload(t, s, make([]uint8, m*n*size))
	if err := s.Launch(kernel(t, mod, mk.name), driver.Dim3{X: n / 8, Y: m / 16}, driver.Dim3{X: 32}, 0,
		pa, pb, pc, int32(n), int32(k)); err != nil {
		t.Fatalf("%s: %v", mk.name, err)
	}
	raw := download[uint8](t, s, pc, m*n*size)
	out := make([]float64, m*n)
	for i := range out {
		if mk.f16C {
			out[i] = float64(device.F16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8).Float32())
		} else {
			out[i] = float64(math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24))
		}
	}
	return out
}

// TestMmaFragments checks each shape's fragment layouts through selector
// matrices, which pair every element of A with one of B: with B[k][j] = 1
// where k = 2j+p mod K, D's column j is A's column 2j+p; with A[i][k] = 1
// where k = i mod K, D's row i is B's row i mod K. A and B hold distinct
// small integers, exact in every input type, so a wrong row, column or
// pairing shows. (Only a k order permuted alike in A and B would pass,
// and it cannot change any product.)
func TestMmaFragments(t *testing.T) {
	s := New()
	mod := loadTestdata(t, s, "sm80/mma.ptx")
	const m, n = 16, 8
	for _, mk := range mmaKernels {
		k := mk.k
		ints := func(rows, cols int) []float32 {
			x := make([]float32, rows*cols)
			for i := range x {
				x[i] = float32(i%61 + 1) // distinct within any row or column: 61 is prime
				if mk.in == "bf16" {
					x[i] = float32(i%127 + 1) // bf16 holds integers to 256
				}
			}
			return x
		}
		a := ints(m, k)
		for p := range 2 {
			b := make([]float32, k*n)
			for j := range n {
				b[(2*j+p)%k*n+j] = 1
			}
			got := runMma(t, s, mod, mk, m, n, k, a, b)
			for i := range m {
				for j := range n {
					if want := float64(a[i*k+(2*j+p)%k]); got[i*n+j] != want {
						t.Fatalf("%s, B selecting A's column %d: D[%d][%d] = %g, want %g", mk.name, (2*j+p)%k, i, j, got[i*n+j], want)
					}
				}
			}
		}
		sel := make([]float32, m*k)
		for i := range m {
			sel[i*k+i%k] = 1
		}
		b := ints(k, n)
		got := runMma(t, s, mod, mk, m, n, k, sel, b)
		for i := range m {
			for j := range n {
				if want := float64(b[i%k*n+j]); got[i*n+j] != want {
					t.Fatalf("%s, A selecting B's row %d: D[%d][%d] = %g, want %g", mk.name, i%k, i, j, got[i*n+j], want)
				}
			}
		}
	}
}

// TestMmaRandom multiplies random 32x64 by 64x16 matrices, several k
// steps and compares with (a) the emulation of cudasim's documented
// arithmetic, bit for bit: per instruction, C plus the k exact products
// summed in float64, rounded once to float32 (or f16); and (b) the float64
// product, within the rounding of one float32 (f16) per k step.
func TestMmaRandom(t *testing.T) {
	r := seeded(t)
	s := New()
	mod := loadTestdata(t, s, "sm80/mma.ptx")
	const m, n, k = 32, 16, 64
	for _, mk := range mmaKernels {
		a, b := make([]float32, m*k), make([]float32, k*n)
		qa, qb := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
			qa[i], _ = mk.quantize(a[i])
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
			qb[i], _ = mk.quantize(b[i])
		}
		got := runMma(t, s, mod, mk, m, n, k, a, b)
		for i := range m {
			for j := range n {
				var c, exact, mag float64
				for k0 := 0; k0 < k; k0 += mk.k {
					sum := c
					for kk := k0; kk < k0+mk.k; kk++ {
						p := qa[i*k+kk] * qb[kk*n+j]
						sum += p
						exact += p
						mag += math.Abs(p)
					}
					if mk.f16C {
						c = f16Of(sum)
					} else {
						c = float64(float32(sum))
					}
				}
				g := got[i*n+j]
				if g != c {
					t.Fatalf("%s: D[%d][%d] = %.9g, want %.9g (emulated)", mk.name, i, j, g, c)
				}
				tol := mag * float64(k/mk.k) * 0x1p-24
				if mk.f16C {
					tol = mag * float64(k/mk.k) * 0x1p-11
				}
				if math.Abs(g-exact) > tol {
					t.Fatalf("%s: D[%d][%d] = %.9g, float64 product %.9g: off by more than %g", mk.name, i, j, g, exact, tol)
				}
			}
		}
	}
}

// f16Of rounds a float64 to float16 directly (no float32 step).
func f16Of(x float64) float64 {
	f16 := newNarrowRef(func(p uint32) float64 { return float64(device.F16(p).Float32()) }, 0x7c00, 0)
	return float64(device.F16(f16.round(x, rndN)).Float32())
}

// TestMmaDivergence: mma.sync.aligned executed by part of a warp is
// reported (as bar.sync in divergent code is), naming the lanes.
func TestMmaDivergence(t *testing.T) {
	body := `
	.reg .f32 %d<4>;
	.reg .b32 %a<4>;
	mov.b32 %a0, 0; mov.b32 %a1, 0; mov.b32 %a2, 0; mov.b32 %a3, 0;
	mov.f32 %d0, 0f00000000; mov.f32 %d1, 0f00000000; mov.f32 %d2, 0f00000000; mov.f32 %d3, 0f00000000;
	setp.lt.u32 %p1, %r1, 16;
	@%p1 bra SKIP;
	mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%d0,%d1,%d2,%d3}, {%a0,%a1,%a2,%a3}, {%a0,%a1}, {%d0,%d1,%d2,%d3};
SKIP:`
	s := New()
	err := runInline(t, s, body, 32, upload(t, s, []uint32{0}))
	f, ok := err.(*Fault)
	if !ok || f.Kind != BarrierDivergence || !strings.Contains(f.Detail, "lanes 16-31") || f.Line != 20 {
		t.Fatalf("got %v, want a divergent-barrier fault at line 20 naming lanes 16-31", err)
	}
}
