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
// The CPU backend is linked into any test binary that imports this
// package.
package devicetest
