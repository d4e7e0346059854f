package cuda

import (
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Reduction strategy thresholds (see reduce.cu).
const (
	// shortRow is the longest row given a warp rather than a block.
	shortRow = 1024
	// tinyRow is the longest row given a single thread.
	tinyRow = 8
	// manyRows is the row count from which a strided (column) reduction
	// gives each row a thread, so that neighbouring threads read
	// neighbouring rows.
	manyRows = 2048
	// splitRow is the shortest row split across several blocks when there
	// are too few rows to fill the device; splitChunk is the least each
	// block then takes.
	splitRow   = 1 << 16
	splitChunk = 1 << 14
	// maxSplits bounds the partials a row is split into.
	maxSplits = 1024
	// partBytes is the largest accumulator (ArgAcc<double>) in bytes.
	partBytes = 16
)

// Reduce reduces the last nreduce dims of sl into contiguous dst with the
// kernels of reduce.cu, picking per shape a thread, a warp or a block per
// row, or for a few very long rows two passes (blocks over chunks, then
// reduce_<op>_final_<dt> over the partials). Int32 supports Sum (wrapping),
// Max, Min, ArgMax and ArgMin.
func (b *Backend) Reduce(op device.ReduceOp, dst device.Buffer, src device.Buffer, sl device.Layout, nreduce int) error {
	if op >= device.ReduceOp(len(reduceNames)) {
		return opErr("Reduce "+op.String(), "unknown op %d", op)
	}
	name := reduceNames[op]
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.buf(name, src, dtypeOf(src), "src")
	if err != nil {
		return err
	}
	want := s.dt
	if op == device.ArgMax || op == device.ArgMin {
		want = device.Int32
	}
	d, err := b.buf(name, dst, want, "dst")
	if err != nil {
		return err
	}
	if op == device.Mean && s.dt == device.Int32 {
		return opErr(name, "not supported for %v", s.dt)
	}
	if err := checkLayout(name, sl, s.n, "src"); err != nil {
		return err
	}
	rank := sl.Rank()
	if nreduce < 0 || nreduce > rank {
		return opErr(name, "cannot reduce %d dims of a rank-%d layout", nreduce, rank)
	}
	kept := device.Layout{Shape: sl.Shape[:rank-nreduce], Strides: sl.Strides[:rank-nreduce], Offset: sl.Offset}
	red := device.Layout{Shape: sl.Shape[rank-nreduce:], Strides: sl.Strides[rank-nreduce:]}
	rows, n := kept.Size(), red.Size()
	if err := need(name, d, rows, "dst"); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	if n == 0 {
		switch op {
		case device.Sum:
			return b.fillFlat(d, rows, 0)
		case device.Mean:
			return b.fillFlat(d, rows, math.NaN())
		}
		return opErr(name, "no elements to reduce (shape %v, reducing the last %d dims)", sl.Shape, nreduce)
	}
	if n > math.MaxInt32 {
		return opErr(name, "rows of %d elements exceed the kernels' int32 positions", n)
	}
	oc := collapse(kept.Shape, kept)[0]
	ic := collapse(red.Shape, red)[0]
	// pass1 packs the arguments the thread, warp and block kernels share.
	pass1 := func() *driver.Args {
		a := b.args()
		a.Ptr(d.ptr)
		a.Ptr(s.ptr)
		oc.put(a)
		ic.put(a)
		a.Int64(int64(rows))
		a.Int64(int64(n))
		return a
	}
	kern, sfx := op.String(), s.dt.Suffix()
	switch {
	case n <= tinyRow || (!ic.contiguous() && rows >= manyRows):
		pass1()
		return b.launch(modReduce, kname{"reduce_", kern, "_thread_", sfx}, b.grid1D(rows))
	case n <= shortRow:
		pass1()
		return b.launch(modReduce, kname{"reduce_", kern, "_warp_", sfx}, b.gridWarps(rows))
	}
	splits := 1
	if n >= splitRow && rows < 2*max(b.props.SMs, 1) {
		splits = min((n+splitChunk-1)/splitChunk, (4*max(b.props.SMs, 1)+rows-1)/rows, maxSplits)
	}
	chunk := (n + splits - 1) / splits
	splits = (n + chunk - 1) / chunk
	if splits == 1 {
		a := pass1()
		a.Int64(int64(chunk))
		a.Int32(1)
		a.Ptr(0)
		return b.launch(modReduce, kname{"reduce_", kern, "_", sfx}, b.gridBlocks(rows))
	}
	part, err := b.scratch(device.Float64, rows*splits*partBytes/8)
	if err != nil {
		return err
	}
	defer b.release(part)
	a := pass1()
	a.Int64(int64(chunk))
	a.Int32(int32(splits))
	a.Ptr(part.ptr)
	if err := b.launch(modReduce, kname{"reduce_", kern, "_", sfx}, b.gridBlocks(rows*splits)); err != nil {
		return err
	}
	a = b.args()
	a.Ptr(d.ptr)
	a.Ptr(part.ptr)
	a.Int64(int64(rows))
	a.Int32(int32(splits))
	a.Int64(int64(n))
	return b.launch(modReduce, kname{"reduce_", kern, "_final_", sfx}, b.gridWarps(rows))
}

// fillFlat sets the first n elements of contiguous d to v; the caller
// holds b.mu.
func (b *Backend) fillFlat(d *Buffer, n int, v float64) error {
	f := flat(n)
	a := b.args()
	a.Ptr(d.ptr)
	f.put(a)
	a.Int64(int64(n))
	putScalar(a, d.dt, v)
	return b.launch(modMemory, kname{"fill_", d.dt.Suffix()}, b.grid1D(n))
}
