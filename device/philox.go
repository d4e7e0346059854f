package device

import "math"

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC'11). Every backend implements these exact functions so one
// seed gives the same numbers on every device.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// Philox4x32 returns the 10-round Philox block for counter ctr and key.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	for r := 0; r < 10; r++ {
		p0 := uint64(philoxM0) * uint64(ctr[0])
		p1 := uint64(philoxM1) * uint64(ctr[2])
		ctr = [4]uint32{
			uint32(p1>>32) ^ ctr[1] ^ key[0], uint32(p1),
			uint32(p0>>32) ^ ctr[3] ^ key[1], uint32(p0),
		}
		key[0] += philoxW0
		key[1] += philoxW1
	}
	return ctr
}

// philoxWord returns 32-bit word number w of the stream (seed, 0): block
// w/4 (as a 64-bit counter in the first two words), lane w%4.
func philoxWord(seed, w uint64) uint32 {
	blk := w / 4
	out := Philox4x32([4]uint32{uint32(blk), uint32(blk >> 32), 0, 0}, [2]uint32{uint32(seed), uint32(seed >> 32)})
	return out[w%4]
}

// uniform24 maps a word to (0, 1) with 24 bits, exact in float32 and float64.
func uniform24(x uint32) float64 {
	return (float64(x>>8) + 0.5) * (1.0 / (1 << 24))
}

// PhiloxUniform returns element i of the uniform stream (seed, offset):
// u = ((word(offset+i) >> 8) + 0.5) / 2^24, in (0, 1); a backend writes
// a + (b-a)*u, computed in float64 and rounded once to the dtype.
func PhiloxUniform(seed, offset uint64, i int) float64 {
	return uniform24(philoxWord(seed, offset+uint64(i)))
}

// PhiloxNormal returns element i of the standard normal stream
// (seed, offset): with words u1 = word(offset+2i), u2 = word(offset+2i+1)
// mapped as in PhiloxUniform, z = sqrt(-2 ln u1) * cos(2π u2) in float64.
// A normal draw of n elements consumes 2n words of the stream, a uniform
// one n, so a generator advances its offset by that much.
// A backend writes a + b*z rounded once to the dtype. (Transcendentals
// differ by an ulp or so between Go and CUDA's libdevice; tests compare
// normals with a tolerance and uniforms exactly.)
func PhiloxNormal(seed, offset uint64, i int) float64 {
	w := offset + 2*uint64(i)
	u1 := uniform24(philoxWord(seed, w))
	u2 := uniform24(philoxWord(seed, w+1))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
