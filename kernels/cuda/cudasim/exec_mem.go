package cudasim

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// access resolves an n-byte access of lane l to address addr in space sp
// and returns the bytes, after the alignment and bounds checks, and
// whether they are global memory (shared with other blocks' goroutines).
// Generic addresses are routed by window.
func (w *warp) access(in *inst, l int, sp space, addr uint64, n int, write, atom bool) ([]byte, bool, *Fault) {
	if addr&uint64(n-1) != 0 {
		return nil, false, w.faultAt(in, l, Misaligned, addr, fmt.Sprintf("%d-byte %s access must be %d-byte aligned", n, sp, n))
	}
	if sp == spNone {
		sp, addr = classify(addr)
	}
	switch sp {
	case spShared:
		b, f := w.sharedAccess(in, l, addr, n, write, atom)
		return b, false, f
	case spLocal:
		frame := uint64(w.b.prog.local)
		if addr >= frame || uint64(n) > frame-addr {
			return nil, false, w.faultAt(in, l, OutOfBounds, addr, fmt.Sprintf(
				"%d-byte local access at offset %d, but the thread's local frame has %d bytes", n, addr, frame))
		}
		base := uint64(l) * frame
		return w.local[base+addr : base+addr+uint64(n)], false, nil
	case spParam:
		b, f := w.paramAccess(in, l, addr, n, write)
		return b, false, f
	}
	a := w.cache
	if a == nil || addr-a.base >= a.size {
		a = w.b.l.mem.find(addr)
		if a == nil {
			return nil, false, w.faultAt(in, l, OutOfBounds, addr, w.b.l.mem.describe(addr, n))
		}
		w.cache = a
	}
	off := addr - a.base
	if uint64(n) > a.size-off {
		return nil, false, w.faultAt(in, l, OutOfBounds, addr, w.b.l.mem.describe(addr, n))
	}
	if write && a.readOnly {
		return nil, false, w.faultAt(in, l, OutOfBounds, addr, "write to "+a.describe()+", which is read-only")
	}
	if a.def != nil {
		if (!write || atom) && !a.defined(off, n) {
			return nil, false, w.faultAt(in, l, UninitRead, addr, fmt.Sprintf(
				"%d-byte read at offset %d of %s, whose byte %d nothing has written (Alloc leaves device memory uninitialised: write it with CopyHtoD, Memset or a kernel first)",
				n, off, a.describe(), a.firstUndefined(off, uint64(n))-int64(off)))
		}
		if write {
			a.define(off, n)
		}
	}
	return a.data[off : off+uint64(n)], true, nil
}

// wordOf returns the aligned 4-byte word of global memory holding b[0].
// Allocations are backed by uint64s, so the word is inside the allocation.
func wordOf(b []byte) (*uint32, uint) {
	p := unsafe.Pointer(&b[0])
	off := uintptr(p) & 3
	return (*uint32)(unsafe.Add(p, -int(off))), uint(off) * 8
}

// loadMem reads an n-byte little-endian value. Global memory is read with
// atomic loads (plain moves on amd64) because other blocks run on other
// goroutines and kernels legitimately read words that others update with
// atomics, as in the CUDA guide's atomicCAS loops.
func loadMem(b []byte, n int, global bool) uint64 {
	if !global {
		return getLE(b, n, false)
	}
	switch n {
	case 4:
		return uint64(atomic.LoadUint32((*uint32)(unsafe.Pointer(&b[0]))))
	case 8:
		return atomic.LoadUint64((*uint64)(unsafe.Pointer(&b[0])))
	}
	p, shift := wordOf(b)
	return uint64(atomic.LoadUint32(p)>>shift) & (1<<(8*n) - 1)
}

// storeMem writes an n-byte value; see loadMem. Sub-word global stores
// update their word with compare-and-swap so they cannot lose a
// neighbouring byte written by another block.
func storeMem(b []byte, n int, v uint64, global bool) {
	if !global {
		putLE(b, n, v)
		return
	}
	switch n {
	case 4:
		atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[0])), uint32(v))
		return
	case 8:
		atomic.StoreUint64((*uint64)(unsafe.Pointer(&b[0])), v)
		return
	}
	p, shift := wordOf(b)
	mask := uint32(1<<(8*n)-1) << shift
	for {
		o := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, o, o&^mask|uint32(v)<<shift&mask) {
			return
		}
	}
}

// extend sign-extends an n-byte loaded value for signed types, as ld does
// for a destination wider than the type.
func extend(v uint64, n int, signed bool) uint64 {
	if signed && n < 8 {
		return uint64(sext(v, uint(8*n)))
	}
	return v
}

// classify maps a generic address to its state space and the address
// within that space.
func classify(addr uint64) (space, uint64) {
	switch {
	case addr-sharedWindow < windowSize:
		return spShared, addr - sharedWindow
	case addr-localWindow < windowSize:
		return spLocal, addr - localWindow
	case addr-paramWindow < windowSize:
		return spParam, addr - paramWindow
	}
	return spGlobal, addr
}

