package cudasim

import (
	"testing"
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
