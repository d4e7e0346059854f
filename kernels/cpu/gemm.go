package cpu

//go:generate go run ./internal/gemmgen

import (
	"runtime"
	"sync"
	"unsafe"
)

// microKernel is one MR×NR register-tile kernel of the packed GEMM, with
// the blocking that suits it. run computes, for i < mr and j < nr,
//
//	t := T(0)
//	for p := range k { t += a[p*mr+i] * b[p*ldb+j] }
//	if acc { c[i*ldc+j] += t } else { c[i*ldc+j] = t }
//
// from an MR-tall sliver of A, k-major as packA lays it out, and an
// NR-wide sliver of B: packed by packB (ldb = nr), or read in place from a
// row-major B (ldb its row stride; see gemmBlock). a holds at least k*mr
// elements, b (k-1)*ldb+nr and c (mr-1)*ldc+nr. Each kernel sums over p
// in order, so its results depend on k and the data alone, not on where
// the B sliver lies.
type microKernel[T float] struct {
	name       string
	mr, nr     int
	kc, mc, nc int // block sizes: depth of a K slice, rows of a packed A block, columns of a packed B block
	run        func(k int, a, b []T, ldb int, c []T, ldc int, acc bool)
	// edges[e] is run for the first 2e+2 rows only (a still k-major with
	// mr elements a step, c needing 2e+1 rows), for slivers of fewer rows
	// than mr; none for the portable kernel.
	edges []func(k int, a, b []T, ldb int, c []T, ldc int, acc bool)
	// runA and edgesA are run and edges reading A in place: element p of
	// row i at a[i*lda+p] (row-major A, see inPlaceA); nil for the
	// portable kernel.
	runA   func(k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool)
	edgesA []func(k int, a []T, lda int, b []T, ldb int, c []T, ldc int, acc bool)
	// dot, if not nil, computes matrix-vector products instead of the
	// packed GEMM (see gemv): out[i] = Σ_p a[i*lda+p]·x[p] for i < m,
	// p < k, each row's sum depending on the row and x alone.
	dot func(m, k int, a []T, lda int, x, out []T)
	// axpy, if not nil, computes the other matrix-vector products (see
	// gemv): c[j] = Σ_p x[p]·b[p*ldb+j] for j < n, p < k, added to c when
	// acc, each output by FMA in order of p from zero, as run does.
	axpy func(n, k int, x, b []T, ldb int, c []T, acc bool)
}

// sliceDepth returns the depth of the K slices a product of depth k is
// summed in: k split into ⌈k/kc⌉ even slices, fixed by k alone.
func (kern *microKernel[T]) sliceDepth(k int) int {
	slices := (k + kern.kc - 1) / kern.kc
	return (k + slices - 1) / slices
}

// matView is a matrix read through strides: element (i, j) is
// data[off+i*rs+j*cs]. A transposed or broadcast (stride 0) operand is a
// view with other strides, never a copy.
type matView[T float] struct {
	data        []T
	off, rs, cs int
}

