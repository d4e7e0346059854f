package cpu

import (
	"math"
	"sync"
	"unsafe"

	"github.com/tapegrad/tapegrad/device"
)

// Half-precision buffers (BFloat16, Float16) hold 16-bit patterns. Every
// kernel computes on them in float32: inputs are widened exactly into
// float32 scratch, the float32 kernel runs, and the outputs are rounded to
// nearest even on store (halfops.go). The conversions below sit on every
// such op, so they run AVX-512 or AVX2 kernels over whole vectors where
// the machine has them (half_amd64.s: they took 40% of a bfloat16 CNN
// training step as Go loops) and plain loops with the common cases inlined
// elsewhere, with the same bits.

// The conversion kernel sets of halfSet (half_amd64.go).
const (
	halfGo     = iota // the Go loops alone
	halfAVX2          // 8 lanes, AVX2 and F16C
	halfAVX512        // 16 lanes, AVX-512F
)

// widen writes src exactly as float32s into dst (same length): the whole
// 16-element vectors through halfSet's kernels (widenVec, which calls
// them directly, not through a func value, which would make every
// caller's scratch escape), the rest in Go.
func widen[H half](dst []float32, src []H) {
	dst = dst[:len(src)]
	i := 0
	if n := len(src) &^ 15; halfSet != halfGo && n > 0 {
		_, f16 := any(src).([]device.F16)
		widenVec(&dst[0], (*uint16)(unsafe.Pointer(&src[0])), n, f16)
		i = n
	}
	switch s := any(src[i:]).(type) {
	case []device.BF16:
		for j, v := range s {
			dst[i+j] = math.Float32frombits(uint32(v) << 16)
		}
	case []device.F16:
		t := f16Table()
		for j, v := range s {
			dst[i+j] = t[v]
		}
	}
}

// narrow rounds src to nearest even into dst (same length), as
// device.BF16FromFloat32 and device.F16FromFloat32 do: the whole vectors
// through halfSet's kernels (narrowVec), the rest in Go.
func narrow[H half](dst []H, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if n := len(src) &^ 15; halfSet != halfGo && n > 0 {
		_, f16 := any(dst).([]device.F16)
		narrowVec((*uint16)(unsafe.Pointer(&dst[0])), &src[0], n, f16)
		i = n
	}
	switch d := any(dst[i:]).(type) {
	case []device.BF16:
		for j, v := range src[i:] {
			d[j] = roundBF16(v)
		}
	case []device.F16:
		for j, v := range src[i:] {
			d[j] = roundF16(v)
		}
	}
}

// roundBF16 is device.BF16FromFloat32 in a form the compiler inlines.
func roundBF16(f float32) device.BF16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return device.BF16(b>>16 | 0x40) // NaN: keep it quiet
	}
	return device.BF16((b + 0x7fff + (b>>16)&1) >> 16)
}

// roundF16 is device.F16FromFloat32 with the common case inline: a float32
// whose exponent is that of a float16 normal (2^-14 <= |f| < 2^16) is
// rebiased and rounded with one add, whose carry into the exponent also
// rounds up a binade or to Inf. Everything else (subnormal results, zero,
// overflow, Inf, NaN) takes the general conversion.
func roundF16(f float32) device.F16 {
	b := math.Float32bits(f)
	if e := b >> 23 & 0xff; e-113 < 30 {
		h := b&0x7fffffff - 112<<23
		h += 0xfff + (h>>13)&1
		return device.F16(b>>16&0x8000 | h>>13)
	}
	return device.F16FromFloat32(f)
}

// f16Table maps every float16 pattern to its float32 value (256 KiB, built
// on first use): one load per element instead of a branchy decode.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = device.F16(i).Float32()
	}
	return &t
})

// convChunk is how many elements a conversion stages in float32 at a time:
// a scratch that stays in L1.
const convChunk = 512

// castFromHalf is Cast from a half buffer s to d of any dtype: widened
// exactly, then converted as Cast converts float32.
func castFromHalf[H half](d, s *Buffer, sl device.Layout) {
	if sl.Size() == 0 {
		return
	}
	mapChunks(1, []input[H]{{slice[H](s), sl}}, func(lo int, xs [][]H) {
		var tmp [convChunk]float32
		for off := 0; off < len(xs[0]); off += convChunk {
			in := xs[0][off:min(off+convChunk, len(xs[0]))]
			f := tmp[:len(in)]
			at := lo + off
			switch dd := d.data.(type) {
			case []H:
				copy(dd[at:], in) // same dtype: the bits as they are
				continue
			case []float32:
				widen(dd[at:at+len(in)], in) // no staging
				continue
			}
			widen(f, in)
			switch dd := d.data.(type) {
			case []float64:
				for i, v := range f {
					dd[at+i] = float64(v)
				}
			case []int32:
				for i, v := range f {
					dd[at+i] = toInt32(float64(v))
				}
			case []device.BF16:
				narrow(dd[at:at+len(f)], f)
			case []device.F16:
				narrow(dd[at:at+len(f)], f)
			}
		}
	})
}

// castToHalf is Cast from float32, float64 or int32 to a half type: each
// element is converted to float32 (rounding to nearest even where it is
// not exact) and then rounded to dst's type.
func castToHalf[H half, T num](dst []H, src []T, sl device.Layout) {
	if sl.Size() == 0 {
		return
	}
	mapChunks(1, []input[T]{{src, sl}}, func(lo int, xs [][]T) {
		var tmp [convChunk]float32
		for off := 0; off < len(xs[0]); off += convChunk {
			in := xs[0][off:min(off+convChunk, len(xs[0]))]
			f, ok := any(in).([]float32) // float32 needs no staging
			if !ok {
				f = tmp[:len(in)]
				for i, v := range in {
					f[i] = float32(v)
				}
			}
			narrow(dst[lo+off:lo+off+len(f)], f)
		}
	})
}
