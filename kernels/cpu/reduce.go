package cpu

import (
	"math"
	"runtime"

	"github.com/tapegrad/tapegrad/device"
)

// sumBlock fixes the summation order of long rows: a row of more than
// sumBlock elements is summed block by block, each block from zero, and
// the block sums are then added in order. Blocks can be reduced on
// different goroutines, yet the order never depends on the thread count.
const sumBlock = 1 << 16

// Reduce reduces the last nreduce dims of sl into dst, one output element
// per position of the kept dims, in row-major order. Reference, per output
// row x[0..m) (read through the layout):
//
//	Sum:    s := 0.0
//	        for each block of sumBlock positions:
//	                var lane [sumLanes]float64
//	                for p, v in block: lane[p%sumLanes] += float64(v)
//	                s += laneSum(lane)
//	Mean:   Sum / m, NaN when m == 0
//	Max:    the first NaN if any, else the largest (Min: smallest)
//	ArgMax: the position of that element, the first one on ties
//
// Floats accumulate in float64 (float32 rounds once at the end); Int32
// supports Sum (wrapping), Max, Min, ArgMax and ArgMin. Max, Min, ArgMax
// and ArgMin of zero elements are an error; nreduce == 0 reduces each
// element alone.
func (be *Backend) Reduce(op device.ReduceOp, dst device.Buffer, src device.Buffer, sl device.Layout, nreduce int) error {
	if dt, ok := halfOf(src, dst); ok && int(op) < numReduce {
		return be.reduceHalf(dt, "Reduce "+op.String(), op, dst, src, sl, nreduce)
	}
	name := "Reduce " + op.String()
	if int(op) >= numReduce {
		return opError(name, "unknown op %d", op)
	}
	s, err := asBuffer(name, src)
	if err != nil {
		return err
	}
	want := s.dt
	if op == device.ArgMax || op == device.ArgMin {
		want = device.Int32
	}
	bs, err := buffers(name, want, dst)
	if err != nil {
		return err
	}
	d := bs[0]
	if err := checkLayout(name, s, sl, "src"); err != nil {
		return err
	}
	rank := sl.Rank()
	if nreduce < 0 || nreduce > rank {
		return opError(name, "cannot reduce %d dims of a rank-%d layout", nreduce, rank)
	}
	outer, m := device.Numel(sl.Shape[:rank-nreduce]), device.Numel(sl.Shape[rank-nreduce:])
	if err := need(name, d, outer, "dst"); err != nil {
		return err
	}
	if op == device.Mean && s.dt == device.Int32 {
		return unsupported(name, s.dt)
	}
	if outer == 0 {
		return nil
	}
	if m == 0 {
		switch op {
		case device.Sum:
			return fillN(d, outer, 0)
		case device.Mean:
			return fillN(d, outer, math.NaN())
		}
		return opError(name, "no elements to reduce (shape %v, reducing the last %d dims)", sl.Shape, nreduce)
	}
	r := reduction{op: op, sl: sl, nreduce: nreduce, outer: outer, m: m}
	switch s.dt {
	case device.Float32:
		reduce(r, d, slice[float32](s))
	case device.Float64:
		reduce(r, d, slice[float64](s))
	default:
		reduce(r, d, slice[int32](s))
	}
	return nil
}

// fillN sets the first n elements of d to v.
func fillN(d *Buffer, n int, v float64) error {
	return shared.Fill(d, device.Contiguous([]int{n}), v)
}

// reduction is one Reduce call: outer output rows of m elements each.
type reduction struct {
	op       device.ReduceOp
	sl       device.Layout
	nreduce  int
	outer, m int
}

// partial is a reduction of part of a row.
type partial[T num] struct {
	sum  float64 // Sum and Mean of floats
	isum int64   // Sum of int32, wrapped to int32 at the end
	val  T       // Max, Min, ArgMax, ArgMin: the winner so far
	idx  int     // the winner's position within the row
}

