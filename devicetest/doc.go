// Package devicetest holds conformance suites that every device backend
// calls from its own tests, comparing it with the CPU reference on random
// inputs (seeded, the seed logged, and TAPEGRAD_SEED replays it).
//
// Backend exercises each method of device.Backend directly: every op
// family, every op and dtype, on edge sizes and on strided, shifted,
// permuted, flipped and broadcast layouts. A backend package calls it on
// one of its backends:
//
//	func TestConformance(t *testing.T) {
//		devicetest.Backend(t, device.MustOpen(device.CUDASimDevice))
//	}
//
// The half types (BFloat16, Float16) are opt-in per backend, with
// WithDTypes, while a backend is still gaining them; they are checked
// against the CPU in float64 on the same rounded inputs, within float32's
// tolerance plus one rounding to the type (2^-8 relative for bfloat16,
// 2^-11 for float16). The CPU runs them on itself (kernels/cpu's
// TestHalfConformance).
//
// The CPU backend is linked into any test binary that imports this
// package.
package devicetest
