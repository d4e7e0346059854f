package cpu

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

var convCases = []device.ConvParams{
	{N: 1, C: 1, H: 5, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, C: 3, H: 7, W: 6, KH: 2, KW: 3, StrideH: 2, StrideW: 1, PadH: 0, PadW: 1},
	{N: 1, C: 2, H: 1, W: 3, KH: 2, KW: 2, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1}, // windows all in padding
	{N: 3, C: 2, H: 4, W: 4, KH: 4, KW: 4, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0}, // 1×1 output
	{N: 2, C: 8, H: 20, W: 24, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 2, C: 3, H: 6, W: 7, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // maxPool2x2; the last column unused
	// "same" convolutions (im2colSame): rectangular, kernel taller or
	// wider than the input, 1×1
	{N: 1, C: 2, H: 6, W: 5, KH: 5, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1},
	{N: 2, C: 1, H: 2, W: 2, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
	{N: 1, C: 3, H: 4, W: 3, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
	// dilated (im2col only): padding, strides, a rectangular kernel, one axis dilated
	{N: 2, C: 3, H: 9, W: 11, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2},
	{N: 1, C: 2, H: 13, W: 10, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 3, DilationH: 3, DilationW: 4},
	{N: 2, C: 1, H: 6, W: 12, KH: 2, KW: 4, StrideH: 1, StrideW: 2, DilationH: 1, DilationW: 3},
}

// pixel returns x[n,c,h,w] of an NCHW host image and whether it is inside.
func pixel(p device.ConvParams, x []float64, n, c, h, w int) (float64, bool) {
	if h < 0 || h >= p.H || w < 0 || w >= p.W {
		return 0, false
	}
	return x[((n*p.C+c)*p.H+h)*p.W+w], true
}

func TestConv(t *testing.T) {
	r := newRand(t)
	splitSmall(t)
	for _, dt := range floatTypes {
		for _, p := range convCases {
			t.Run(fmt.Sprintf("%v/%+v", dt, p), func(t *testing.T) {
				oh, ow := p.OutH(), p.OutW()
				nimg, nout := p.N*p.C*p.H*p.W, p.N*p.C*oh*ow
				ncol := p.N * p.C * p.KH * p.KW * oh * ow
				x := randVals(r, dt, nimg)
				img := upload(t, dt, x)

				col := alloc(t, dt, ncol)
				require.NoError(t, shared.Im2Col(col, img, p))
				cv := make([]float64, ncol)
				for n := range p.N {
					for c := range p.C {
						for kh := range p.KH {
							for kw := range p.KW {
								for i := range oh {
									for j := range ow {
										row := (c*p.KH+kh)*p.KW + kw
										dh, dw := p.Dilation()
										v, _ := pixel(p, x, n, c, i*p.StrideH-p.PadH+kh*dh, j*p.StrideW-p.PadW+kw*dw)
										cv[((n*p.C*p.KH*p.KW+row)*oh+i)*ow+j] = v
									}
								}
							}
						}
					}
				}
				require.Equal(t, cv, download(t, col), "Im2Col")

				// Col2Im is Im2Col's adjoint: <im2col(x), y> = <x, col2im(y)>.
				y := randVals(r, dt, ncol)
				back := alloc(t, dt, nimg)
				require.NoError(t, shared.Col2Im(back, upload(t, dt, y), p))
				lhs, rhs := 0.0, 0.0
				for i := range cv {
					lhs += cv[i] * y[i]
				}
				for i, v := range download(t, back) {
					rhs += x[i] * v
				}
				require.InDelta(t, lhs, rhs, 1e3*tol(dt)*(1+math.Abs(lhs)), "Col2Im adjoint")

				mx, idx, avg := alloc(t, dt, nout), alloc(t, device.Int32, nout), alloc(t, dt, nout)
				if dh, dw := p.Dilation(); dh != 1 || dw != 1 {
					require.ErrorContains(t, shared.MaxPool(mx, idx, img, p), "pooling takes none")
					require.ErrorContains(t, shared.AvgPool(avg, img, p), "pooling takes none")
					return
				}
				// pooling, on negative inputs so that a zero from padding would win
				neg := make([]float64, nimg)
				for i, v := range x {
					neg[i] = -math.Abs(v)
				}
				src := upload(t, dt, neg)
				require.NoError(t, shared.MaxPool(mx, idx, src, p))
				require.NoError(t, shared.AvgPool(avg, src, p))
				wantMax, wantIdx, wantAvg := make([]float64, nout), make([]float64, nout), make([]float64, nout)
				g := randVals(r, dt, nout)
				wantDx, wantAvgDx := make([]float64, nimg), make([]float64, nimg)
				for n := range p.N {
					for c := range p.C {
						for i := range oh {
							for j := range ow {
								o := ((n*p.C+c)*oh+i)*ow + j
								best, bi, sum := 0.0, -1, 0.0
								for kh := range p.KH {
									for kw := range p.KW {
										h, w := i*p.StrideH-p.PadH+kh, j*p.StrideW-p.PadW+kw
										if v, ok := pixel(p, neg, n, c, h, w); ok {
											sum += v
											if bi < 0 || v > best {
												best, bi = v, h*p.W+w
											}
											wantAvgDx[((n*p.C+c)*p.H+h)*p.W+w] += g[o] / float64(p.KH*p.KW)
										}
									}
								}
								wantMax[o], wantIdx[o], wantAvg[o] = best, float64(bi), roundTo(dt, sum/float64(p.KH*p.KW))
								if bi >= 0 {
									wantDx[(n*p.C+c)*p.H*p.W+bi] += g[o]
								}
							}
						}
					}
				}
				require.Equal(t, wantMax, download(t, mx), "MaxPool")
				require.Equal(t, wantIdx, download(t, idx), "MaxPool idx")
				requireClose(t, wantAvg, download(t, avg), tol(dt), "AvgPool")

				dy, dx := upload(t, dt, g), alloc(t, dt, nimg)
				require.NoError(t, shared.MaxPoolBackward(dx, dy, idx, p))
				requireClose(t, wantDx, download(t, dx), 4*tol(dt), "MaxPoolBackward")
				require.NoError(t, shared.AvgPoolBackward(dx, dy, p))
				requireClose(t, wantAvgDx, download(t, dx), 8*tol(dt), "AvgPoolBackward")
			})
		}
	}
}

func TestConvErrors(t *testing.T) {
	b := upload(t, device.Float32, []float64{1, 2, 3, 4})
	p := device.ConvParams{N: 1, C: 1, H: 2, W: 2, KH: 3, KW: 1, StrideH: 1, StrideW: 1}
	require.ErrorContains(t, shared.AvgPool(b, b, p), "larger than the padded input")
	p.KH, p.StrideW = 1, 0
	require.ErrorContains(t, shared.AvgPool(b, b, p), "bad parameters")
	p.StrideW = 1
	i := upload(t, device.Int32, []float64{1, 2, 3, 4})
	require.ErrorContains(t, shared.AvgPool(i, i, p), "int32")
	require.ErrorContains(t, shared.MaxPoolBackward(b, b, upload(t, device.Int32, []float64{0, 1, 4, -1}), p), "index 4 at position 2")
}

func TestMaxPoolNaN(t *testing.T) {
	nan := math.NaN()
	p := device.ConvParams{N: 1, C: 1, H: 2, W: 3, KH: 2, KW: 3, StrideH: 1, StrideW: 1}
	for _, dt := range floatTypes {
		src := upload(t, dt, []float64{1, 5, nan, 5, nan, 2})
		dst, idx := alloc(t, dt, 1), alloc(t, device.Int32, 1)
		require.NoError(t, shared.MaxPool(dst, idx, src, p))
		requireClose(t, []float64{nan}, download(t, dst), 0)
		require.Equal(t, []float64{2}, download(t, idx), "the first NaN wins")
	}
}

// TestMaxPoolBackwardBadIndex: an index outside [-1, H*W) fails the op
// with the first such position, however the planes are split.
func TestMaxPoolBackwardBadIndex(t *testing.T) {
	splitSmall(t)
	p := device.ConvParams{N: 2, C: 3, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	n := 2 * 3 * 4
	for _, dt := range floatTypes {
		idx := make([]float64, n)
		for i := range idx {
			idx[i] = float64(i % 4 * 2)
		}
		idx[5], idx[9], idx[20] = -1, 16, -2
		dx, dy, ix := alloc(t, dt, 2*3*16), upload(t, dt, make([]float64, n)), upload(t, device.Int32, idx)
		// One thread meets the bad positions in order (a last-found
		// report fails there); several race for them, over many calls
		// (a first-found report fails when the later one wins a race).
		for _, procs := range []int{1, 4} {
			old := runtime.GOMAXPROCS(procs)
			for range 50 {
				err := shared.MaxPoolBackward(dx, dy, ix, p)
				require.ErrorContains(t, err, "index 16 at position 9 is outside [-1, 16)", "%v GOMAXPROCS %d", dt, procs)
			}
			runtime.GOMAXPROCS(old)
		}
	}
}

// TestMaxPool2x2 checks the 2×2, stride 2 fast path against the general
// plane loop on data full of ties and NaNs: the same maxima and the same
// positions (the first maximum, the first NaN).
func TestMaxPool2x2(t *testing.T) {
	r := newRand(t)
	// Widths from 1 to 35 outputs: the AVX-512 rows run 16 at a time and
	// mask the rest.
	for _, hw := range [][2]int{{2, 2}, {6, 8}, {7, 9}, {28, 28}, {3, 33}, {4, 70}, {2, 64}, {5, 31}, {2, 3}} {
		p := conv{ConvParams: device.ConvParams{N: 1, C: 1, H: hw[0], W: hw[1], KH: 2, KW: 2, StrideH: 2, StrideW: 2}}
		p.oh, p.ow, p.dh, p.dw = p.OutH(), p.OutW(), 1, 1
		x := make([]float32, p.H*p.W)
		for i := range x {
			x[i] = float32(r.IntN(3))
			switch r.IntN(16) {
			case 0, 1:
				x[i] = float32(math.NaN())
			case 2:
				x[i] = float32(math.Copysign(0, -1))
			case 3:
				x[i] = float32(math.Inf(1 - 2*r.IntN(2)))
			}
		}
		n := p.oh * p.ow
		d, ix, wantD, wantIx := make([]float32, n), make([]int32, n), make([]float32, n), make([]int32, n)
		maxPool2x2(p, d, ix, x)
		maxPoolPlane(p, wantD, wantIx, x)
		require.Equal(t, wantIx, ix, "%dx%d positions", p.H, p.W)
		for i := range d {
			require.True(t, d[i] == wantD[i] || d[i] != d[i] && wantD[i] != wantD[i], "%dx%d at %d: %v, want %v", p.H, p.W, i, d[i], wantD[i])
		}
	}
}

// TestCol2ImAsm requires col2im's assembly path (col2im32) to give its Go
// loop's bits, over geometries whose rows are shorter than, as long as and
// longer than a 16-float step, with padding, dilation, a row stride of 2
// and taps wholly outside the input, and with planes split among threads.
func TestCol2ImAsm(t *testing.T) {
	if col2im32 == nil {
		t.Skip("no assembly col2im on this machine")
	}
	r := newRand(t)
	splitSmall(t)
	for _, cp := range []device.ConvParams{
		{N: 2, C: 3, H: 14, W: 14, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 5, W: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1},
		{N: 1, C: 2, H: 9, W: 17, KH: 5, KW: 5, StrideH: 2, StrideW: 1, PadH: 2, PadW: 2},
		{N: 3, C: 1, H: 7, W: 33, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2},
		{N: 1, C: 5, H: 4, W: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
		{N: 1, C: 1, H: 3, W: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
	} {
		dh, dw := cp.Dilation()
		p := conv{ConvParams: cp, oh: cp.OutH(), ow: cp.OutW(), dh: dh, dw: dw}
		src := make([]float32, p.planes()*colsPerPlane(p))
		for i := range src {
			src[i] = float32(r.NormFloat64())
		}
		want, got := make([]float32, p.planes()*p.H*p.W), make([]float32, p.planes()*p.H*p.W)
		for i := range got {
			want[i], got[i] = float32(math.NaN()), float32(math.NaN()) // cleared by col2im
		}
		col2im(p, got, src)
		asm := col2im32
		col2im32 = nil
		col2im(p, want, src)
		col2im32 = asm
		for i := range want {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%+v: element %d", cp, i)
		}
	}
}
