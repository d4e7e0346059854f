package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// The inlined conversions must agree bit for bit with the device package's
// reference ones: on every 16-bit pattern (widening), and on the float32
// patterns around every rounding boundary plus random ones (narrowing).
func TestHalfConversions(t *testing.T) {
	r := newRand(t)
	all := make([]uint16, 1<<16)
	for i := range all {
		all[i] = uint16(i)
	}
	bf, f16 := make([]device.BF16, len(all)), make([]device.F16, len(all))
	for i, v := range all {
		bf[i], f16[i] = device.BF16(v), device.F16(v)
	}
	wb, wf := make([]float32, len(all)), make([]float32, len(all))
	widen(wb, bf)
	widen(wf, f16)
	for i := range all {
		require.Equal(t, math.Float32bits(bf[i].Float32()), math.Float32bits(wb[i]), "bf16 %#04x", i)
		require.Equal(t, math.Float32bits(f16[i].Float32()), math.Float32bits(wf[i]), "f16 %#04x", i)
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
	gb, gf := make([]device.BF16, len(in)), make([]device.F16, len(in))
	narrow(gb, in)
	narrow(gf, in)
	for i, v := range in {
		require.Equal(t, device.BF16FromFloat32(v), gb[i], "bf16 of %v (%#08x)", v, math.Float32bits(v))
		require.Equal(t, device.F16FromFloat32(v), gf[i], "f16 of %v (%#08x)", v, math.Float32bits(v))
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
