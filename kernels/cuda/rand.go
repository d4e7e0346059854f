package cuda

import (
	"github.com/tapegrad/tapegrad/device"
)

// Rand fills n elements of dst from the Philox4x32-10 stream (seed, offset)
// with kernel rand_uniform_<dt> or rand_normal_<dt>, one thread per Philox
// block of four words (uniform element i reads word offset+i, normal
// element i words offset+2i and offset+2i+1): uniforms match device.PhiloxUniform bit for bit, normals
// device.PhiloxNormal to an ulp or so of libdevice's log and cos.
func (b *Backend) Rand(dst device.Buffer, n int, dist device.Dist, seed, offset uint64, lo, hi float64) error {
	const name = "Rand"
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.buf(name, dst, dtypeOf(dst), "dst")
	if err != nil {
		return err
	}
	if err := floatOnly(name, d.dt); err != nil {
		return err
	}
	if err := need(name, d, n, "dst"); err != nil {
		return err
	}
	var kern string
	var blocks uint64
	switch dist {
	case device.Uniform:
		kern, blocks = "rand_uniform_", (offset+uint64(n)+3)/4-offset/4
	case device.Normal:
		kern, blocks = "rand_normal_", (offset+2*uint64(n)-2)/4-offset/4+1
	default:
		return opErr(name, "unknown distribution %d", dist)
	}
	if n == 0 {
		return nil
	}
	a := b.args()
	a.Ptr(d.ptr)
	a.Int64(int64(n))
	a.Uint64(seed)
	a.Uint64(offset)
	a.Float64(lo)
	a.Float64(hi)
	return b.launch(modRand, kname{kern, d.dt.Suffix()}, b.grid1D(int(blocks)))
}