// gemmGo is the portable micro-kernel (4×4, sixteen scalar accumulators)
// and the reference loop of the assembly ones; see microKernel. It
// multiplies and adds without an explicit FMA: the compiler fuses them
// where the target always has FMA (arm64, GOAMD64=v3), so the last bits can
// differ from the assembly kernels, which always fuse, but never between
// two runs of one build.
func gemmGo[T float](k int, a, b []T, ldb int, c []T, ldc int, acc bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	a = a[:4*k]
	for p := 0; p < len(a); p += 4 {
		ap, bp := a[p:p+4:p+4], b[p/4*ldb:p/4*ldb+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	r0, r1, r2, r3 := c[:4], c[ldc:ldc+4], c[2*ldc:2*ldc+4], c[3*ldc:3*ldc+4]
	if acc {
		r0[0], r0[1], r0[2], r0[3] = r0[0]+c00, r0[1]+c01, r0[2]+c02, r0[3]+c03
		r1[0], r1[1], r1[2], r1[3] = r1[0]+c10, r1[1]+c11, r1[2]+c12, r1[3]+c13
		r2[0], r2[1], r2[2], r2[3] = r2[0]+c20, r2[1]+c21, r2[2]+c22, r2[3]+c23
		r3[0], r3[1], r3[2], r3[3] = r3[0]+c30, r3[1]+c31, r3[2]+c32, r3[3]+c33
		return
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
	r3[0], r3[1], r3[2], r3[3] = c30, c31, c32, c33
}

// goKernel32 and goKernel64 are the portable micro-kernels, last in every
// list of variants.
var (
	goKernel32 = microKernel[float32]{name: "go", mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, run: gemmGo[float32]}
	goKernel64 = microKernel[float64]{name: "go", mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, run: gemmGo[float64]}
)

// gemmKernel returns the fastest micro-kernel for T on this machine.
func gemmKernel[T float]() microKernel[T] {
	var ks any = gemmKernels32
	if unsafe.Sizeof(T(0)) == 8 {
		ks = gemmKernels64
	}
	return ks.([]microKernel[T])[0]
}

// gemmScratch is one goroutine's packing space: a packed A block, a packed
// B block and one C tile for edges.
type gemmScratch[T float] struct{ a, b, tile []T }

// scratchPools recycle gemmScratch values (float32 at 0, float64 at 1), so
// that a GEMM allocates nothing once warm.
var scratchPools [2]sync.Pool

// getScratch returns scratch of at least the given sizes; putScratch
// returns it to the pool.
func getScratch[T float](na, nb, nt int) *gemmScratch[T] {
	pool := &scratchPools[unsafe.Sizeof(T(0))/8]
	s, _ := pool.Get().(*gemmScratch[T])
	if s == nil {
		s = new(gemmScratch[T])
	}
	grow := func(p *[]T, n int) {
		if cap(*p) < n {
			*p = make([]T, n)
		}
		*p = (*p)[:n]
	}
	grow(&s.a, na)
	grow(&s.b, nb)
	grow(&s.tile, nt)
	return s
}

func putScratch[T float](s *gemmScratch[T]) { scratchPools[unsafe.Sizeof(T(0))/8].Put(s) }

// gemm writes C = A @ B for an m×k A and a k×n B, C contiguous m×n, with
// micro-kernel kern, on up to GOMAXPROCS goroutines when the work pays for
// them. Reference:
//
//	for i, j: C[i][j] = Σ_p A[i][p] * B[p][j]
//
// The sum over p runs in K slices of kern.kc (fixed by k alone), each
// summed in order by the micro-kernel and added to C in order; goroutines
// split C into rectangles, never K, so the result does not depend on the
// number of goroutines. k must be positive.
func gemm[T float](kern microKernel[T], m, n, k int, A, B matView[T], C []T) {
	tm, tn := gemmGrid(kern, m, n, k)
	if tm*tn == 1 {
		gemmBlock(kern, 0, m, 0, n, k, n, A, B, C, nil)
		return
	}
	ms, ns := (m+kern.mr-1)/kern.mr, (n+kern.nr-1)/kern.nr
	// More rectangles than threads where the extra ones pack nothing
	// twice, so that the threads share them out as they go (parallelFor):
	// more column blocks when A is read in place (each column block would
	// pack its rows of A), else more row blocks when B is.
	if parts := tm * tn * partsPerThread; inPlaceA(kern, A, kern.sliceDepth(k)) {
		tn = max(tn, min(ns, parts/tm))
	} else if inPlaceB(B, int(unsafe.Sizeof(T(0)))) {
		tm = max(tm, min(ms, parts/tn))
	}
	parallelFor(tm*tn, m*n*k/(tm*tn), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			ti, tj := t/tn, t%tn
			i0, i1 := ti*ms/tm*kern.mr, min((ti+1)*ms/tm*kern.mr, m)
			j0, j1 := tj*ns/tn*kern.nr, min((tj+1)*ns/tn*kern.nr, n)
			gemmBlock(kern, i0, i1, j0, j1, k, n, A, B, C, nil)
		}
	})
}

// gemmGrid returns how many row and column blocks gemm splits C into: one
// per goroutine that the work m*n*k pays for (see parallelFor), arranged to
// pack the least (every column block packs its rows of A, every row block
// its columns of B).
func gemmGrid[T float](kern microKernel[T], m, n, k int) (tm, tn int) {
	// A product pays for a goroutine from gemmGrain multiply-adds, 16
	// times parallelFor's grain: below it (the MLP's products with its 10
	// classes, 160K multiply-adds, 6 µs on one thread) the second thread's
	// start and join cost more than its half saved (11 µs on two).
	gemmGrain := 16 * grain
	w := runtime.GOMAXPROCS(0)
	if work := float64(m) * float64(n) * float64(k); work < float64(w*gemmGrain) {
		w = int(work / float64(gemmGrain))
	}
	ms, ns := (m+kern.mr-1)/kern.mr, (n+kern.nr-1)/kern.nr
	if w <= 1 || ms*ns == 1 {
		return 1, 1
	}
	tm, tn = 1, min(w, ns)
	best := -1.0
	for i := 1; i <= min(w, ms); i++ {
		j := min((w+i-1)/i, ns)
		cost := float64(j)*float64(m) + float64(i)*float64(n)
		if i*j >= min(w, ms*ns) && (best < 0 || cost < best) {
			tm, tn, best = i, j, cost
		}
	}
	return tm, tn
}

// gemmBlock computes rows [i0, i1) and columns [j0, j1) of C (row stride
// ldc) serially:
// the GotoBLAS loops over column blocks of B, K slices, row blocks of A,
// and NR-wide, MR-tall tiles within them.
//
// pre, if not nil, is rows [0, i1) of A packed by packAll (i0 is then 0),
// which gemmBlock reads instead of packing its blocks of A.
func gemmBlock[T float](kern microKernel[T], i0, i1, j0, j1, k, ldc int, A, B matView[T], C []T, pre []T) {
	mr, nr := kern.mr, kern.nr
	kc := kern.sliceDepth(k)
	mc := min(kern.mc, (i1-i0+mr-1)/mr*mr)
	nc := min(kern.nc, (j1-j0+nr-1)/nr*nr)
	ms := (i1 + mr - 1) / mr // pre's row slivers
	directA := pre == nil && inPlaceA(kern, A, kc)
	if directA {
		mc = mr // s.a packs only a last sliver no kernel reads in place
	}
	s := getScratch[T](mc*kc, kc*nc, mr*nr)
	defer putScratch(s)
	directB := inPlaceB(B, int(unsafe.Sizeof(T(0))))
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			if full := nb / nr * nr; !directB {
				packB(s.b, B, pc, jc, kb, nb, nr)
			} else if full < nb {
				packB(s.b[full*kb:], B, pc, jc+full, kb, nb-full, nr) // the last, narrower sliver
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				pa := s.a
				switch {
				case pre != nil:
					pa = pre[pc*ms*mr+ic*kb:] // slice pc's slivers start at pc*ms*mr
				case !directA:
					packA(s.a, A, ic, pc, mb, kb, mr)
				}
				for ir := 0; ir < mb; ir += mr {
					rows := min(mr, mb-ir)
					as, lda := pa[ir*kb:(ir+mr)*kb], 0
					if directA {
						if rows == mr || rows%2 == 0 && rows/2 <= len(kern.edgesA) {
							as, lda = A.data[A.off+(ic+ir)*A.rs+pc:], A.rs
						} else {
							packA(s.a, A, ic+ir, pc, rows, kb, mr) // an edge kernel would read rows past the last
							as = s.a[:mr*kb]
						}
					}
					for jr := 0; jr < nb; jr += nr {
						bs, ldb := s.b[jr*kb:(jr+nr)*kb], nr
						if directB && jr+nr <= nb {
							bs, ldb = B.data[B.off+pc*B.rs+jc+jr:], B.rs
						}
						runTile(&kern, kb, as, lda, bs, ldb, C[(ic+ir)*ldc+jc+jr:], ldc, rows, min(nr, nb-jr), pc > 0, s.tile)
					}
				}
			}
		}
	}
}

