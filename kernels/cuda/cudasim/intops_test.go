package cudasim

import (
	"math"
	"math/bits"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// intInputs returns n operand pairs: random values, small values (so that
// division and shifts see interesting cases) and edge values against
// random partners.
func intInputs(r interface {
	Int64() int64
	IntN(int) int
}, n int, edges []int64) ([]int64, []int64) {
	a, b := make([]int64, n), make([]int64, n)
	for i := range a {
		switch i % 3 {
		case 0:
			a[i], b[i] = r.Int64(), r.Int64()
		case 1:
			a[i], b[i] = int64(r.IntN(200)-100), int64(r.IntN(20)-10)
		default:
			a[i], b[i] = edges[r.IntN(len(edges))], int64(r.IntN(2000)-1000)
		}
	}
	return a, b
}

func TestIntOps32(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "intops.ptx"), "intops_i32")
	n := 600
	a64, b64 := intInputs(r, n, []int64{0, -1, 1, math.MinInt32, math.MaxInt32, 0x80000001})
	a, b := make([]int32, n), make([]int32, n)
	for i := range a {
		a[i], b[i] = int32(a64[i]), int32(b64[i])
	}
	refs := []func(x, y int32) int32{
		func(x, y int32) int32 { return x + y },
		func(x, y int32) int32 { return x - y },
		func(x, y int32) int32 { return x * y },
		func(x, y int32) int32 { return int32(int64(x) * int64(y) >> 32) },
		func(x, y int32) int32 { return int32(uint64(uint32(x)) * uint64(uint32(y)) >> 32) },
		func(x, y int32) int32 { return cond(y != 0, func() int32 { return x / y }) },
		func(x, y int32) int32 { return cond(y != 0, func() int32 { return x % y }) },
		func(x, y int32) int32 { return cond(y != 0, func() int32 { return int32(uint32(x) / uint32(y)) }) },
		func(x, y int32) int32 { return cond(y != 0, func() int32 { return int32(uint32(x) % uint32(y)) }) },
		func(x, y int32) int32 { return min(x, y) },
		func(x, y int32) int32 { return max(x, y) },
		func(x, y int32) int32 { return int32(min(uint32(x), uint32(y))) },
		func(x, y int32) int32 { return int32(max(uint32(x), uint32(y))) },
		func(x, y int32) int32 { return x & y },
		func(x, y int32) int32 { return x | y },
		func(x, y int32) int32 { return x ^ y },
		func(x, y int32) int32 { return ^x },
		func(x, y int32) int32 { return x << (y & 31) },
		func(x, y int32) int32 { return x >> (y & 31) },
		func(x, y int32) int32 { return int32(uint32(x) >> (y & 31)) },
		func(x, y int32) int32 { return int32(bits.OnesCount32(uint32(x))) },
		func(x, y int32) int32 { return int32(bits.LeadingZeros32(uint32(x))) },
		func(x, y int32) int32 { return int32(bits.Reverse32(uint32(x))) },
		func(x, y int32) int32 {
			return cond(x != 0, func() int32 { return int32(bits.TrailingZeros32(uint32(x)) + 1) })
		},
		func(x, y int32) int32 {
			v := uint64(uint32(y))<<32 | uint64(uint32(x))
			var out uint32
			for i, sel := range []uint{0, 4, 1, 5} {
				out |= uint32(v>>(8*sel)&0xff) << (8 * i)
			}
			return int32(out)
		},
		func(x, y int32) int32 { return cond(x >= 0, func() int32 { return x }, -x) },
		func(x, y int32) int32 { return x >> 3 & 0x1f },
		func(x, y int32) int32 { return x&^0xff0 | (y&0xff)<<4 },
		func(x, y int32) int32 { return int32(int8(x)) },
		func(x, y int32) int32 { return int32(int16(y)) },
		func(x, y int32) int32 { return int32(uint16(x)) },
		func(x, y int32) int32 { d := int64(x) - int64(y); return int32(uint32(max(d, -d)) + 7) },
		func(x, y int32) int32 { return cond(x < y, func() int32 { return 1 }) },
		func(x, y int32) int32 { return cond(uint32(x) < uint32(y), func() int32 { return 1 }) },
		func(x, y int32) int32 {
			v := uint64(uint32(y))<<32 | uint64(uint32(x))
			return int32(v << (y & 31) >> 32)
		},
		func(x, y int32) int32 {
			v := uint64(uint32(y))<<32 | uint64(uint32(x))
			return int32(uint32(v >> (y & 31)))
		},
		func(x, y int32) int32 { return int32((int64(x) + int64(y)) >> 1) },
		func(x, y int32) int32 { return int32((int64(x) + int64(y) + 1) >> 1) },
	}
	out := upload(t, s, make([]int32, len(refs)*n))
	if err := s.Launch(f, driver.Dim3{X: (n + 127) / 128}, driver.Dim3{X: 128}, 0, out, upload(t, s, a), upload(t, s, b), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[int32](t, s, out, len(refs)*n)
	for k, ref := range refs {
		for i := 0; i < n; i++ {
			if want := ref(a[i], b[i]); got[k*n+i] != want {
				t.Fatalf("row %d, x=%d y=%d: got %d (%#x), want %d (%#x)", k, a[i], b[i], got[k*n+i], uint32(got[k*n+i]), want, uint32(want))
			}
		}
	}
}

