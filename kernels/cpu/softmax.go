package cpu

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/device"
)

// Softmax writes softmax (or log-softmax when log) of each row of the
// contiguous [rows, cols] src to dst. Reference, per row x in float64:
//
//	mx := max(x); s := Σ exp(x[c]-mx)
//	softmax:     dst[c] = exp(x[c]-mx) / s
//	log-softmax: dst[c] = x[c] - mx - log(s)
//
// Subtracting the row max keeps exp from overflowing; a NaN anywhere in a
// row makes the whole row NaN. Float32 takes softmax_f32.go's path, which
// exponentiates with the float32 kernel.
func (be *Backend) Softmax(dst, src device.Buffer, rows, cols int, log bool) error {
	if dt, ok := halfOf(dst, src); ok {
		return be.plainHalf("Softmax", dt, []device.Buffer{dst}, []device.Buffer{src}, func(bs []device.Buffer) error {
			return be.Softmax(bs[0], bs[1], rows, cols, log)
		})
	}
	bs, err := rowBuffers("Softmax", rows, cols, dst, src)
	if err != nil {
		return err
	}
	switch bs[0].dt {
	case device.Float32:
		softmax32(slice[float32](bs[0]), slice[float32](bs[1]), rows, cols, log)
	case device.Float64:
		softmax(slice[float64](bs[0]), slice[float64](bs[1]), rows, cols, log)
	default:
		return unsupported("Softmax", bs[0].dt)
	}
	return nil
}

// rowBuffers checks the buffers of a softmax-family op: one float dtype,
// each holding at least rows*cols elements.
func rowBuffers(op string, rows, cols int, b ...device.Buffer) ([]*Buffer, error) {
	first, err := asBuffer(op, b[0])
	if err != nil {
		return nil, err
	}
	bs, err := buffers(op, first.dt, b...)
	if err != nil {
		return nil, err
	}
	if rows < 0 || cols < 0 {
		return nil, opError(op, "negative shape [%d, %d]", rows, cols)
	}
	for i, cb := range bs {
		if err := need(op, cb, rows*cols, fmt.Sprintf("operand %d", i)); err != nil {
			return nil, err
		}
	}
	if !first.dt.IsFloat() {
		return nil, unsupported(op, first.dt)
	}
	return bs, nil
}

// maxSumExp returns the row max and Σ exp(x-max), both in float64.
func maxSumExp[T float](x []T) (mx, s float64) {
	mx = math.Inf(-1)
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx, s
}

func softmax[T float](dst, src []T, rows, cols int, log bool) {
	parallelFor(rows, 16*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, y := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
			mx, s := maxSumExp(x)
			lse := math.Log(s)
			for c, v := range x {
				if log {
					y[c] = T(float64(v) - mx - lse)
				} else {
					y[c] = T(math.Exp(float64(v)-mx) / s)
				}
			}
		}
	})
}

// SoftmaxBackward writes dx for each row from the forward output y and its
// gradient dy, with the sums in float64:
//
//	softmax:     dx[c] = y[c] * (dy[c] - Σ dy*y)
//	log-softmax: dx[c] = dy[c] - exp(y[c]) * Σ dy
//
// Float32 takes softmax_f32.go's vector path (the sums in 16 lanes; for
// log-softmax exp(y) by the float32 exp kernel).
func (be *Backend) SoftmaxBackward(dx, y, dy device.Buffer, rows, cols int, log bool) error {
	if dt, ok := halfOf(dx, y, dy); ok {
		return be.plainHalf("SoftmaxBackward", dt, []device.Buffer{dx}, []device.Buffer{y, dy}, func(bs []device.Buffer) error {
			return be.SoftmaxBackward(bs[0], bs[1], bs[2], rows, cols, log)
		})
	}
	bs, err := rowBuffers("SoftmaxBackward", rows, cols, dx, y, dy)
	if err != nil {
		return err
	}
	if bs[0].dt == device.Float32 {
		softmaxBackward32(slice[float32](bs[0]), slice[float32](bs[1]), slice[float32](bs[2]), rows, cols, log)
	} else {
		softmaxBackward(slice[float64](bs[0]), slice[float64](bs[1]), slice[float64](bs[2]), rows, cols, log)
	}
	return nil
}

func softmaxBackward[T float](dx, y, dy []T, rows, cols int, log bool) {
	parallelFor(rows, 4*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, yr, gr := dx[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols]
			s := 0.0
			for c, g := range gr {
				if log {
					s += float64(g)
				} else {
					s += float64(g) * float64(yr[c])
				}
			}
			for c, g := range gr {
				if log {
					o[c] = T(float64(g) - math.Exp(float64(yr[c]))*s)
				} else {
					o[c] = T(float64(yr[c]) * (float64(g) - s))
				}
			}
		}
	})
}