func reduce[T num](r reduction, d *Buffer, src []T) {
	split := r.sl.Rank() - r.nreduce
	kept := device.Layout{Shape: r.sl.Shape[:split], Strides: r.sl.Strides[:split], Offset: r.sl.Offset}
	red := device.Layout{Shape: r.sl.Shape[split:], Strides: r.sl.Strides[split:]}
	keptW, redW := newWalker(kept.Shape, kept), newWalker(red.Shape, red)
	if last := keptW.rank - 1; r.outer > 1 && keptW.st[0][last] == 1 && redW.inner(0) != 1 {
		reduceColumns(r, d, src, keptW, redW)
		return
	}
	nb := (r.m + sumBlock - 1) / sumBlock

	// rowPart reduces positions [lo, hi) of the row at buffer offset base.
	rowPart := func(base, lo, hi int, scratch []T, lanes *[sumLanes]float64) partial[T] {
		w := redW
		w.off[0] = base
		return fold(r.op, src, w, lo, hi, scratch, lanes)
	}
	if nb == 1 {
		// Float sums of contiguous rows skip the walker: fold's one run.
		contiguous := !isInt[T]() && (r.op == device.Sum || r.op == device.Mean) && redW.rank == 1 && redW.inner(0) == 1
		parallelFor(r.outer, r.m, func(lo, hi int) {
			kw := keptW
			kw.seek(lo)
			var scratch []T // fold gathers strided runs into it; contiguous ones need none
			if redW.inner(0) != 1 {
				scratch = make([]T, chunk)
			}
			lanes := new([sumLanes]float64) // one per chunk of rows: the kernels make it escape
			for row := lo; row < hi; row++ {
				if contiguous {
					*lanes = [sumLanes]float64{}
					addLanes(lanes, src[kw.off[0]:][:r.m], 0)
					store(r, d, row, partial[T]{sum: laneSum(lanes)})
				} else {
					store(r, d, row, rowPart(kw.off[0], 0, r.m, scratch, lanes))
				}
				kw.advance(1)
			}
		})
		return
	}
	parts := make([]partial[T], r.outer*nb)
	parallelFor(len(parts), sumBlock, func(lo, hi int) {
		var scratch []T // fold gathers strided runs into it; contiguous ones need none
		if redW.inner(0) != 1 {
			scratch = make([]T, chunk)
		}
		lanes := new([sumLanes]float64)
		for it := lo; it < hi; it++ {
			row, b := it/nb, it%nb
			kw := keptW
			kw.seek(row)
			parts[it] = rowPart(kw.off[0], b*sumBlock, min((b+1)*sumBlock, r.m), scratch, lanes)
		}
	})
	for row := range r.outer {
		p := parts[row*nb]
		for _, q := range parts[row*nb+1 : (row+1)*nb] {
			p = combine(r.op, p, q)
		}
		store(r, d, row, p)
	}
}

// fold reduces positions [lo, hi) of one row, whose walker w starts at
// the row's first element, in row-major order. lanes is the caller's
// scratch for float sums (reset here).
func fold[T num](op device.ReduceOp, src []T, w walker, lo, hi int, scratch []T, lanes *[sumLanes]float64) partial[T] {
	w.seek(lo)
	p := partial[T]{val: src[w.off[0]], idx: lo}
	intSum := isInt[T]()
	*lanes = [sumLanes]float64{}
	for pos := lo; pos < hi; {
		r := min(w.run(), hi-pos)
		var x []T
		if s := w.inner(0); s == 1 {
			x = src[w.off[0] : w.off[0]+r]
		} else {
			r = min(r, chunk)
			x = scratch[:r]
			gatherRun(x, src, w.off[0], s)
		}
		switch op {
		case device.Sum, device.Mean:
			if intSum {
				for _, v := range x {
					p.isum += int64(v)
				}
			} else {
				addLanes(lanes, x, pos)
			}
		case device.Max, device.ArgMax:
			for i, v := range x {
				if maxWins(v, p.val) {
					p.val, p.idx = v, pos+i
				}
			}
		default:
			for i, v := range x {
				if minWins(v, p.val) {
					p.val, p.idx = v, pos+i
				}
			}
		}
		w.advance(r)
		pos += r
	}
	p.sum = laneSum(lanes)
	return p
}

// colGroup and colGroupMax bound how many neighbouring outputs
// reduceColumns folds together: as many as give each goroutine one group,
// so that each reads long contiguous stretches of every row (in 8 KB
// pieces at most: the lanes of float sums, 8 float64s per output, stay in
// L2), but at least colGroup. The width changes only the speed: every
// output's order is its own.
const colGroup, colGroupMax = 256, 2048

// colWidth returns reduceColumns' group width for rows of cols outputs.
func colWidth(cols int) int {
	procs := runtime.GOMAXPROCS(0)
	return min(colGroupMax, max(colGroup, (cols+procs-1)/procs))
}