// runTile computes one rows×cols tile of C (rows <= mr, cols <= nr) from
// an A and a B sliver: c = Σ_p a·b over this K slice, added to c when acc.
// The A sliver is packed (lda 0) or read in place (lda A's row stride,
// rows even or mr). A full tile goes straight to c; a shorter one through
// the edge kernel that covers its rows, straight to c as well when that
// kernel's rows and the columns fit, else through tile (mr*nr scratch), of
// which only the tile's part is copied.
func runTile[T float](kern *microKernel[T], kb int, as []T, lda int, bs []T, ldb int, c []T, ldc, rows, cols int, acc bool, tile []T) {
	mr, nr := kern.mr, kern.nr
	e := -1 // the full kernel, or edge kernel e (2e+2 rows)
	if r := (rows+1)/2 - 1; rows < mr && r < len(kern.edges) {
		e = r
	}
	direct := cols == nr && (rows == mr || e >= 0 && rows == 2*e+2)
	cc, ldcc, accc := c, ldc, acc
	if !direct {
		cc, ldcc, accc = tile, nr, false
	}
	switch {
	case lda == 0 && e < 0:
		kern.run(kb, as, bs, ldb, cc, ldcc, accc)
	case lda == 0:
		kern.edges[e](kb, as, bs, ldb, cc, ldcc, accc)
	case e < 0:
		kern.runA(kb, as, lda, bs, ldb, cc, ldcc, accc)
	default:
		kern.edgesA[e](kb, as, lda, bs, ldb, cc, ldcc, accc)
	}
	if direct {
		return
	}
	for i := range rows {
		row, t := c[i*ldc:i*ldc+cols], tile[i*nr:]
		for j := range row {
			if acc {
				row[j] += t[j]
			} else {
				row[j] = t[j]
			}
		}
	}
}