// CrossEntropy writes loss[r] = -Σ_c t[r,c]*logsoftmax(x)[r,c] with
// t = (1-s)*onehot(labels[r]) + s/cols, in float64:
//
//	loss[r] = -(1-s)*ls[label] - s/cols * Σ_c ls[c],  ls = logsoftmax(x[r])
//
// With s == 0 only the label's term is computed, so a -Inf logit elsewhere
// does not turn 0*-Inf into NaN. Labels must lie in [0, cols). Float32
// exponentiates with the float32 kernel (softmax_f32.go).
func (be *Backend) CrossEntropy(loss, logits, labels device.Buffer, rows, cols int, smoothing float64) error {
	if dt, ok := halfOf(loss, logits, labels); ok {
		return be.plainHalf("CrossEntropy", dt, []device.Buffer{loss}, []device.Buffer{logits, labels}, func(bs []device.Buffer) error {
			return be.CrossEntropy(bs[0], bs[1], bs[2], rows, cols, smoothing)
		})
	}
	const name = "CrossEntropy"
	bs, err := rowBuffers(name, rows, cols, logits)
	if err != nil {
		return err
	}
	ls, err := losses(name, rows, cols, bs[0].dt, labels, loss)
	if err != nil {
		return err
	}
	if bs[0].dt == device.Float32 {
		crossEntropy32(slice[float32](ls[1]), slice[float32](bs[0]), slice[int32](ls[0]), rows, cols, smoothing)
	} else {
		crossEntropy(slice[float64](ls[1]), slice[float64](bs[0]), slice[int32](ls[0]), rows, cols, smoothing)
	}
	return nil
}

// losses checks the Int32 labels and the per-row buffer (loss or dloss) of
// a cross-entropy op and returns them in that order.
func losses(op string, rows, cols int, dt device.DType, labels, perRow device.Buffer) ([]*Buffer, error) {
	lb, err := buffers(op, device.Int32, labels)
	if err != nil {
		return nil, err
	}
	pr, err := buffers(op, dt, perRow)
	if err != nil {
		return nil, err
	}
	if err := need(op, lb[0], rows, "labels"); err != nil {
		return nil, err
	}
	if err := need(op, pr[0], rows, "per-row loss"); err != nil {
		return nil, err
	}
	for r, l := range slice[int32](lb[0])[:rows] {
		if l < 0 || int(l) >= cols {
			return nil, fmt.Errorf("%w: %w", opError(op, "label %d at position %d is outside [0, %d)", l, r, cols), device.ErrIndex)
		}
	}
	return []*Buffer{lb[0], pr[0]}, nil
}

func crossEntropy[T float](loss, logits []T, labels []int32, rows, cols int, s float64) {
	parallelFor(rows, 16*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := logits[r*cols : (r+1)*cols]
			mx, se := maxSumExp(x)
			lse := math.Log(se)
			l := -(1 - s) * (float64(x[labels[r]]) - mx - lse)
			if s != 0 {
				sum := 0.0
				for _, v := range x {
					sum += float64(v) - mx - lse
				}
				l -= s / float64(cols) * sum
			}
			loss[r] = T(l)
		}
	})
}

// CrossEntropyBackward writes dlogits[r,c] = dloss[r]*(softmax(x)[r,c] -
// t[r,c]) with t as in CrossEntropy and softmax as in Softmax, in float64
// (float32: softmax_f32.go).
func (be *Backend) CrossEntropyBackward(dlogits, logits, labels, dloss device.Buffer, rows, cols int, smoothing float64) error {
	if dt, ok := halfOf(dlogits, logits, labels, dloss); ok {
		return be.plainHalf("CrossEntropyBackward", dt, []device.Buffer{dlogits}, []device.Buffer{logits, labels, dloss}, func(bs []device.Buffer) error {
			return be.CrossEntropyBackward(bs[0], bs[1], bs[2], bs[3], rows, cols, smoothing)
		})
	}
	const name = "CrossEntropyBackward"
	bs, err := rowBuffers(name, rows, cols, dlogits, logits)
	if err != nil {
		return err
	}
	ls, err := losses(name, rows, cols, bs[0].dt, labels, dloss)
	if err != nil {
		return err
	}
	if bs[0].dt == device.Float32 {
		crossEntropyBackward32(slice[float32](bs[0]), slice[float32](bs[1]), slice[int32](ls[0]), slice[float32](ls[1]), rows, cols, smoothing)
	} else {
		crossEntropyBackward(slice[float64](bs[0]), slice[float64](bs[1]), slice[int32](ls[0]), slice[float64](ls[1]), rows, cols, smoothing)
	}
	return nil
}

func crossEntropyBackward[T float](dlogits, logits []T, labels []int32, dloss []T, rows, cols int, s float64) {
	parallelFor(rows, 16*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x, dx := logits[r*cols:(r+1)*cols], dlogits[r*cols:(r+1)*cols]
			mx, se := maxSumExp(x)
			g, lab, u := float64(dloss[r]), int(labels[r]), s/float64(cols)
			for c, v := range x {
				t := u
				if c == lab {
					t += 1 - s
				}
				dx[c] = T(g * (math.Exp(float64(v)-mx)/se - t))
			}
		}
	})
}