// paramAccess serves the param space: kernel parameters (read-only, shared
// by all threads) below scratchBase, the thread's call arguments above.
func (w *warp) paramAccess(in *inst, l int, addr uint64, n int, write bool) ([]byte, *Fault) {
	if addr < scratchBase {
		buf := w.b.l.params
		if write {
			return nil, w.faultAt(in, l, OutOfBounds, addr, "kernel parameters are read-only")
		}
		if addr >= uint64(len(buf)) || uint64(n) > uint64(len(buf))-addr {
			return nil, w.faultAt(in, l, OutOfBounds, addr, fmt.Sprintf(
				"%d-byte parameter access at offset %d, but the kernel has %d bytes of parameters", n, addr, len(buf)))
		}
		return buf[addr : addr+uint64(n)], nil
	}
	frame := uint64(w.b.prog.scratch)
	off := addr - scratchBase
	if off >= frame || uint64(n) > frame-off {
		return nil, w.faultAt(in, l, OutOfBounds, addr, "call parameter access outside the call frame")
	}
	base := uint64(l) * frame
	return w.scratch[base+off : base+off+uint64(n)], nil
}

// checkDefined faults if slot s is undefined in any lane of m.
func (w *warp) checkDefined(in *inst, s int32, m uint32, what string) *Fault {
	if s >= 0 && w.ri[s]&m != m {
		return w.fault(in, bits.TrailingZeros32(m&^w.ri[s]), UninitRead,
			fmt.Sprintf("%s register %s holds an uninitialised value (never written, or computed from one that was not)",
				what, w.b.prog.names[s]))
	}
	return nil
}

// getLE reads an n-byte little-endian value, sign-extending signed types
// to 64 bits as ld does for a wider destination.
func getLE(b []byte, n int, signed bool) uint64 {
	switch n {
	case 1:
		if signed {
			return uint64(int64(int8(b[0])))
		}
		return uint64(b[0])
	case 2:
		v := binary.LittleEndian.Uint16(b)
		if signed {
			return uint64(int64(int16(v)))
		}
		return uint64(v)
	case 4:
		v := binary.LittleEndian.Uint32(b)
		if signed {
			return uint64(int64(int32(v)))
		}
		return uint64(v)
	}
	return binary.LittleEndian.Uint64(b)
}

func putLE(b []byte, n int, v uint64) {
	switch n {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

// execLd is ld/ldu/ld.nc: in.vec elements of in.typ from [s0+off].
func execLd(w *warp, in *inst, m uint32) *Fault {
	if f := w.checkDefined(in, in.s[0], m, "address"); f != nil {
		return f
	}
	n, vec := in.typ.size(), int(in.vec)
	signed := in.typ.signed()
	a := w.row(in.s[0])
	if in.sp == spShared {
		return w.ldShared(in, m)
	}
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		buf, global, f := w.access(in, l, in.sp, a[l]+uint64(in.off), n*vec, false, false)
		if f != nil {
			return f
		}
		for k := 0; k < vec; k++ {
			if d := in.d[k]; d >= 0 {
				w.r[int(d)*32+l] = extend(loadMem(buf[k*n:], n, global), n, signed)
			}
		}
	}
	for k := 0; k < vec; k++ {
		if d := in.d[k]; d >= 0 {
			w.ri[d] |= m
		}
	}
	return nil
}

// execLdKernelParam is ld.param of a kernel parameter by name: the same
// value for every lane, read once.
func execLdKernelParam(w *warp, in *inst, m uint32) *Fault {
	l := bits.TrailingZeros32(m)
	n := in.typ.size()
	buf, f := w.paramAccess(in, l, w.row(in.s[0])[l&31]+uint64(in.off), n, false)
	if f != nil {
		return f
	}
	if d := in.d[0]; d >= 0 {
		v, row := extend(getLE(buf, n, false), n, in.typ.signed()), w.row(d)
		for x := m; x != 0; x &= x - 1 {
			row[bits.TrailingZeros32(x)&31] = v
		}
		w.ri[d] |= m
	}
	return nil
}

// ldShared is execLd for the shared space, which needs no window routing
// and no atomics (one goroutine owns a block's shared memory). A lane
// whose word was read before by this same instruction, and not written in
// this barrier interval, needs no shadow update: that is the common case
// of broadcast reads, taken without a call.
func (w *warp) ldShared(in *inst, m uint32) *Fault {
	n, vec := in.typ.size(), int(in.vec)
	total := uint64(n * vec)
	signed := in.typ.signed()
	a := w.row(in.s[0])
	b := w.b
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm) & 31
		off := a[l] + uint64(in.off)
		if total == 4 && off&3 == 0 && off < uint64(len(b.shared)) {
			sw := &b.shadow[off>>2]
			if sw.init == 0xf && sw.wEp != b.epoch && sw.pend == 0 && (!b.l.raceCheck || sw.rEp == b.epoch && sw.rStamp == b.stamp) {
				if d := in.d[0]; d >= 0 {
					w.r[int(d)*32+l] = extend(uint64(binary.LittleEndian.Uint32(b.shared[off:])), 4, signed)
				}
				continue
			}
		}
		if off&(total-1) != 0 {
			_, _, f := w.access(in, l, spShared, off, int(total), false, false)
			return f
		}
		buf, f := w.sharedAccess(in, l, off, int(total), false, false)
		if f != nil {
			return f
		}
		for k := 0; k < vec; k++ {
			if d := in.d[k]; d >= 0 {
				w.r[int(d)*32+l] = getLE(buf[k*n:], n, signed)
			}
		}
	}
	for k := 0; k < vec; k++ {
		if d := in.d[k]; d >= 0 {
			w.ri[d] |= m
		}
	}
	return nil
}

