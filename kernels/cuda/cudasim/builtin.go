package cudasim

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// maxString bounds strings read from device memory (format strings, %s
// arguments, assert messages).
const maxString = 4096

// builtin runs the device-runtime functions nvcc calls as .extern
// functions: vprintf (printf) and __assertfail (assert).
func (w *warp) builtin(in *inst, m uint32) *Fault {
	frame := w.b.prog.scratch
	for x := m; x != 0; x &= x - 1 {
		l := bits.TrailingZeros32(x)
		base := w.scratch[l*frame:]
		arg := func(i int) uint64 {
			c := in.call.args[i]
			return getLE(base[c.from-scratchBase:], c.size, false)
		}
		switch in.call.builtin {
		case builtinPrintf:
			format, f := w.cstring(in, l, arg(0))
			if f != nil {
				return f
			}
			out, n, f := w.printf(in, l, format, arg(1))
			if f != nil {
				return f
			}
			w.b.l.print(out)
			if len(in.call.rets) > 0 {
				c := in.call.rets[0]
				putLE(base[c.to-scratchBase:], c.size, uint64(n))
			}
		case builtinAssert:
			msg, _ := w.cstring(in, l, arg(0))
			file, _ := w.cstring(in, l, arg(1))
			fn, _ := w.cstring(in, l, arg(3))
			return w.fault(in, l, Trap, fmt.Sprintf("device assertion `%s` failed at %s:%d in %s",
				msg, file, int32(arg(2)), fn))
		}
	}
	return nil
}

// cstring reads a NUL-terminated string at a generic address.
func (w *warp) cstring(in *inst, l int, addr uint64) (string, *Fault) {
	var b strings.Builder
	for i := uint64(0); i < maxString; i++ {
		buf, global, f := w.access(in, l, spNone, addr+i, 1, false, false)
		if f != nil {
			return "", f
		}
		c := byte(loadMem(buf, 1, global))
		if c == 0 {
			break
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// printf formats like the CUDA device printf: arguments are packed at
// args, each aligned to its size, floats promoted to double.
func (w *warp) printf(in *inst, l int, format string, args uint64) (string, int, *Fault) {
	var out strings.Builder
	n := 0
	next := func(size uint64) (uint64, *Fault) {
		args = (args + size - 1) &^ (size - 1)
		buf, global, f := w.access(in, l, spNone, args, int(size), false, false)
		if f != nil {
			return 0, f
		}
		args += size
		return loadMem(buf, int(size), global), nil
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			out.WriteByte(format[i])
			continue
		}
		start, j := i, i+1
		for j < len(format) && strings.IndexByte("-+ #0123456789.", format[j]) >= 0 {
			j++
		}
		flags := format[i+1 : j]
		long := false
		for j < len(format) && strings.IndexByte("hlLqjzt", format[j]) >= 0 {
			long = long || strings.IndexByte("lLqjzt", format[j]) >= 0
			j++
		}
		if j >= len(format) {
			out.WriteString(format[i:])
			break
		}
		verb := format[j]
		i = j
		size := uint64(4)
		if long {
			size = 8
		}
		var v any
		switch verb {
		case '%':
			out.WriteByte('%')
			continue
		case 'd', 'i':
			x, f := next(size)
			if f != nil {
				return "", n, f
			}
			v, verb = sext(x, uint(size*8)), 'd'
		case 'u', 'x', 'X', 'o', 'c':
			x, f := next(size)
			if f != nil {
				return "", n, f
			}
			if verb == 'u' {
				verb = 'd'
			}
			v = x
		case 'f', 'F', 'e', 'E', 'g', 'G', 'a', 'A':
			x, f := next(8)
			if f != nil {
				return "", n, f
			}
			v = math.Float64frombits(x)
			if verb == 'a' || verb == 'A' {
				verb = 'x' + verb - 'a'
			}
		case 'p':
			x, f := next(8)
			if f != nil {
				return "", n, f
			}
			v, verb, flags = x, 'x', "#"+flags
		case 's':
			x, f := next(8)
			if f != nil {
				return "", n, f
			}
			s, f := w.cstring(in, l, x)
			if f != nil {
				return "", n, f
			}
			v = s
		default:
			out.WriteString(format[start : j+1])
			continue
		}
		n++
		fmt.Fprintf(&out, "%"+flags+string(verb), v)
	}
	return out.String(), n, nil
}
