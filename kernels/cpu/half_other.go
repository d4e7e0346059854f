//go:build purego || !amd64

package cpu

// halfSet is halfGo: widen and narrow run their Go loops alone and never
// call widenVec or narrowVec, which have no kernels to run here.
var halfSet = halfGo

func widenVec(dst *float32, src *uint16, n int, f16 bool) {
	panic("cpu: no half-precision kernels in this build")
}

func narrowVec(dst *uint16, src *float32, n int, f16 bool) {
	panic("cpu: no half-precision kernels in this build")
}