// reduceColumns is the path for layouts whose kept dims end in a run that
// is contiguous in src while the reduced dims are not, such as a sum over
// the batch dim of [batch, features]. Rather than gathering each output's
// elements at a large stride, it folds a group of neighbouring outputs
// (colWidth) at once: each reduced position contributes one contiguous
// vector, one element per output. Every output still folds its elements
// in row-major order with the same sumBlock partials and the same sumLanes
// lanes (for float sums a lane-major array, lane j of output g at
// j*width+g), so the results equal the row path's bit for bit.
func reduceColumns[T num](r reduction, d *Buffer, src []T, keptW, redW walker) {
	cols := keptW.shape[keptW.rank-1]
	width := colWidth(cols)
	groups := (cols + width - 1) / width
	intSum := isInt[T]()
	floatSum := !intSum && (r.op == device.Sum || r.op == device.Mean)
	vec := vecKernel[T]()
	parallelFor(r.outer/cols*groups, r.m*min(cols, width), func(lo, hi int) {
		pp := partialPool[T]()
		pb, pt := pp.get(width), pp.get(width)
		defer pp.put(pb)
		defer pp.put(pt)
		blk, tot := *pb, *pt
		var lanes []float64
		if floatSum {
			pl := lanePool.get(sumLanes * width)
			defer lanePool.put(pl)
			lanes = *pl
			clear(lanes)
		}
		// finish ends a block: the lanes of each float sum add up into blk.
		// It reads the lanes a lane (a contiguous run of outputs) at a time.
		finish := func(n int) {
			if !floatSum {
				return
			}
			l0, l1, l2, l3 := lanes[:n], lanes[width:][:n], lanes[2*width:][:n], lanes[3*width:][:n]
			l4, l5, l6, l7 := lanes[4*width:][:n], lanes[5*width:][:n], lanes[6*width:][:n], lanes[7*width:][:n]
			for g := range blk[:n] {
				blk[g].sum = laneSum(&[sumLanes]float64{l0[g], l1[g], l2[g], l3[g], l4[g], l5[g], l6[g], l7[g]})
			}
			clear(lanes)
		}
		for it := lo; it < hi; it++ {
			out := it/groups*cols + it%groups*width
			n := min(width, cols-out%cols)
			kw := keptW
			kw.seek(out)
			w := redW
			w.off[0] = kw.off[0]
			for pos := 0; pos < r.m; {
				run, s := w.run(), w.inner(0)
				for i := 0; i < run; {
					p := pos + i
					if p%sumBlock == 0 { // a new block
						if p > 0 {
							finish(n) // the first block has nothing to finish
						}
						for g, v := range src[w.off[0]+i*s:][:n] {
							if p > 0 {
								tot[g] = combine(r.op, tot[g], blk[g])
							} else {
								tot[g] = partial[T]{val: v}
							}
							blk[g] = partial[T]{val: v, idx: p}
						}
					}
					if floatSum { // the rest of the run in this block, straight into the lanes
						end := min(run, i+sumBlock-p%sumBlock)
						addColumns(vec, lanes, width, n, src, w.off[0], s, pos, i, end)
						i = end
						continue
					}
					foldVec(r.op, blk[:n], src[w.off[0]+i*s:][:n], p, intSum)
					i++
				}
				w.advance(run)
				pos += run
			}
			finish(n)
			for g := range n {
				store(r, d, out+g, combine(r.op, tot[g], blk[g]))
			}
		}
	})
}

// foldVec folds x[g], the element at position pos of output g's row, into
// ps[g] for every g: the reductions other than float sums.
func foldVec[T num](op device.ReduceOp, ps []partial[T], x []T, pos int, intSum bool) {
	switch op {
	case device.Sum, device.Mean:
		for g, v := range x {
			ps[g].isum += int64(v)
		}
	case device.Max, device.ArgMax:
		for g, v := range x {
			if maxWins(v, ps[g].val) {
				ps[g].val, ps[g].idx = v, pos
			}
		}
	default:
		for g, v := range x {
			if minWins(v, ps[g].val) {
				ps[g].val, ps[g].idx = v, pos
			}
		}
	}
}

// combine folds q, the partial of the block after p's, into p.
func combine[T num](op device.ReduceOp, p, q partial[T]) partial[T] {
	switch op {
	case device.Sum, device.Mean:
		p.sum += q.sum
		p.isum += q.isum
	case device.Max, device.ArgMax:
		if maxWins(q.val, p.val) {
			p.val, p.idx = q.val, q.idx
		}
	default:
		if minWins(q.val, p.val) {
			p.val, p.idx = q.val, q.idx
		}
	}
	return p
}

// maxWins reports whether v, met after best, replaces it as the maximum:
// it is larger, or the first NaN. minWins is the same for the minimum.
func maxWins[T num](v, best T) bool { return v > best || (v != v && best == best) }
func minWins[T num](v, best T) bool { return v < best || (v != v && best == best) }

// store writes the finished reduction of one row.
func store[T num](r reduction, d *Buffer, row int, p partial[T]) {
	switch r.op {
	case device.ArgMax, device.ArgMin:
		slice[int32](d)[row] = int32(p.idx)
	case device.Max, device.Min:
		slice[T](d)[row] = p.val
	case device.Sum:
		if isInt[T]() {
			slice[T](d)[row] = T(int32(p.isum))
		} else {
			slice[T](d)[row] = T(p.sum)
		}
	default:
		slice[T](d)[row] = T(p.sum / float64(r.m))
	}
}
