package cpu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// TestRand checks every element against the device package's reference
// functions: exactly, since both compute the same float64 expression.
func TestRand(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range floatTypes {
		for _, dist := range []device.Dist{device.Uniform, device.Normal} {
			for _, n := range []int{1, 5, 1001, 70001} {
				seed, offset := r.Uint64(), uint64(r.IntN(1000))
				a, b := -1.5, 2.5
				t.Run(fmt.Sprintf("%v/%v/%d/offset=%d", dt, dist, n, offset), func(t *testing.T) {
					dst := alloc(t, dt, n+2)
					require.NoError(t, shared.Rand(dst, n, dist, seed, offset, a, b))
					got := download(t, dst)
					for i := range n {
						var want float64
						if dist == device.Uniform {
							want = a + (b-a)*device.PhiloxUniform(seed, offset, i)
						} else {
							want = a + b*device.PhiloxNormal(seed, offset, i)
						}
						if want = roundTo(dt, want); got[i] != want {
							require.Equal(t, want, got[i], "element %d", i)
						}
					}
					require.Equal(t, []float64{12345, 12345}, got[n:], "elements past n untouched")
				})
			}
		}
	}
}

// TestRandStream checks that (seed, offset) addresses one stream: drawing
// n elements at offset o equals the tail of drawing o+n at offset 0.
func TestRandStream(t *testing.T) {
	whole, part := alloc(t, device.Float64, 40), alloc(t, device.Float64, 27)
	require.NoError(t, shared.Rand(whole, 40, device.Uniform, 42, 0, 0, 1))
	require.NoError(t, shared.Rand(part, 27, device.Uniform, 42, 13, 0, 1))
	require.Equal(t, download(t, whole)[13:], download(t, part))
	u := download(t, whole)
	for _, v := range u {
		require.True(t, v > 0 && v < 1)
	}
	require.NotEqual(t, u[0], u[1])

	i := alloc(t, device.Int32, 2)
	require.ErrorContains(t, shared.Rand(i, 2, device.Uniform, 1, 0, 0, 1), "int32")
	require.ErrorContains(t, shared.Rand(whole, 2, device.Dist(7), 1, 0, 0, 1), "distribution")
	require.ErrorContains(t, shared.Rand(whole, 41, device.Normal, 1, 0, 0, 1), "needs 41")
}