// inPlaceA reports whether gemmBlock reads A's MR-row slivers where A
// lies, through the kernel's runA and edgesA, instead of packing them: A
// row-major (a unit column stride: the input of a linear layer's forward
// product, the output gradient of its input-gradient product) with rows
// spread over L1's sets. A sliver's rows, each kc elements, stay in L1
// while the B slivers of a block pass by; packed, they are one contiguous
// run. In place, rows whose starts fall in the same few of L1's 64 sets
// (a row stride near a multiple of 4 KiB, or of 2 KiB: half the rows in
// one set) evict each other, so A is read in place only when no set holds
// more of its lines than the packed sliver's share plus two. Packing A
// took a tenth of the MLP's first-layer product (128×784 transposed by
// each of the two threads).
func inPlaceA[T float](kern microKernel[T], A matView[T], kc int) bool {
	if kern.runA == nil || A.cs != 1 || A.rs <= 0 {
		return false
	}
	size := int(unsafe.Sizeof(T(0)))
	var sets [64]int
	worst := 0
	for i := range kern.mr {
		start := i * A.rs * size % 4096
		for l := start / 64; l <= (start+kc*size-1)/64; l++ {
			sets[l%64]++
			worst = max(worst, sets[l%64])
		}
	}
	return worst <= kern.mr*kc*size/4096+2
}

// inPlaceB reports whether gemmBlock reads B's full-width slivers where B
// lies instead of packing them: B row-major (a unit column stride, as the
// im2col columns of a convolution, the batch of a weight gradient and the
// weights of an input gradient) with a row stride that is not a multiple
// of 4 KiB. A sliver is read once per MR rows of A; packing it first
// copied it once more (15% of a convolution's forward product; 10% of the
// MLP's 128×256×128 products, 50% of its 10×128×128 one). At a multiple
// of 4 KiB (1024 floats and up, a power of two) a sliver's rows share one
// or two of L1's 64 sets and evict each other: gemm n=1024 ran 2-7%
// slower in place, so such a B is packed. 1 and 2 KiB strides, in half or
// a quarter of the sets, still ran 10% faster in place (n=256 and 512).
func inPlaceB[T float](B matView[T], size int) bool {
	return B.cs == 1 && B.rs*size%4096 != 0
}

