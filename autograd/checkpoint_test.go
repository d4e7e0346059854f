package autograd_test

import (
	"math"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cuda" // cudasim
	"github.com/tapegrad/tapegrad/tensor"
)

// deepMLP is a stack of Linear+ReLU layers with dropout drawn from rng,
// written with Var ops so the test controls what Checkpoint sees.
type deepMLP struct {
	ws, bs []*autograd.Var
	rng    *tensor.RNG
}

func newDeepMLP(dev device.Device, seed uint64, layers, width int) *deepMLP {
	g := tensor.NewRNG(seed)
	m := &deepMLP{rng: tensor.NewRNG(seed + 1)}
	for range layers {
		bound := 1 / math.Sqrt(float64(width))
		m.ws = append(m.ws, autograd.Param(g.Uniform(dev, device.Float32, -bound, bound, width, width)))
		m.bs = append(m.bs, autograd.Param(g.Uniform(dev, device.Float32, -bound, bound, width)))
	}
	return m
}

// layer i: dropout(relu(x W + b)) with p = 0.1, scaled.
func (m *deepMLP) layer(i int, x *autograd.Var) *autograd.Var {
	h := x.MatMul(m.ws[i]).Add(m.bs[i]).ReLU()
	keep := m.rng.Uniform(h.Device(), h.DType(), 0, 1, h.Shape()...).GtScalar(0.1).Cast(h.DType())
	return h.Mul(autograd.Const(keep.MulScalar(1 / 0.9)))
}

// forward runs every layer, checkpointing every k layers (k = 0: none).
func (m *deepMLP) forward(x *autograd.Var, k int) *autograd.Var {
	n := len(m.ws)
	for lo := 0; lo < n; {
		hi := n
		if k > 0 {
			hi = min(lo+k, n)
		}
		if k == 0 {
			for i := lo; i < hi; i++ {
				x = m.layer(i, x)
			}
		} else {
			var ps []*autograd.Var
			for i := lo; i < hi; i++ {
				ps = append(ps, m.ws[i], m.bs[i])
			}
			from, to := lo, hi
			x = autograd.Checkpoint(func(in []*autograd.Var) *autograd.Var {
				y := in[0]
				for i := from; i < to; i++ {
					y = m.layer(i, y)
				}
				return y
			}, []*autograd.Var{x}, autograd.CheckpointOptions{Params: ps, RNGs: []*tensor.RNG{m.rng}})
		}
		lo = hi
	}
	return x
}

func sq(y *autograd.Var) *autograd.Var { return y.Mul(y).Sum(false) }

func (m *deepMLP) params() []*autograd.Var {
	return append(append([]*autograd.Var(nil), m.ws...), m.bs...)
}

// TestCheckpointGradientsBitIdentical trains nothing: it checks that a
// 32-layer MLP with dropout gives the same loss and the same gradients,
// to the bit, with and without checkpointing every 4 layers, on the CPU
// and on cudasim, and that the dropout stream continues as without.
func TestCheckpointGradientsBitIdentical(t *testing.T) {
	for _, dev := range []device.Device{device.CPUDevice, device.CUDASimDevice} {
		t.Run(dev.String(), func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			layers, width := 32, 64
			if dev == device.CUDASimDevice {
				layers, width = 8, 8
			}
			x := tensor.NewRNG(seed+2).Normal(dev, device.Float32, 0, 1, 4, width)
			run := func(k int) (float32, [][]float32, uint64) {
				m := newDeepMLP(dev, seed, layers, width)
				loss := sq(m.forward(autograd.Param(x), k))
				loss.Backward()
				var gs [][]float32
				for _, p := range m.params() {
					gs = append(gs, p.Grad().Float32s())
				}
				return loss.Value().Float32s()[0], gs, m.rng.Offset()
			}
			l0, g0, off0 := run(0)
			l4, g4, off4 := run(4)
			require.Equal(t, math.Float32bits(l0), math.Float32bits(l4), "loss %v vs %v", l0, l4)
			require.Len(t, g4, len(g0))
			for i := range g0 {
				for j := range g0[i] {
					if math.Float32bits(g0[i][j]) != math.Float32bits(g4[i][j]) {
						t.Fatalf("gradient %d element %d: %g without checkpointing, %g with", i, j, g0[i][j], g4[i][j])
					}
				}
			}
			require.Equal(t, off0, off4, "the dropout stream did not continue where it would have")
		})
	}
}

