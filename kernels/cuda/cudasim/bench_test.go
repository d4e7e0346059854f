package cudasim

import (
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// BenchmarkSgemm256 times one 256x256x256 tiled SGEMM launch on one
// worker (one core), synchronizing inside the loop, and reports the
// simulated GFLOP/s.
func BenchmarkSgemm256(b *testing.B) {
	const n = 256
	r := seeded(b)
	s := New(WithWorkers(1))
	f := kernel(b, loadTestdata(b, s, "sgemm.ptx"), "sgemm_tiled")
	pa, pb, pc := upload(b, s, randF32(r, n*n, 1)), upload(b, s, randF32(r, n*n, 1)), upload(b, s, randF32(r, n*n, 1))
	b.ResetTimer()
	for b.Loop() {
		if err := launchSgemm(s, f, pc, pa, pb, n, n, n, 1, 0); err != nil {
			b.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkTensorCoreGemm128 times one 128x128x128 bf16 GEMM through
// cp.async, ldmatrix and mma.m16n8k16 (testdata/sm80/pipeline.cu's
// tc_gemm) on one worker and reports the simulated GFLOP/s.
func BenchmarkTensorCoreGemm128(b *testing.B) {
	const n = 128
	r := seeded(b)
	s := New(WithWorkers(1))
	f := kernel(b, loadTestdata(b, s, "sm80/pipeline.ptx"), "tc_gemm")
	bf16 := func() driver.DevPtr {
		x := make([]uint8, 2*n*n)
		for i := 0; i < len(x); i += 2 {
			h := device.BF16FromFloat32(float32(r.NormFloat64()))
			x[i], x[i+1] = uint8(h), uint8(h>>8)
		}
		return upload(b, s, x)
	}
	pa, pb, pc := bf16(), bf16(), upload(b, s, make([]float32, n*n))
	b.ResetTimer()
	for b.Loop() {
		if err := s.Launch(f, driver.Dim3{X: n / 8, Y: n / 16}, driver.Dim3{X: 32}, 0, pa, pb, pc, int32(n), int32(n)); err != nil {
			b.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
