package cuda

import (
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Rows of at most warpRow columns get a warp each (eight rows per block);
// longer rows get a whole block.
const warpRow = 1024

// rowLaunch runs the warp or block variant of softmax.cu kernel base over
// rows of cols columns with the arguments packed since b.args; the caller
// holds b.mu.
func (b *Backend) rowLaunch(base string, dt device.DType, rows, cols int) error {
	if cols <= warpRow {
		return b.launch(modSoftmax, kname{base, "_warp_", dt.Suffix()}, b.gridWarps(rows))
	}
	return b.launch(modSoftmax, kname{base, "_", dt.Suffix()}, b.gridBlocks(rows))
}

// rowArgs packs the pointers of a row kernel, then rows and cols.
func (b *Backend) rowArgs(rows, cols int, ptrs ...driver.DevPtr) *driver.Args {
	a := b.args()
	for _, p := range ptrs {
		a.Ptr(p)
	}
	a.Int64(int64(rows))
	a.Int64(int64(cols))
	return a
}

// rowBuffers checks (at most three) [rows, cols] float buffers of one
// dtype, the first deciding it.
func (b *Backend) rowBuffers(op string, rows, cols int, xs []device.Buffer, what ...string) ([3]*Buffer, error) {
	var out [3]*Buffer
	if rows < 0 || cols < 0 {
		return out, opErr(op, "negative shape [%d, %d]", rows, cols)
	}
	for i, x := range xs {
		var err error
		if out[i], err = b.buf(op, x, dtypeOf(xs[0]), what[i]); err != nil {
			return out, err
		}
		if err := need(op, out[i], rows*cols, what[i]); err != nil {
			return out, err
		}
	}
	return out, floatOnly(op, out[0].dt)
}

// Softmax writes softmax (or log-softmax) of each row with kernel
// [log_]softmax[_warp]_<dt>.
func (b *Backend) Softmax(dst, src device.Buffer, rows, cols int, log bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bs, err := b.rowBuffers("Softmax", rows, cols, []device.Buffer{dst, src}, "dst", "src")
	if err != nil || rows*cols == 0 {
		return err
	}
	base := "softmax"
	if log {
		base = "log_softmax"
	}
	b.rowArgs(rows, cols, bs[0].ptr, bs[1].ptr)
	return b.rowLaunch(base, bs[0].dt, rows, cols)
}

// SoftmaxBackward writes dx from y and dy with kernel
// [log_]softmax_backward[_warp]_<dt>.
func (b *Backend) SoftmaxBackward(dx, y, dy device.Buffer, rows, cols int, log bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bs, err := b.rowBuffers("SoftmaxBackward", rows, cols, []device.Buffer{dx, y, dy}, "dx", "y", "dy")
	if err != nil || rows*cols == 0 {
		return err
	}
	base := "softmax_backward"
	if log {
		base = "log_softmax_backward"
	}
	b.rowArgs(rows, cols, bs[0].ptr, bs[1].ptr, bs[2].ptr)
	return b.rowLaunch(base, bs[0].dt, rows, cols)
}

// lossBuffers checks the int32 labels and a per-row buffer of dtype dt.
func (b *Backend) lossBuffers(op string, rows, cols int, dt device.DType, labels, perRow device.Buffer, what string) (*Buffer, *Buffer, error) {
	l, err := b.buf(op, labels, device.Int32, "labels")
	if err != nil {
		return nil, nil, err
	}
	if err := need(op, l, rows, "labels"); err != nil {
		return nil, nil, err
	}
	p, err := b.buf(op, perRow, dt, what)
	if err != nil {
		return nil, nil, err
	}
	if err := need(op, p, rows, what); err != nil {
		return nil, nil, err
	}
	if rows > 0 && cols == 0 {
		return nil, nil, opErr(op, "%d rows of 0 classes", rows)
	}
	return l, p, nil
}

// CrossEntropy writes the smoothed cross-entropy of each row with kernel
// cross_entropy[_warp]_<dt>. A label outside [0, cols) gives a NaN loss
// and is recorded in the status word, so the next Sync or Read reports
// it; checking here would read the labels back and stall the device.
func (b *Backend) CrossEntropy(loss, logits, labels device.Buffer, rows, cols int, smoothing float64) error {
	const name = "CrossEntropy"
	b.mu.Lock()
	defer b.mu.Unlock()
	bs, err := b.rowBuffers(name, rows, cols, []device.Buffer{logits}, "logits")
	if err != nil {
		return err
	}
	l, out, err := b.lossBuffers(name, rows, cols, bs[0].dt, labels, loss, "loss")
	if err != nil || rows == 0 {
		return err
	}
	dt := bs[0].dt
	w, err := b.statusWord()
	if err != nil {
		return err
	}
	a := b.rowArgs(rows, cols, out.ptr, bs[0].ptr, l.ptr)
	putScalar(a, dt, smoothing)
	a.Ptr(w)
	return b.rowLaunch("cross_entropy", dt, rows, cols)
}

// CrossEntropyBackward writes dlogits with kernel
// cross_entropy_backward[_warp]_<dt>.
func (b *Backend) CrossEntropyBackward(dlogits, logits, labels, dloss device.Buffer, rows, cols int, smoothing float64) error {
	const name = "CrossEntropyBackward"
	b.mu.Lock()
	defer b.mu.Unlock()
	bs, err := b.rowBuffers(name, rows, cols, []device.Buffer{dlogits, logits}, "dlogits", "logits")
	if err != nil {
		return err
	}
	l, g, err := b.lossBuffers(name, rows, cols, bs[0].dt, labels, dloss, "dloss")
	if err != nil || rows == 0 {
		return err
	}
	dt := bs[0].dt
	putScalar(b.rowArgs(rows, cols, bs[0].ptr, bs[1].ptr, l.ptr, g.ptr), dt, smoothing)
	return b.rowLaunch("cross_entropy_backward", dt, rows, cols)
}
