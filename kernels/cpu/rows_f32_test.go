package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowF32Variants checks that every variant's row kernels give the
// portable results bit for bit, on lengths 0 to 70 (whole blocks of 16
// and tails) from unaligned starts, with specials among the inputs, and
// write nothing past the row.
func TestRowF32Variants(t *testing.T) {
	r := newRand(t)
	specials := f32Specials()
	rnd := func(n int, special bool) []float32 {
		xs := make([]float32, n+16)[r.IntN(16):][:n]
		for i := range xs {
			xs[i] = float32(r.NormFloat64() * 8)
			if special && r.IntN(8) == 0 {
				xs[i] = specials[r.IntN(len(specials))]
			}
		}
		return xs
	}
	guard := func(n int) []float32 {
		buf := make([]float32, n+8)
		for i := range buf {
			buf[i] = -7.5
		}
		return buf
	}
	same := func(what string, n int, want, got []float32) {
		t.Helper()
		for i := range want {
			require.Truef(t, sameF32(want[i], got[i]), "%s n=%d at %d: go %g, got %g", what, n, i, want[i], got[i])
		}
		for i := n; i < len(got); i++ {
			require.Equalf(t, float32(-7.5), got[i], "%s n=%d wrote past the row", what, n)
		}
	}
	g := &goRowF32
	for _, set := range rowF32Sets[:len(rowF32Sets)-1] {
		k := &set
		for n := range 71 {
			for _, special := range []bool{false, true} {
				x, y := rnd(n, special), rnd(n, special)
				require.Equalf(t, math.Float32bits(g.rowMax(x, new(rowScratch))), math.Float32bits(k.rowMax(x, new(rowScratch))), "%s max n=%d", set.name, n)
				shift := g.rowMax(x, new(rowScratch))
				we, ge := guard(n), guard(n)
				ws, gs := g.expSumRow(we, x, shift, new(rowScratch)), k.expSumRow(ge, x, shift, new(rowScratch))
				same(set.name+" expSum", n, we[:n], ge)
				require.Truef(t, ws == gs || (ws != ws && gs != gs), "%s expSum n=%d: sum go %v, got %v", set.name, n, ws, gs)
				wd, gd := g.dotRow(x, y, new(rowScratch)), k.dotRow(x, y, new(rowScratch))
				require.Truef(t, wd == gd || (wd != wd && gd != gd), "%s dot n=%d: go %v, got %v", set.name, n, wd, gd)
				wa, ga := guard(n), guard(n)
				g.affineRow(wa, x, 0.37, -1.25, new(rowScratch))
				k.affineRow(ga, x, 0.37, -1.25, new(rowScratch))
				same(set.name+" affine", n, wa[:n], ga)
				wm, gm := guard(n), guard(n)
				g.mulSubRow(wm, x, y, 0.625, new(rowScratch))
				k.mulSubRow(gm, x, y, 0.625, new(rowScratch))
				same(set.name+" mulSub", n, wm[:n], gm)
				ws2, gs2 := guard(n), guard(n)
				g.subMulRow(ws2, x, y, -0.375, new(rowScratch))
				k.subMulRow(gs2, x, y, -0.375, new(rowScratch))
				same(set.name+" subMul", n, ws2[:n], gs2)
			}
		}
	}
}

// TestRowMax checks rowMax's rules on every variant: NaN ignored, -Inf
// for an empty or all-NaN row, and +0 for a max of zeros of either sign.
func TestRowMax(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	for _, set := range rowF32Sets {
		for _, c := range []struct {
			x    []float32
			want float32
		}{
			{nil, -inf},
			{[]float32{nan, nan}, -inf},
			{append(make([]float32, 20), nan, 3, nan), 3},
			{[]float32{negZero, -1, negZero}, 0},
			{append([]float32{-5, negZero}, make([]float32, 31)...), 0},
			{append(make([]float32, 33), inf), inf},
		} {
			got := set.rowMax(c.x, new(rowScratch))
			require.Equalf(t, math.Float32bits(c.want), math.Float32bits(got), "%s rowMax(%v)", set.name, c.x)
		}
	}
}
