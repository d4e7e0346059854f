package cudasim

import (
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

func TestHistogramShared(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "histogram.ptx"), "histogram_u32")
	n, nbins := 20000, 37
	in := make([]uint32, n)
	for i := range in {
		in[i] = r.Uint32()
	}
	bins := upload(t, s, make([]uint32, nbins))
	if err := s.Launch(f, driver.Dim3{X: 6}, driver.Dim3{X: 256}, nbins*4, bins, upload(t, s, in), int32(n), int32(nbins)); err != nil {
		t.Fatal(err)
	}
	got := download[uint32](t, s, bins, nbins)
	want := make([]uint32, nbins)
	for _, v := range in {
		want[v%uint32(nbins)]++
	}
	for b := range want {
		if got[b] != want[b] {
			t.Errorf("bin %d = %d, want %d", b, got[b], want[b])
		}
	}
}

func TestHistogramGlobalF32(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "histogram.ptx"), "histogram_global_f32")
	n, nbins := 5000, 16
	idx, wts := make([]int32, n), randF32(r, n, 1)
	for i := range idx {
		idx[i] = r.Int32N(int32(nbins))
	}
	bins := upload(t, s, make([]float32, nbins))
	if err := s.Launch(f, driver.Dim3{X: (n + 255) / 256}, driver.Dim3{X: 256}, 0, bins, upload(t, s, idx), upload(t, s, wts), int32(n)); err != nil {
		t.Fatal(err)
	}
	got := download[float32](t, s, bins, nbins)
	want, mag := make([]float64, nbins), make([]float64, nbins)
	for i, b := range idx {
		want[b] += float64(wts[i])
		mag[b] += math.Abs(float64(wts[i]))
	}
	for b := range want {
		if math.Abs(float64(got[b])-want[b]) > 1e-5*mag[b] {
			t.Errorf("bin %d = %v, want %v", b, got[b], want[b])
		}
	}
}

func TestAtomicOperations(t *testing.T) {
	r := seeded(t)
	s := New()
	f := kernel(t, loadTestdata(t, s, "histogram.ptx"), "atomics")
	grid, block := 4, 96
	n := grid * block
	in := make([]int32, n)
	for i := range in {
		in[i] = r.Int32N(1<<20) - 1<<19
	}
	ints0 := []int32{0, 1 << 30, -1 << 30, 0, 5, -1, 0, 0, 12345, 0}
	ints := upload(t, s, ints0)
	u64s := upload(t, s, []uint64{0, 0})
	floats := upload(t, s, []float32{0, float32(math.Inf(-1))})
	doubles := upload(t, s, []float64{0})
	shared := upload(t, s, make([]int32, 3))
	if err := s.Launch(f, driver.Dim3{X: grid}, driver.Dim3{X: block}, 0, ints, u64s, floats, doubles, shared, upload(t, s, in)); err != nil {
		t.Fatal(err)
	}
	gi := download[int32](t, s, ints, 10)
	gu := download[uint64](t, s, u64s, 2)
	gf := download[float32](t, s, floats, 2)
	gd := download[float64](t, s, doubles, 1)
	gs := download[int32](t, s, shared, 3)

	var sum, xor, or, and int32 = 0, 0, 0, -1
	mn, mx := int32(1<<30), int32(-1<<30)
	var usum uint64
	umax := uint64(0)
	var fsum, dsum float64
	fmax := math.Inf(-1)
	for _, v := range in {
		sum += v
		mn, mx = min(mn, v), max(mx, v)
		and &= v | 0x0f0f0f0f
		or |= v & 0x01010101
		xor ^= v
		usum += uint64(uint32(v))
		umax = max(umax, uint64(int64(v)*3))
		fsum += float64(v) * 0.5
		fmax = max(fmax, float64(v))
		dsum += float64(v) * 0.25
	}
	// n increments of inc/dec modulo 18 starting from 0 and 5.
	inc, dec := uint32(0), uint32(5)
	for range in {
		inc = cond(inc >= 17, func() uint32 { return 0 }, inc+1)
		dec = cond(dec == 0 || dec > 17, func() uint32 { return 17 }, dec-1)
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"add", int64(gi[0]), int64(sum)}, {"min", int64(gi[1]), int64(mn)}, {"max", int64(gi[2]), int64(mx)},
		{"inc", int64(gi[3]), int64(inc)}, {"dec", int64(gi[4]), int64(dec)}, {"and", int64(gi[5]), int64(and)},
		{"or", int64(gi[6]), int64(or)}, {"xor", int64(gi[7]), int64(xor)}, {"cas counter", int64(gi[9]), int64(n)},
		{"u64 add", int64(gu[0]), int64(usum)}, {"u64 max", int64(gu[1]), int64(umax)},
		{"shared add", int64(gs[0]), int64(sum)},
		{"shared min", int64(gs[1]), blockExtremes(in, grid, block, true)},
		{"shared max", int64(gs[2]), blockExtremes(in, grid, block, false)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	found := false
	for _, v := range in {
		found = found || v == gi[8]
	}
	if !found {
		t.Errorf("exch left %d, which no thread wrote", gi[8])
	}
	if math.Abs(float64(gf[0])-fsum) > 1e-6*float64(n)*float64(1<<19) || float64(gf[1]) != fmax || gd[0] != dsum {
		t.Errorf("float atomics: add %v (want %v), CAS max %v (want %v), f64 add %v (want %v)", gf[0], fsum, gf[1], fmax, gd[0], dsum)
	}
}

// blockExtremes sums over blocks the per-block min (or max) that the
// atomics kernel folds from shared memory into sharedOut.
func blockExtremes(in []int32, grid, block int, isMin bool) int64 {
	var total int64
	for b := 0; b < grid; b++ {
		m := in[b*block]
		for _, v := range in[b*block : (b+1)*block] {
			if v < m == isMin {
				m = v
			}
		}
		total += int64(m)
	}
	return total
}