func TestIntOps64(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "intops.ptx"), "intops_i64")
	n := 600
	a, b := intInputs(r, n, []int64{0, -1, 1, math.MinInt64, math.MaxInt64, math.MinInt32, 1 << 40})
	u := func(v int64) uint64 { return uint64(v) }
	refs := []func(x, y int64) int64{
		func(x, y int64) int64 { return x + y },
		func(x, y int64) int64 { return x - y },
		func(x, y int64) int64 { return x * y },
		func(x, y int64) int64 {
			hi, _ := bits.Mul64(u(x), u(y))
			if x < 0 {
				hi -= u(y)
			}
			if y < 0 {
				hi -= u(x)
			}
			return int64(hi)
		},
		func(x, y int64) int64 { hi, _ := bits.Mul64(u(x), u(y)); return int64(hi) },
		func(x, y int64) int64 { return cond(y != 0, func() int64 { return x / y }) },
		func(x, y int64) int64 { return cond(y != 0, func() int64 { return x % y }) },
		func(x, y int64) int64 { return cond(y != 0, func() int64 { return int64(u(x) / u(y)) }) },
		func(x, y int64) int64 { return cond(y != 0, func() int64 { return int64(u(x) % u(y)) }) },
		func(x, y int64) int64 { return min(x, y) },
		func(x, y int64) int64 { return max(x, y) },
		func(x, y int64) int64 { return x << (y & 63) },
		func(x, y int64) int64 { return x >> (y & 63) },
		func(x, y int64) int64 { return int64(u(x) >> (y & 63)) },
		func(x, y int64) int64 { return int64(bits.OnesCount64(u(x))) },
		func(x, y int64) int64 { return int64(bits.LeadingZeros64(u(x))) },
		func(x, y int64) int64 { return int64(bits.Reverse64(u(x))) },
		func(x, y int64) int64 { return int64(int32(x)) * int64(int32(y)) },
		func(x, y int64) int64 { return int64(uint64(uint32(x)) * uint64(uint32(y))) },
		func(x, y int64) int64 {
			return cond(x < y, func() int64 { return 1 }) + 2*cond(u(x) < u(y), func() int64 { return 1 })
		},
	}
	out := upload(t, s, make([]int64, len(refs)*n))
	if err := s.Launch(f, driver.Dim3{X: (n + 63) / 64}, driver.Dim3{X: 64}, 0, out, upload(t, s, a), upload(t, s, b), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[int64](t, s, out, len(refs)*n)
	for k, ref := range refs {
		for i := 0; i < n; i++ {
			if want := ref(a[i], b[i]); got[k*n+i] != want {
				t.Fatalf("row %d, x=%d y=%d: got %d, want %d", k, a[i], b[i], got[k*n+i], want)
			}
		}
	}
}

// cond returns f() when c holds, else the optional fallback or zero.
func cond[T any](c bool, f func() T, otherwise ...T) T {
	if c {
		return f()
	}
	var z T
	if len(otherwise) > 0 {
		z = otherwise[0]
	}
	return z
}