// execSt is st: in.vec elements of in.typ to [s0+off] from s1...
func execSt(w *warp, in *inst, m uint32) *Fault {
	if f := w.checkDefined(in, in.s[0], m, "address"); f != nil {
		return f
	}
	n, vec := in.typ.size(), int(in.vec)
	if in.sp != spLocal && in.sp != spParam {
		for k := 0; k < vec; k++ {
			if f := w.checkDefined(in, in.s[1+k], m, "stored value"); f != nil {
				return f
			}
		}
	}
	a := w.row(in.s[0])
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		buf, global, f := w.access(in, l, in.sp, a[l]+uint64(in.off), n*vec, true, false)
		if f != nil {
			return f
		}
		for k := 0; k < vec; k++ {
			storeMem(buf[k*n:], n, w.r[int(in.s[1+k])*32+l], global)
		}
	}
	return nil
}

// execAtom is atom and red: d = old; [a] = f3(old, b, c). Global memory
// is updated with host atomics because blocks run in parallel; shared
// memory belongs to this goroutine alone.
func execAtom(w *warp, in *inst, m uint32) *Fault {
	for _, s := range in.s[:in.ns] {
		if f := w.checkDefined(in, s, m, "atomic operand"); f != nil {
			return f
		}
	}
	n := in.typ.size()
	a, bv, cv := w.row(in.s[0]), w.row(in.s[1]), w.row(in.s[2])
	for mm := m; mm != 0; mm &= mm - 1 {
		l := bits.TrailingZeros32(mm)
		buf, global, f := w.access(in, l, in.sp, a[l]+uint64(in.off), n, true, true)
		if f != nil {
			return f
		}
		var old uint64
		switch {
		case !global:
			old = getLE(buf, n, false)
			putLE(buf, n, in.f3(old, bv[l], cv[l]))
		case n == 4:
			p := (*uint32)(unsafe.Pointer(&buf[0]))
			for {
				o := atomic.LoadUint32(p)
				if atomic.CompareAndSwapUint32(p, o, uint32(in.f3(uint64(o), bv[l], cv[l]))) {
					old = uint64(o)
					break
				}
			}
		default:
			p := (*uint64)(unsafe.Pointer(&buf[0]))
			for {
				o := atomic.LoadUint64(p)
				if atomic.CompareAndSwapUint64(p, o, in.f3(o, bv[l], cv[l])) {
					old = o
					break
				}
			}
		}
		if in.d[0] >= 0 {
			w.r[int(in.d[0])*32+l] = old
		}
	}
	if in.d[0] >= 0 {
		w.ri[in.d[0]] |= m
	}
	return nil
}

// atomOp returns the new-value function of an atom/red operation.
func atomOp(op string, t ptype, global bool) func(old, b, c uint64) uint64 {
	mask := widthMask(t)
	switch op {
	case "add":
		switch t {
		case tF32:
			return func(o, b, _ uint64) uint64 {
				r := math.Float32frombits(uint32(o)) + math.Float32frombits(uint32(b))
				if global {
					r = ftz32(r) // CUDA: global f32 atomics flush subnormals
				}
				return uint64(canon32(r))
			}
		case tF64:
			return func(o, b, _ uint64) uint64 {
				return math.Float64bits(math.Float64frombits(o) + math.Float64frombits(b))
			}
		}
		return func(o, b, _ uint64) uint64 { return (o + b) & mask }
	case "min", "max":
		less := intLess(t)
		isMin := op == "min"
		return func(o, b, _ uint64) uint64 {
			if less(b, o) == isMin && b&mask != o&mask {
				return b & mask
			}
			return o & mask
		}
	case "inc":
		return func(o, b, _ uint64) uint64 {
			if o&mask >= b&mask {
				return 0
			}
			return (o + 1) & mask
		}
	case "dec":
		return func(o, b, _ uint64) uint64 {
			if o&mask == 0 || o&mask > b&mask {
				return b & mask
			}
			return (o - 1) & mask
		}
	case "and":
		return func(o, b, _ uint64) uint64 { return o & b & mask }
	case "or":
		return func(o, b, _ uint64) uint64 { return (o | b) & mask }
	case "xor":
		return func(o, b, _ uint64) uint64 { return (o ^ b) & mask }
	case "exch":
		return func(_, b, _ uint64) uint64 { return b & mask }
	case "cas":
		return func(o, b, c uint64) uint64 {
			if o&mask == b&mask {
				return c & mask
			}
			return o & mask
		}
	}
	return nil
}
