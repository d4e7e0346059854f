package devicetest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu" // the reference
)

// Backend runs every method of device.Backend on b and on the CPU
// reference with the same random inputs, and compares the results with
// per-dtype tolerances. Inputs cover edge sizes (1, primes, more than one
// block and more than one grid of a capped launch), strided, shifted,
// permuted, flipped and broadcast layouts, every unary, binary and
// reduce op, matmul transposes and batch broadcasting, softmax and
// cross-entropy, indexing, conv and pooling, the optimizers and the
// random streams (checked against device.PhiloxUniform and PhiloxNormal
// themselves). Subtests are named family/op_dtype/case. The seed is
// logged; set TAPEGRAD_SEED to replay it.
//
// The half types run where the backend opts in with WithDTypes. The CPU
// is not tested against itself, except in the half types it opts into.
func Backend(t *testing.T, b device.Backend, opts ...Option) {
	cpu, err := device.Open(device.CPUDevice)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{be: [2]device.Backend{cpu, b}, seed: seed(t)}
	for _, o := range opts {
		o(h)
	}
	if b.Device() == device.CPUDevice {
		if len(h.half) == 0 {
			t.Skip("the CPU backend is the reference")
		}
		h.self = true
	}
	t.Logf("%s=%d", EnvSeed, h.seed)
	t.Run("memory", h.memory)
	t.Run("unary", h.unary)
	t.Run("binary", h.binary)
	t.Run("where", h.where)
	t.Run("reduce", h.reduce)
	t.Run("matmul", h.matmul)
	t.Run("softmax", h.softmax)
	t.Run("index", h.index)
	t.Run("bad-index", h.badIndex)
	t.Run("conv", h.conv)
	t.Run("optim", h.optim)
	t.Run("rand", h.random)
}

// Option adds to what Backend checks.
type Option func(*harness)

// WithDTypes opts the backend into the half types (device.BFloat16,
// device.Float16) it supports: every op family that takes float buffers
// also runs in them, against the CPU in float64 on the same rounded
// inputs, within float32's tolerance plus one rounding to the type
// (halfTol: 2^-8 relative for bfloat16, 2^-11 for float16), and MatMul
// also writes a float32 C from half inputs. Other dtypes are ignored.
func WithDTypes(dts ...device.DType) Option {
	return func(h *harness) {
		for _, dt := range dts {
			if dt.IsHalf() && !slices.Contains(h.half, dt) {
				h.half = append(h.half, dt)
			}
		}
	}
}

// memory covers Alloc, Free, Write/Read, Fill, Copy and Cast.
func (h *harness) memory(t *testing.T) {
	b := h.be[dut]
	t.Run("alloc", func(t *testing.T) {
		if h.self {
			t.Skip("the CPU is the reference")
		}
		before := b.Memory()
		x, err := b.Alloc(device.Float32, 0)
		if err != nil {
			t.Fatalf("Alloc of 0 elements: %v", err)
		}
		if err := b.Write(x, []float32{}); err != nil {
			t.Errorf("Write of 0 elements: %v", err)
		}
		if err := b.Read([]float32{}, x); err != nil {
			t.Errorf("Read of 0 elements: %v", err)
		}
		b.Free(x)
		b.Free(x)
		y, err := b.Alloc(device.Float64, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if m := b.Memory(); m.Live < before.Live+8000 || m.Peak < m.Live {
			t.Errorf("after allocating 8000 bytes: %+v (before %+v)", m, before)
		}
		b.Free(y)
		b.Free(y)
		if err := b.Write(y, make([]float64, 1000)); err == nil {
			t.Errorf("Write to a freed buffer succeeded")
		}
		foreign, err := h.be[ref].Alloc(device.Float32, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer h.be[ref].Free(foreign)
		if err := b.Write(foreign, make([]float32, 4)); err == nil {
			t.Errorf("Write to a %v buffer succeeded", h.be[ref].Device())
		}
		b.Free(foreign)
	})
	for _, dt := range h.all() {
		t.Run("roundtrip_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			for _, n := range []int{1, 7, 1031} {
				data := values(r, dt, n)
				p := h.upload(t, dt, data)
				compareValues(t, "roundtrip", h.read(t, p, ref), h.read(t, p, dut), exact)
			}
		})
		t.Run("fill_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			for i, shape := range elementwiseShapes {
				k := viewKind(i % int(numViewKinds))
				if k == broadcast {
					k = contiguous
				}
				p, l := h.input(t, r, dt, shape, k, nil)
				v := r.Float64()*200 - 100
				if h.run(t, func(be device.Backend, s side) error { return be.Fill(p.on(s), l, v) }) {
					h.compare(t, "fill "+shapeName(shape)+" "+k.String(), p, p.n, exact)
				}
			}
		})
		t.Run("copy_"+dt.Suffix(), func(t *testing.T) {
			r := h.rng(t)
			for i, shape := range elementwiseShapes {
				sk := viewKind((i + 1) % int(numViewKinds))
				dk := viewKind(i % int(numViewKinds))
				if dk == broadcast {
					dk = padded
				}
				src, sl := h.input(t, r, dt, shape, sk, nil)
				dst, dl := h.input(t, r, dt, shape, dk, nil)
				if h.run(t, func(be device.Backend, s side) error { return be.Copy(dst.on(s), dl, src.on(s), sl) }) {
					h.compare(t, "copy "+shapeName(shape)+" "+sk.String()+" to "+dk.String(), dst, dst.n, exact)
				}
			}
		})
	}
	every := append(append([]device.DType(nil), all...), h.half...)
	for _, from := range every {
		for _, to := range every {
			if h.self && !from.IsHalf() && !to.IsHalf() {
				continue
			}
			t.Run("cast_"+from.Suffix()+"_"+to.Suffix(), func(t *testing.T) { h.cast(t, from, to) })
		}
	}
}

// cast converts strided inputs, including fractions, NaN and values past
// the int32 range.
func (h *harness) cast(t *testing.T, from, to device.DType) {
	r := h.rng(t)
	special := []float64{2.5, -2.5, 0.99, -0.99, 1e10, -1e10, math.NaN(), 7}
	if from.IsHalf() || to.IsHalf() {
		// the edges of float16 (65504 the largest, 65520 rounds to Inf,
		// subnormals) and of bfloat16 (past float32's range is Inf)
		special = append(special, 65504, -65519, 65520, 1e-6, -3e-8, 3.39e38, 1e39, math.Inf(-1))
	}
	gen := func(n int) []float64 {
		out := values(r, from, n)
		for i := range out {
			if from != device.Int32 && r.IntN(4) == 0 {
				out[i] = special[r.IntN(len(special))]
			}
		}
		return out
	}
	for i, shape := range elementwiseShapes {
		k := viewKind(i % int(numViewKinds))
		src, sl := h.input(t, r, from, shape, k, gen)
		n := device.Numel(shape)
		dst := h.alloc(t, to, n)
		if h.run(t, func(be device.Backend, s side) error { return be.Cast(dst.on(s), src.on(s), sl) }) {
			h.compare(t, "cast "+shapeName(shape)+" "+k.String(), dst, n, exact)
		}
	}
}

// elementwiseShapes are the shapes of the elementwise, memory and where
// tests: rank 0, ones, primes, rank 8, and sizes past one 256-thread block
// and past a 64-block grid (16384 threads).
var elementwiseShapes = [][]int{
	{}, {1}, {7}, {13, 1}, {3, 5, 7}, {2, 3, 4, 5}, {1031}, {17, 61}, {2, 1, 3, 1, 5, 1, 2, 3}, {127, 131},
}

// pick returns a random element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