// packAll packs all of an m×k A for gemmBlock's pre: K slice by K slice
// (gemmBlock's slices), each A's row slivers as packA lays them out,
// slice pc from dst[pc*ms*mr:], ms = ⌈m/mr⌉. A product broadcast over a
// batch (a convolution's weights) packs its A once so, rather than once
// per product.
func packAll[T float](kern microKernel[T], dst []T, A matView[T], m, k int) {
	mr, kc := kern.mr, kern.sliceDepth(k)
	ms := (m + mr - 1) / mr
	for pc := 0; pc < k; pc += kc {
		packA(dst[pc*ms*mr:], A, 0, pc, m, min(kc, k-pc), mr)
	}
}

// packA copies rows [i0, i0+mb) and columns [p0, p0+kb) of A into dst as
// MR-tall slivers, each k-major, the last padded with zero rows:
//
//	dst[(i/mr)*mr*kb + p*mr + i%mr] = A[i0+i][p0+p]
func packA[T float](dst []T, A matView[T], i0, p0, mb, kb, mr int) {
	if A.rs == 1 && A.cs != 1 {
		packAcross(dst, A.data, A.off+i0+p0*A.cs, A.cs, mb, kb, mr)
		return
	}
	for ir := 0; ir < mb; ir += mr {
		packSliver(dst[ir*kb:(ir+mr)*kb], A.data, A.off+(i0+ir)*A.rs+p0*A.cs, A.rs, A.cs, min(mr, mb-ir), kb, mr)
	}
}

// packB copies rows [p0, p0+kb) and columns [j0, j0+nb) of B into dst as
// NR-wide slivers, each k-major, the last padded with zero columns:
//
//	dst[(j/nr)*nr*kb + p*nr + j%nr] = B[p0+p][j0+j]
func packB[T float](dst []T, B matView[T], p0, j0, kb, nb, nr int) {
	if B.cs == 1 && B.rs != 1 {
		packAcross(dst, B.data, B.off+p0*B.rs+j0, B.rs, nb, kb, nr)
		return
	}
	for jr := 0; jr < nb; jr += nr {
		packSliver(dst[jr*kb:(jr+nr)*kb], B.data, B.off+p0*B.rs+(j0+jr)*B.cs, B.cs, B.rs, min(nr, nb-jr), kb, nr)
	}
}

// packAcross is packA and packB for a source whose slivers run along its
// lines (line p holds element i of every sliver at off+p*ps+i: a
// row-major B, a transposed A): nb elements of each of kb lines, in
// slivers of width w, the last padded with zeros:
//
//	dst[(i/w)*w*kb + p*w + i%w] = src[off+p*ps+i]
//
// It goes line by line, so that src is read in order, rather than sliver
// by sliver, which reads a w-wide column of every line (at a line stride
// of 4 KiB, kb lines in one of L1's sets) and took 15% of a 1024² product
// with a transposed A.
func packAcross[T float](dst, src []T, off, ps, nb, kb, w int) {
	full := nb / w * w
	for p := range kb {
		line, d := src[off+p*ps:off+p*ps+full], dst[p*w:]
		for i := 0; i < full; i += w {
			copy(d[i*kb:i*kb+w], line[i:i+w])
		}
	}
	if full < nb {
		packSliver(dst[full*kb:], src, off+full, 1, ps, nb-full, kb, w)
	}
}

