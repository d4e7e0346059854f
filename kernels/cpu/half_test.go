package cpu

import (
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// The conversions must agree bit for bit with the device package's
// reference ones: on every 16-bit pattern (widening), and on the float32
// patterns around every rounding boundary plus random ones (narrowing),
// with each set of vector kernels this machine runs (halfSet) and with the Go loops
// alone; the vector kernels from an odd start, so every lane meets values
// of every kind.
func TestHalfConversions(t *testing.T) {
	old := halfSet
	t.Cleanup(func() { halfSet = old })
	for set := halfGo; set <= old; set++ {
		t.Run([]string{"go", "avx2", "avx512"}[set], func(t *testing.T) {
			halfSet = set
			checkHalfConversions(t, 0)
			checkHalfConversions(t, 5)
		})
	}
}

// checkHalfConversions is TestHalfConversions from element skip of each
// input on.
func checkHalfConversions(t *testing.T, skip int) {
	r := newRand(t)
	all := make([]uint16, 1<<16)
	for i := range all {
		all[i] = uint16(i)
	}
	bf, f16 := make([]device.BF16, len(all)), make([]device.F16, len(all))
	for i, v := range all {
		bf[i], f16[i] = device.BF16(v), device.F16(v)
	}
	all, bf, f16 = all[skip:], bf[skip:], f16[skip:]
	wb, wf := make([]float32, len(all)), make([]float32, len(all))
	widen(wb, bf)
	widen(wf, f16)
	for i := range all {
		if math.Float32bits(bf[i].Float32()) != math.Float32bits(wb[i]) || math.Float32bits(f16[i].Float32()) != math.Float32bits(wf[i]) {
			t.Fatalf("%#04x: bf16 %#08x, want %#08x; f16 %#08x, want %#08x", all[i],
				math.Float32bits(wb[i]), math.Float32bits(bf[i].Float32()), math.Float32bits(wf[i]), math.Float32bits(f16[i].Float32()))
		}
	}
	// Each f16 value, its neighbours in float32 and the midpoints (ties)
	// between consecutive f16 values, both signs; then random bits.
	var in []float32
	for i := range 1 << 15 {
		v := device.F16(i).Float32()
		in = append(in, v, math.Nextafter32(v, 0), math.Nextafter32(v, 1e10))
		if i+1 < 0x7c00 {
			mid := (float64(v) + float64(device.F16(i+1).Float32())) / 2
			in = append(in, float32(mid))
		}
	}
	for range 1 << 18 {
		in = append(in, math.Float32frombits(r.Uint32()))
	}
	in = append(in, 65504, 65519.99, 65520, 1e38, float32(math.Inf(1)), float32(math.NaN()), 0)
	for _, v := range in[:len(in):len(in)] {
		in = append(in, -v)
	}
	in = in[skip:]
	gb, gf := make([]device.BF16, len(in)), make([]device.F16, len(in))
	narrow(gb, in)
	narrow(gf, in)
	for i, v := range in {
		if device.BF16FromFloat32(v) != gb[i] || device.F16FromFloat32(v) != gf[i] {
			t.Fatalf("%v (%#08x): bf16 %#04x, want %#04x; f16 %#04x, want %#04x", v, math.Float32bits(v),
				gb[i], device.BF16FromFloat32(v), gf[i], device.F16FromFloat32(v))
		}
	}
}

// Cast to and from the half types at the edges of their range: float16
// overflows to Inf from 65520 on, keeps subnormals, and NaN stays NaN in
// every float type and becomes 0 in Int32. The expected values are
// PyTorch 1.13's x.float().to(dtype).
func TestCastHalfEdges(t *testing.T) {
	in := []float64{65504, 65519, 65520, -70000, 6e-8, 2.9e-8, 1e-40, 3.39e38, math.Inf(-1), math.NaN(), -2.5, 1 + 1.0/1024}
	want := map[device.DType][]float64{
		device.Float16:  {65504, 65504, math.Inf(1), math.Inf(-1), 0x1p-24, 0, 0, math.Inf(1), math.Inf(-1), math.NaN(), -2.5, 1 + 1.0/1024},
		device.BFloat16: {65536, 65536, 65536, -70144, 6.007030606269836e-08, 2.898741513490677e-08, 9.183549615799121e-41, 3.3895313892515355e+38, math.Inf(-1), math.NaN(), -2.5, 1},
	}
	l := device.Contiguous([]int{len(in)})
	for _, dt := range halfTypes {
		src := upload(t, device.Float64, in)
		h := alloc(t, dt, len(in))
		require.NoError(t, shared.Cast(h, src, l))
		got := download(t, h)
		requireClose(t, want[dt], got, 1e-9, dt)
		for _, to := range storeTypes {
			out := alloc(t, to, len(in))
			require.NoError(t, shared.Cast(out, h, l))
			ref := make([]float64, len(got))
			for i, v := range got {
				if to == device.Int32 {
					ref[i] = float64(toInt32(v))
				} else {
					ref[i] = round(to, []float64{v})[0]
				}
			}
			requireClose(t, ref, download(t, out), 0, dt, "->", to)
		}
	}
}

// The half path of the op families without layouts (optimizers, random
// numbers) gives the float32 op on the widened inputs, rounded; outputs
// longer than the op leave their tail alone; mixed dtypes are errors
// naming the op.
func TestHalfOpsPlain(t *testing.T) {
	r := newRand(t)
	const n = 129
	for _, dt := range halfTypes {
		p, g, m := randVals(r, dt, n), randVals(r, dt, n), randVals(r, dt, n)
		hp, hg, hm := upload(t, dt, p), upload(t, dt, g), upload(t, dt, m)
		fp, fg, fm := upload(t, device.Float32, p), upload(t, device.Float32, g), upload(t, device.Float32, m)
		h := device.SGDParams{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true}
		require.NoError(t, shared.SGD(hp, hg, hm, n, h))
		require.NoError(t, shared.SGD(fp, fg, fm, n, h))
		require.Equal(t, round(dt, download(t, fp)), download(t, hp))
		require.Equal(t, round(dt, download(t, fm)), download(t, hm))

		hr, fr := alloc(t, dt, n+2), alloc(t, device.Float32, n)
		require.NoError(t, shared.Rand(hr, n, device.Normal, 7, 3, 0.5, 2))
		require.NoError(t, shared.Rand(fr, n, device.Normal, 7, 3, 0.5, 2))
		got := download(t, hr)
		require.Equal(t, round(dt, download(t, fr)), got[:n])
		junk := round(dt, []float64{12345})[0] // what alloc fills with
		require.Equal(t, []float64{junk, junk}, got[n:], "Rand wrote past n")

		dst := alloc(t, dt, 10)
		l := device.Contiguous([]int{7})
		require.NoError(t, shared.Unary(device.Neg, 0, dst, hp, l))
		require.Equal(t, append(neg(download(t, hp)[:7]), junk, junk, junk), download(t, dst))

		other := device.Float16
		if dt == device.Float16 {
			other = device.BFloat16
		}
		err := shared.Binary(device.Add, 0, dst, hp, l, upload(t, other, p), l)
		require.ErrorContains(t, err, "cpu: Binary add: got a "+other.String())
		require.ErrorContains(t, shared.SGD(hp, fg, nil, n, device.SGDParams{LR: 1}), "cpu: SGD: got a float32")
		c64 := alloc(t, device.Float64, 1)
		err = shared.MatMul(device.MatMulArgs{Batch: 1, M: 1, N: 1, K: 1, A: hp, B: hg, C: c64, LDA: 1, LDB: 1})
		require.ErrorContains(t, err, "cpu: MatMul: C is float64")
	}
}

func neg(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

// The float32 stand-ins of a half op are held to the memory limit, so an
// op too large for it fails with ErrOutOfMemory instead of ending the
// process.
func TestHalfScratchMemoryLimit(t *testing.T) {
	be := &Backend{}
	const n = 3 << 20 // a size class no other test uses: nothing pooled
	src, err := be.Alloc(device.BFloat16, n)
	require.NoError(t, err)
	dst, err := be.Alloc(device.BFloat16, n)
	require.NoError(t, err)
	prev := SetMemoryLimit(16 << 20) // 12 MiB live; each stand-in wants 16
	defer SetMemoryLimit(prev)
	err = be.Unary(device.Exp, 0, dst, src, device.Contiguous([]int{n}))
	require.ErrorIs(t, err, device.ErrOutOfMemory)
	SetMemoryLimit(0)
	require.NoError(t, be.Unary(device.Exp, 0, dst, src, device.Contiguous([]int{n})))
}

// FMAProbe measures float32 and float64 only: a half buffer is refused,
// not a panic.
func TestFMAProbeRefusesHalf(t *testing.T) {
	for _, dt := range halfTypes {
		out := alloc(t, dt, 1)
		_, err := shared.FMAProbe(dt, 1000, out)
		require.ErrorContains(t, err, "cpu: FMAProbe: not supported for "+dt.String())
	}
}

// Casts between float32 and the half types, and an op on half buffers,
// allocate no more than the closures and scratch handles of their
// dispatch: 31 a round on one thread, with every conversion's staging
// array on the stack. A conversion called through a func value makes the
// casts' staging arrays escape, one allocation a cast (33 a round; a CNN
// step in bfloat16 took 6865 allocations instead of 2159).
func TestHalfConversionsAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n = 4096
	l := device.Contiguous([]int{n})
	f := alloc(t, device.Float32, n)
	for _, dt := range halfTypes {
		h, out := alloc(t, dt, n), alloc(t, dt, n)
		allocs := testing.AllocsPerRun(20, func() {
			require.NoError(t, shared.Cast(h, f, l))
			require.NoError(t, shared.Cast(f, h, l))
			require.NoError(t, shared.Unary(device.Neg, 0, out, h, l))
		})
		t.Logf("%v: %.1f allocations a round", dt, allocs)
		require.LessOrEqual(t, allocs, 31.0, dt)
	}
}
