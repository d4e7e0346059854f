//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// adamF32Kernels lists the float32 Adam kernels this machine runs, fastest
// first: AVX-512F (8 float64 lanes), AVX (4 lanes), then the portable loop.
// Each runs adamGo's float64 operations in its order, without FMA, so all
// give bit-identical results.
var adamF32Kernels = func() []adamF32Kernel {
	var ks []adamF32Kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, adamF32Kernel{name: "avx512", run: vectorAdam(adamF32AVX512, 8)})
	}
	if cpu.X86.HasAVX {
		ks = append(ks, adamF32Kernel{name: "avx", run: vectorAdam(adamF32AVX, 4)})
	}
	return append(ks, goAdamF32)
}()

// vectorAdam runs kern over the whole vectors of [lo, hi) and adamGo over
// the rest.
func vectorAdam(kern func(p, grad, m, v *float32, n int, k *adamConsts), lanes int) func(p, g, m, v []float32, lo, hi int, k *adamConsts) {
	return func(p, g, m, v []float32, lo, hi int, k *adamConsts) {
		p, g, m, v = p[lo:hi], g[lo:hi:hi], m[lo:hi:hi], v[lo:hi:hi]
		whole := len(p) / lanes * lanes
		if whole > 0 {
			kern(&p[0], &g[0], &m[0], &v[0], whole/lanes, k)
		}
		adamGo(p, g, m, v, whole, len(p), k)
	}
}

// adamF32AVX512 is adamGo over n vectors of 8 float32 elements at p, g, m
// and v (optim_amd64.s).
//
//go:noescape
func adamF32AVX512(p, grad, m, v *float32, n int, k *adamConsts)

// adamF32AVX is adamF32AVX512 on 4 lanes.
//
//go:noescape
func adamF32AVX(p, grad, m, v *float32, n int, k *adamConsts)
