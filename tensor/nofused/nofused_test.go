// Package nofused_test checks the tensor layer's fallback for the fused
// VJP ops: a backend that leaves them out gets the same results, by
// composition, as one that has them. It is a package of its own because
// it registers a wrapper backend under the cudasim kind, which only a
// test binary that does not link kernels/cuda can do.
package nofused_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	"github.com/tapegrad/tapegrad/tensor"
)

// noFused is the CPU backend without the fused VJP ops: Binary refuses
// them with device.ErrUnsupported before touching dst, as a backend that
// has not written those kernels would, and counts the refusals.
type noFused struct {
	device.Backend
	refused atomic.Int64
}

func (b *noFused) Device() device.Device { return dev }

func (b *noFused) Binary(op device.BinaryOp, p float64, dst, a device.Buffer, al device.Layout, bb device.Buffer, bl device.Layout) error {
	if op.Info().Fused {
		b.refused.Add(1)
		return fmt.Errorf("Binary %v: %w", op, device.ErrUnsupported)
	}
	return b.Backend.Binary(op, p, dst, a, al, bb, bl)
}

// driver opens the one noFused device.
type driver struct{ be *noFused }

func (d driver) Count() (int, error)              { return 1, nil }
func (d driver) Open(int) (device.Backend, error) { return d.be, nil }

// dev is where the wrapper is registered: the cudasim kind, free in this
// test binary.
var (
	dev     = device.CUDASimDevice
	backend = &noFused{Backend: device.MustOpen(device.CPUDevice)}
)

func init() { device.Register(dev.Kind, driver{backend}) }

func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x6e6f66))
}

// from returns a tensor of shape on the CPU with values from domain d.
func from(r *rand.Rand, dt device.DType, d device.Domain, shape ...int) *tensor.Tensor {
	v := make([]float64, device.Numel(shape))
	for i := range v {
		v[i] = d.At(r.Float64())
	}
	return tensor.NewOn(device.CPUDevice, v, shape...).Cast(dt)
}

// requireClose compares two results elementwise, relative to 1+|want|.
func requireClose(t *testing.T, want, got *tensor.Tensor, rel float64, what string) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape(), what)
	w, g := want.Float64s(), got.To(device.CPUDevice).Float64s()
	for i := range w {
		require.LessOrEqualf(t, math.Abs(w[i]-g[i]), rel*(1+math.Abs(w[i])), "%s: element %d: fused %g, fallback %g", what, i, w[i], g[i])
	}
}

// tolerance is how far a composition may drift from the fused kernel,
// which rounds once where the composition rounds at every op.
func tolerance(dt device.DType) float64 {
	if dt == device.Float64 {
		return 1e-13
	}
	return 1e-5
}

// TestFusedFallback runs every fused op of device's table on the wrapper
// (which refuses it) and on the CPU (which has it), with broadcasting
// operands, and compares.
func TestFusedFallback(t *testing.T) {
	r := newRand(t)
	for _, op := range device.BinaryOps() {
		in := op.Info()
		if !in.Fused {
			continue
		}
		for _, dt := range []device.DType{device.Float32, device.Float64} {
			t.Run(op.String()+"/"+dt.String(), func(t *testing.T) {
				p := 0.0
				if len(in.Params) > 0 {
					p = in.Params[0]
				}
				x, g := from(r, dt, in.A, 3, 1, 7), from(r, dt, in.B, 5, 7)
				before := backend.refused.Load()
				got := tensor.Binary(op, p, x.To(dev), g.To(dev))
				require.Greater(t, backend.refused.Load(), before, "the wrapper was not asked for the fused op")
				requireClose(t, tensor.Binary(op, p, x, g), got, tolerance(dt), op.String())
			})
		}
	}
}

// TestFusedFallbackGrad takes first and second derivatives through every
// activation with a fused VJP (ReLU, LeakyReLU, Sigmoid, Tanh, GELU) on
// the wrapper and on the CPU, and compares.
func TestFusedFallbackGrad(t *testing.T) {
	r := newRand(t)
	x0 := from(r, device.Float64, device.Domain{Lo: -2, Hi: 2, Gap: 0.1}, 4, 6)
	grads := func(d device.Device) (*tensor.Tensor, *tensor.Tensor) {
		x := autograd.Param(x0.To(d))
		y := x.ReLU().Add(x.LeakyReLU(0.2)).Add(x.Sigmoid()).Add(x.Tanh()).Add(x.GELU()).Sum(false)
		g := autograd.Grad([]*autograd.Var{y}, []*autograd.Var{x}, autograd.GradOptions{CreateGraph: true})[0]
		gg := autograd.Grad([]*autograd.Var{g.Mul(g).Sum(false)}, []*autograd.Var{x}, autograd.GradOptions{})[0]
		return g.Value(), gg.Value()
	}
	before := backend.refused.Load()
	g, gg := grads(dev)
	require.Greater(t, backend.refused.Load(), before, "the wrapper was not asked for the fused ops")
	wg, wgg := grads(device.CPUDevice)
	requireClose(t, wg, g, tolerance(device.Float64), "gradient")
	requireClose(t, wgg, gg, tolerance(device.Float64), "second derivative")
}
