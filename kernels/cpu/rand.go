package cpu

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Rand fills n elements of dst from the Philox4x32-10 stream (seed,
// offset), bit for bit as device.PhiloxUniform and device.PhiloxNormal
// define, computing in float64 and rounding once:
//
//	Uniform: dst[i] = a + (b-a)*PhiloxUniform(seed, offset, i)
//	Normal:  dst[i] = a + b*PhiloxNormal(seed, offset, i)
//
// Uniform element i reads word offset+i of the stream, Normal element i
// words offset+2i and offset+2i+1. Each Philox block is computed once for
// the (up to) four consecutive words a goroutine takes from it.
func (be *Backend) Rand(dst device.Buffer, n int, dist device.Dist, seed, offset uint64, a, b float64) error {
	if dt, ok := halfOf(dst); ok {
		return be.randHalf(dt, dst, n, dist, seed, offset, a, b)
	}
	d, err := asBuffer("Rand", dst)
	if err != nil {
		return err
	}
	if err := need("Rand", d, n, "dst"); err != nil {
		return err
	}
	if dist != device.Uniform && dist != device.Normal {
		return opError("Rand", "unknown distribution %d", dist)
	}
	switch d.dt {
	case device.Float32:
		random(slice[float32](d)[:n], dist, seed, offset, a, b)
	case device.Float64:
		random(slice[float64](d)[:n], dist, seed, offset, a, b)
	default:
		return unsupported("Rand", d.dt)
	}
	return nil
}

func random[T float](dst []T, dist device.Dist, seed, offset uint64, a, b float64) {
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	parallelFor(len(dst), 16, func(lo, hi int) {
		var blk [4]uint32
		cur := uint64(math.MaxUint64) // no block computed yet
		word := func(w uint64) uint32 {
			if w/4 != cur {
				cur = w / 4
				blk = device.Philox4x32([4]uint32{uint32(cur), uint32(cur >> 32), 0, 0}, key)
			}
			return blk[w%4]
		}
		for i := lo; i < hi; i++ {
			if dist == device.Uniform {
				dst[i] = T(a + (b-a)*uniform24(word(offset+uint64(i))))
				continue
			}
			w := offset + 2*uint64(i)
			u1, u2 := uniform24(word(w)), uniform24(word(w+1))
			dst[i] = T(a + b*(math.Sqrt(-2*math.Log(u1))*math.Cos(2*math.Pi*u2)))
		}
	})
}

// uniform24 maps a word to (0, 1) with its top 24 bits, as the device
// package does: ((x >> 8) + 0.5) / 2^24, exact in both float types.
func uniform24(x uint32) float64 {
	return (float64(x>>8) + 0.5) * (1.0 / (1 << 24))
}
