package cuda

import (
	"github.com/tapegrad/tapegrad/device"
)

// Rows of at most warpRow columns get a warp each (eight rows per block);
// longer rows get a whole block.
const warpRow = 1024

// rowLaunch runs the warp or block variant of softmax.cu kernel base over
// rows of cols columns; the caller holds b.mu.
func (b *Backend) rowLaunch(base string, dt device.DType, rows, cols int, args ...any) error {
	if cols <= warpRow {
		return b.launch(modSoftmax, base+"_warp_"+dt.Suffix(), b.gridWarps(rows), args...)
	}
	return b.launch(modSoftmax, base+"_"+dt.Suffix(), b.gridBlocks(rows), args...)
}

// rowBuffers checks [rows, cols] float buffers of one dtype, the first
// deciding it.
func (b *Backend) rowBuffers(op string, rows, cols int, xs []device.Buffer, what ...string) ([]*Buffer, error) {
	if rows < 0 || cols < 0 {
		return nil, opErr(op, "negative shape [%d, %d]", rows, cols)
	}
	out := make([]*Buffer, len(xs))
	for i, x := range xs {
		var err error
		if out[i], err = b.buf(op, x, dtypeOf(xs[0]), what[i]); err != nil {
			return nil, err
		}
		if err := need(op, out[i], rows*cols, what[i]); err != nil {
			return nil, err
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
	return b.rowLaunch(base, bs[0].dt, rows, cols, bs[0].ptr, bs[1].ptr, int64(rows), int64(cols))
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
	return b.rowLaunch(base, bs[0].dt, rows, cols, bs[0].ptr, bs[1].ptr, bs[2].ptr, int64(rows), int64(cols))
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
	return b.rowLaunch("cross_entropy", dt, rows, cols, out.ptr, bs[0].ptr, l.ptr, int64(rows), int64(cols), scalar(dt, smoothing), w)
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
	return b.rowLaunch("cross_entropy_backward", dt, rows, cols, bs[0].ptr, bs[1].ptr, l.ptr, g.ptr, int64(rows), int64(cols), scalar(dt, smoothing))
}
