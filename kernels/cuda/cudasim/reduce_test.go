package cudasim

import (
	"math"
	"math/bits"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

func TestSumBlockReduction(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "reduce.ptx"), "sum_f32")
	for _, tc := range []struct{ n, grid, block int }{{1000, 3, 256}, {4096, 4, 1024}, {77, 2, 96}} {
		x := randF32(r, tc.n, 1)
		out := upload(t, s, make([]float32, tc.grid))
		if err := s.Launch(f, driver.Dim3{X: tc.grid}, driver.Dim3{X: tc.block}, 0, out, upload(t, s, x), int32(tc.n)); err != nil {
			t.Fatal(err)
		}
		got := download[float32](t, s, out, tc.grid)
		stride := tc.grid * tc.block
		for b := range got {
			var want, mag float64
			for i := range x {
				if i%stride/tc.block == b {
					want += float64(x[i])
					mag += math.Abs(float64(x[i]))
				}
			}
			if math.Abs(float64(got[b])-want) > 1e-5*mag+1e-6 {
				t.Errorf("%+v: block %d sum = %v, want %v", tc, b, got[b], want)
			}
		}
	}
}

func TestMaxDynamicShared(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "reduce.ptx"), "max_f64")
	n, block := 1000, 128
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() * 100
	}
	grid := (n + block - 1) / block
	out := upload(t, s, make([]float64, grid))
	if err := s.Launch(f, driver.Dim3{X: grid}, driver.Dim3{X: block}, block*8, out, upload(t, s, x), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float64](t, s, out, grid)
	for b := range got {
		want := -1e300
		for _, v := range x[b*block : min(n, (b+1)*block)] {
			want = max(want, v)
		}
		if got[b] != want {
			t.Errorf("block %d max = %v, want %v", b, got[b], want)
		}
	}
}

func TestWarpPrimitives(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "reduce.ptx"), "warpops")
	grid, block := 2, 64
	n := grid * block
	in := make([]int32, n)
	for i := range in {
		in[i] = r.Int32() - r.Int32()
	}
	in[5] = math.MinInt32 // make __uni_sync false for warp 0 unless all signs agree
	out := upload(t, s, make([]int32, 12*n))
	if err := s.Launch(f, driver.Dim3{X: grid}, driver.Dim3{X: block}, 0, out, upload(t, s, in)); err != nil {
		t.Fatal(err)
	}
	got := download[int32](t, s, out, 12*n)
	for tid := 0; tid < n; tid++ {
		lane, wb := tid%32, tid-tid%32
		v := in[tid]
		at := func(l int) int32 { return in[wb+l] }
		ballot := func(mask uint32, p func(int32) bool) uint32 {
			var b uint32
			for l := 0; l < 32; l++ {
				if mask>>l&1 != 0 && p(at(l)) {
					b |= 1 << l
				}
			}
			return b
		}
		all := func(p func(int32) bool) bool { return ballot(^uint32(0), p) == ^uint32(0) }
		want := make([]int32, 12)
		want[0] = cond(lane >= 3, func() int32 { return at(lane - 3) }, v)
		want[1] = cond(lane%16+5 < 16, func() int32 { return at(lane + 5) }, v)
		want[2] = at(lane ^ 6)
		want[3] = at(lane * 7 & 31)
		want[4] = at(lane&28 | int(v&3))
		want[5] = int32(ballot(^uint32(0), func(x int32) bool { return x&1 != 0 }))
		want[6] = int32(b2u(all(func(x int32) bool { return x > -1000000 })) +
			2*b2u(ballot(^uint32(0), func(x int32) bool { return x > 1000000 }) != 0))
		sign := func(x int32) bool { return x < 0 }
		want[7] = int32(b2u(all(sign) || ballot(^uint32(0), sign) == 0))
		if lane&1 != 0 {
			want[8] = int32(-0x55555556) // 0xaaaaaaaa
			want[9] = at(1)
			want[10] = int32(ballot(0xaaaaaaaa, func(x int32) bool { return x&2 != 0 }))
		} else {
			want[8] = -0x55555555
			want[9] = cond(lane+2 < 32, func() int32 { return at(lane + 2) }, v)
			want[10] = int32(ballot(0x55555555, func(x int32) bool { return x&4 != 0 }))
		}
		want[11] = int32(bits.OnesCount32(ballot(^uint32(0), func(x int32) bool { return x&8 != 0 }) & (1<<lane - 1)))
		for k := range want {
			if g := got[12*tid+k]; g != want[k] {
				t.Fatalf("thread %d output %d = %d (%#x), want %d (%#x)", tid, k, g, uint32(g), want[k], uint32(want[k]))
			}
		}
	}
}

func TestBarrierReductions(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "reduce.ptx"), "block_count")
	grid, block := 5, 200
	in := make([]int32, grid*block)
	for i := range in {
		in[i] = r.Int32N(200) - 100
	}
	in[0] = 95 // block 0 has an element above 90
	out := upload(t, s, make([]int32, 3*grid))
	if err := s.Launch(f, driver.Dim3{X: grid}, driver.Dim3{X: block}, 0, out, upload(t, s, in)); err != nil {
		t.Fatal(err)
	}
	got := download[int32](t, s, out, 3*grid)
	for b := 0; b < grid; b++ {
		var c, a, o int32 = 0, 1, 0
		for _, v := range in[b*block : (b+1)*block] {
			c += int32(b2u(v > 0))
			a &= int32(b2u(v > -50))
			o |= int32(b2u(v > 90))
		}
		if want := []int32{c, a, o}; got[3*b] != want[0] || got[3*b+1] != want[1] || got[3*b+2] != want[2] {
			t.Errorf("block %d: got %v, want %v", b, got[3*b:3*b+3], want)
		}
	}
}
