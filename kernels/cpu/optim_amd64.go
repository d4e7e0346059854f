//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// adamF32Kernels lists the float32 Adam kernels this machine runs, fastest
// first: AVX (4 float64 lanes), then the portable loop. Each runs adamGo's
// float64 operations in its order, without FMA, so both give bit-identical
// results. An AVX-512 version on 8 lanes ran no faster (0.73 ms for the
// MLP's 235146 parameters on one Xeon core, either way: the divisions and
// square roots bound it) and was dropped.
var adamF32Kernels = func() []adamF32Kernel {
	var ks []adamF32Kernel
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

// adamF32AVX is adamGo over n vectors of 4 float32 elements at p, grad, m
// and v (optim_amd64.s).
//
//go:noescape
func adamF32AVX(p, grad, m, v *float32, n int, k *adamConsts)

// sgdF32Kernels lists the float32 SGD kernels this machine runs, as
// adamF32Kernels does (an AVX-512 version was slower here: 0.15 ms against
// AVX's 0.115 ms with momentum, on the same parameters).
var sgdF32Kernels = func() []sgdF32Kernel {
	var ks []sgdF32Kernel
	if cpu.X86.HasAVX {
		ks = append(ks, sgdF32Kernel{name: "avx", run: vectorSGD(sgdF32AVX, 4)})
	}
	return append(ks, goSGDF32)
}()

// vectorSGD runs kern over the whole vectors of [lo, hi) and sgdGo over the
// rest.
func vectorSGD(kern func(p, grad, m *float32, n int, k *sgdConsts), lanes int) func(p, g, m []float32, lo, hi int, k *sgdConsts) {
	return func(p, g, m []float32, lo, hi int, k *sgdConsts) {
		whole := (hi - lo) / lanes * lanes
		if whole > 0 {
			mp := &p[lo] // not touched without momentum
			if k.mode != 0 {
				mp = &m[lo:hi][0]
			}
			kern(&p[lo:hi][0], &g[lo:hi][0], mp, whole/lanes, k)
		}
		sgdGo(p, g, m, lo+whole, hi, k)
	}
}

// sgdF32AVX is sgdGo over n vectors of 4 float32 elements at p, grad and
// m (optim_amd64.s).
//
//go:noescape
func sgdF32AVX(p, grad, m *float32, n int, k *sgdConsts)