// heldAfterForward returns the CPU bytes still reachable once the forward
// pass of a 32-layer MLP is done and before backward: parameters, the
// input and what the tape keeps for backward.
func heldAfterForward(t testing.TB, k int) int64 {
	be := device.MustOpen(device.CPUDevice)
	m := newDeepMLP(device.CPUDevice, 7, 32, 256)
	x := autograd.Param(tensor.NewRNG(9).Normal(device.CPUDevice, device.Float32, 0, 1, 128, 256))
	settle := func() int64 {
		for range 3 {
			runtime.GC()
			time.Sleep(2 * time.Millisecond)
		}
		return be.Memory().Live
	}
	base := settle()
	loss := sq(m.forward(x, k))
	held := settle() - base
	loss.Backward()
	runtime.KeepAlive(m)
	return held
}

// TestCheckpointMemory checks that checkpointing every 4 layers of a
// 32-layer MLP keeps at least 3x fewer bytes between forward and backward.
func TestCheckpointMemory(t *testing.T) {
	full, ckpt := heldAfterForward(t, 0), heldAfterForward(t, 4)
	t.Logf("held after forward: %d bytes without checkpointing, %d with (%.1fx)", full, ckpt, float64(full)/float64(ckpt))
	require.GreaterOrEqual(t, float64(full), 3*float64(ckpt))
}

// BenchmarkCheckpointMemory reports the bytes a 32-layer MLP (width 256,
// batch 128) holds between forward and backward, without checkpointing and
// checkpointing every 4 layers.
func BenchmarkCheckpointMemory(b *testing.B) {
	for _, k := range []int{0, 4} {
		b.Run("every="+strconv.Itoa(k), func(b *testing.B) {
			var held int64
			for b.Loop() {
				held = heldAfterForward(b, k)
			}
			b.ReportMetric(float64(held)/(1<<20), "MiB-held")
		})
	}
}

// TestCheckpointForwardModeAndHVP checks that forward mode passes through
// a checkpoint (its JVP equals that of the plain function) and that a
// Hessian-vector product through one (forward over reverse, recording the
// recomputation) matches the plain one.
func TestCheckpointForwardModeAndHVP(t *testing.T) {
	g := tensor.NewRNG(uint64(time.Now().UnixNano()))
	w := autograd.Param(g.Normal(device.CPUDevice, device.Float64, 0, 1, 5, 5))
	x := autograd.Const(g.Normal(device.CPUDevice, device.Float64, 0, 1, 3, 5))
	v := autograd.Const(g.Normal(device.CPUDevice, device.Float64, 0, 1, 3, 5))
	plain := func(in []*autograd.Var) *autograd.Var { return in[0].MatMul(w).Tanh().MatMul(w).Sigmoid() }
	ckpt := func(in []*autograd.Var) *autograd.Var {
		return autograd.Checkpoint(plain, in, autograd.CheckpointOptions{Params: []*autograd.Var{w}})
	}
	_, t0 := autograd.JVP(plain, []*autograd.Var{x}, []*autograd.Var{v})
	_, t1 := autograd.JVP(ckpt, []*autograd.Var{x}, []*autograd.Var{v})
	require.Equal(t, t0.Value().Float64s(), t1.Value().Float64s())

	loss := func(f func([]*autograd.Var) *autograd.Var) func(*autograd.Var) *autograd.Var {
		return func(in *autograd.Var) *autograd.Var { y := f([]*autograd.Var{in}); return y.Mul(y).Sum(false) }
	}
	h0 := autograd.HVP(loss(plain), x, v).Value().Float64s()
	h1 := autograd.HVP(loss(ckpt), x, v).Value().Float64s()
	require.Len(t, h1, len(h0))
	for i := range h0 {
		require.InDelta(t, h0[i], h1[i], 1e-12*max(1, math.Abs(h0[i])), "element %d", i)
	}
}
