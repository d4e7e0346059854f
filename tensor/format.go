package tensor

import (
	"strconv"
	"strings"

	"github.com/tapegrad/tapegrad/device"
)

// printEdge is how many leading and trailing entries of an axis String
// shows when a tensor has more than printThreshold elements, as NumPy.
const (
	printThreshold = 1000
	printEdge      = 3
)

// String formats t like NumPy's repr (a half-precision element with the
// fewest digits that read back as the same value), e.g.
//
//	tensor([[1, 2.5],
//	        [3, 4]], dtype=float32, device=cpu)
//
// Large tensors are summarised with "...". A nil *Tensor prints as
// "<nil>", as fmt prints other nil pointers.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	vals := t.Float64s()
	strs := make([]string, len(vals))
	width := 0
	for i, v := range vals {
		switch {
		case t.dtype == device.Int32:
			strs[i] = strconv.Itoa(int(v))
		case t.dtype.IsHalf():
			strs[i] = formatHalf(v, t.dtype)
		default:
			strs[i] = strconv.FormatFloat(v, 'g', 6, 64)
		}
		width = max(width, len(strs[i]))
	}
	var b strings.Builder
	b.WriteString("tensor(")
	summarise := len(vals) > printThreshold
	writeAxis(&b, t.shape, device.RowMajorStrides(t.shape), 0, 0, strs, width, summarise, len("tensor("))
	b.WriteString(", dtype=" + t.dtype.String() + ", device=" + t.Device().String() + ")")
	return b.String()
}

func writeAxis(b *strings.Builder, shape, strides []int, axis, off int, strs []string, width int, summarise bool, indent int) {
	if axis == len(shape) {
		s := strs[off]
		b.WriteString(strings.Repeat(" ", width-len(s)))
		b.WriteString(s)
		return
	}
	b.WriteString("[")
	n := shape[axis]
	sep := ", "
	if axis < len(shape)-1 {
		sep = "," + strings.Repeat("\n", len(shape)-1-axis) + strings.Repeat(" ", indent+axis+1)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		if summarise && n > 2*printEdge && i == printEdge {
			b.WriteString("...")
			b.WriteString(sep)
			i = n - printEdge
		}
		writeAxis(b, shape, strides, axis+1, off+i*strides[axis], strs, width, summarise, indent)
	}
	b.WriteString("]")
}

// formatHalf formats v, a value of the half type dt, with the fewest
// significant digits (at most 6) that round back to v in dt: 0.1 in
// bfloat16 prints as 0.1, not as its exact value 0.10009765625.
func formatHalf(v float64, dt device.DType) string {
	for prec := 1; prec < 6; prec++ {
		f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', prec, 64), 64)
		r := float64(device.F16FromFloat32(float32(f)).Float32())
		if dt == device.BFloat16 {
			r = float64(device.BF16FromFloat32(float32(f)).Float32())
		}
		if r == v {
			return strconv.FormatFloat(f, 'g', -1, 64) // 1000, not 1e+03
		}
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
