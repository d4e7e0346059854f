package cpu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

var indexSizes = []indexing{
	{outer: 1, n: 1, inner: 1, k: 1},
	{outer: 3, n: 5, inner: 4, k: 7}, // k > n: repeated indices
	{outer: 2, n: 6, inner: 1, k: 2},
	{outer: 1, n: 9, inner: 3, k: 0},
	{outer: 4, n: 50, inner: 30, k: 60},
}

func TestIndexing(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range allTypes {
		for _, ix := range indexSizes {
			t.Run(fmt.Sprintf("%v/%+v", dt, ix), func(t *testing.T) {
				o, n, in, k := ix.outer, ix.n, ix.inner, ix.k
				rowIdx := make([]float64, k)
				for j := range rowIdx {
					rowIdx[j] = float64(r.IntN(n))
				}
				elIdx := make([]float64, o*k*in)
				for j := range elIdx {
					elIdx[j] = float64(r.IntN(n))
				}
				big := randVals(r, dt, o*n*in)   // [outer, n, inner]
				small := randVals(r, dt, o*k*in) // [outer, k, inner]
				ri, ei := upload(t, device.Int32, rowIdx), upload(t, device.Int32, elIdx)

				dst := alloc(t, dt, o*k*in)
				require.NoError(t, shared.IndexSelect(dst, upload(t, dt, big), ri, o, n, in, k))
				want := make([]float64, o*k*in)
				for a := range o {
					for j := range k {
						for i := range in {
							want[(a*k+j)*in+i] = big[(a*n+int(rowIdx[j]))*in+i]
						}
					}
				}
				require.Equal(t, want, download(t, dst), "IndexSelect")

				require.NoError(t, shared.Gather(dst, upload(t, dt, big), ei, o, n, in, k))
				for a := range o {
					for j := range k {
						for i := range in {
							p := (a*k+j)*in + i
							want[p] = big[(a*n+int(elIdx[p]))*in+i]
						}
					}
				}
				require.Equal(t, want, download(t, dst), "Gather")

				acc := upload(t, dt, big)
				require.NoError(t, shared.IndexAdd(acc, upload(t, dt, small), ri, o, n, in, k))
				wantAdd := append([]float64(nil), big...)
				for a := range o {
					for j := range k {
						for i := range in {
							wantAdd[(a*n+int(rowIdx[j]))*in+i] = roundTo(dt, wantAdd[(a*n+int(rowIdx[j]))*in+i]+small[(a*k+j)*in+i])
						}
					}
				}
				require.Equal(t, wantAdd, download(t, acc), "IndexAdd")

				acc = upload(t, dt, big)
				require.NoError(t, shared.ScatterAdd(acc, upload(t, dt, small), ei, o, n, in, k))
				copy(wantAdd, big)
				for a := range o {
					for j := range k {
						for i := range in {
							p := (a*k+j)*in + i
							q := (a*n+int(elIdx[p]))*in + i
							wantAdd[q] = roundTo(dt, wantAdd[q]+small[p])
						}
					}
				}
				require.Equal(t, wantAdd, download(t, acc), "ScatterAdd")
			})
		}
	}
}

func TestIndexingErrors(t *testing.T) {
	src := upload(t, device.Float32, []float64{1, 2, 3})
	dst := alloc(t, device.Float32, 2)
	bad := upload(t, device.Int32, []float64{0, 3})
	require.ErrorContains(t, shared.IndexSelect(dst, src, bad, 1, 3, 1, 2), "index 3 at position 1 is outside [0, 3)")
	require.ErrorContains(t, shared.Gather(dst, src, bad, 1, 3, 1, 2), "index 3")
	require.ErrorContains(t, shared.IndexSelect(dst, src, src, 1, 3, 1, 2), "want int32")
	require.ErrorContains(t, shared.IndexAdd(alloc(t, device.Float64, 3), dst, upload(t, device.Int32, []float64{0, 1}), 1, 3, 1, 2), "got a float32 buffer, want float64")
	require.ErrorContains(t, shared.ScatterAdd(src, dst, bad, 1, 3, 2, 2), "needs 6 elements")
}