// packSliver writes one k-major sliver of width w (w-n columns of zero
// padding) from n lines of kb elements of src (line i, element p at
// off+i*ls+p*ps):
//
//	d[p*w+i] = src[off+i*ls+p*ps] for i < n, 0 for n <= i < w
//
// Lines laid out contiguously in src (ps == 1) are transposed four at a
// time; slices across them (ls == 1) are copied.
func packSliver[T float](d, src []T, off, ls, ps, n, kb, w int) {
	switch {
	case ls == 1 && ps != 1:
		for p := range kb {
			copy(d[p*w:p*w+n], src[off+p*ps:])
		}
	case ps == 1:
		i := 0
		if g := packF32.lanes; packF32.run != nil && unsafe.Sizeof(T(0)) == 4 && kb >= g {
			// g (16 or 8) lines at a time in assembly (8 for float64,
			// below) while g whole lines lie in src (lines past n are
			// read, then masked off); the columns past the last whole
			// block go through the Go loop.
			blocks := kb / g
			d32 := unsafe.Slice((*float32)(unsafe.Pointer(&d[0])), len(d))
			s32 := unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), len(src))
			for ; i < n && off+(i+g-1)*ls+g*blocks <= len(src); i += g {
				c := min(g, n-i)
				packF32.run(&d32[i], w, &s32[off+i*ls], ls, blocks, uint16(1)<<c-1)
				transposeLines(d, src, off, ls, i, i+c, g*blocks, kb, w)
			}
		}
		if blocks := kb / 8; transpose8 != nil && unsafe.Sizeof(T(0)) == 8 && blocks > 0 {
			d64 := unsafe.Slice((*float64)(unsafe.Pointer(&d[0])), len(d))
			s64 := unsafe.Slice((*float64)(unsafe.Pointer(&src[0])), len(src))
			for ; i < n && off+(i+7)*ls+8*blocks <= len(src); i += 8 {
				c := min(8, n-i)
				transpose8(&d64[i], w, &s64[off+i*ls], ls, blocks, uint8(1)<<c-1)
				transposeLines(d, src, off, ls, i, i+c, 8*blocks, kb, w)
			}
		}
		transposeLines(d, src, off, ls, i, n, 0, kb, w)
	default:
		for p := range kb {
			dp, o := d[p*w:p*w+n], off+p*ps
			for i := range dp {
				dp[i] = src[o+i*ls]
			}
		}
	}
	if n < w {
		for p := range kb {
			clear(d[p*w+n : (p+1)*w])
		}
	}
}

// transpose32 is one float32 packing transpose: run transposes lanes lines
// at a time (see transpose16AVX512); a nil run is the Go loop.
type transpose32 struct {
	name  string
	run   func(dst *float32, ldd int, src *float32, lds int, blocks int, mask uint16)
	lanes int
}

// transposeLines is packSliver's transpose of contiguous lines for lines
// [i0, i1) and elements [p0, p1) of each, four lines at a time:
//
//	d[p*w+i] = src[off+i*ls+p]
//
// It works through the elements in chunks whose part of d (chunk rows of
// w) is 32 KiB at most, so it stays in L1 while every line passes through
// it; one pass per four lines over a whole deep sliver evicted it between
// passes (0.8 against 1.3 elements per ns at w = 32, kb = 784).
func transposeLines[T float](d, src []T, off, ls, i0, i1, p0, p1, w int) {
	chunk := max(64, (32<<10)/(w*int(unsafe.Sizeof(T(0)))))
	for q0 := p0; q0 < p1; q0 += chunk {
		q1 := min(q0+chunk, p1)
		i := i0
		for ; i+4 <= i1; i += 4 {
			s0, s1 := src[off+i*ls+q0:][:q1-q0], src[off+(i+1)*ls+q0:][:q1-q0]
			s2, s3 := src[off+(i+2)*ls+q0:][:q1-q0], src[off+(i+3)*ls+q0:][:q1-q0]
			for q := range s0 {
				dp := d[(q0+q)*w+i:][:4]
				dp[0], dp[1], dp[2], dp[3] = s0[q], s1[q], s2[q], s3[q]
			}
		}
		for ; i < i1; i++ {
			for q, v := range src[off+i*ls+q0:][:q1-q0] {
				d[(q0+q)*w+i] = v
			}
		}
	}
}
