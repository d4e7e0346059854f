package cudasim

import (
	"fmt"
	"sort"
	"sync/atomic"
	"unsafe"
)

// Layout of the simulated 64-bit address space. Generic addresses inside a
// window map to the state space named by the window; everything else is
// global memory. The windows are far below the heap, so no device pointer
// is ever mistaken for one.
const (
	sharedWindow uint64 = 1 << 40 // generic view of the block's shared memory
	localWindow  uint64 = 2 << 40 // generic view of the thread's local frame
	paramWindow  uint64 = 3 << 40 // generic view of the parameter space
	windowSize   uint64 = 1 << 32

	// scratchBase is where per-thread call parameters start in the param
	// space; kernel parameters occupy [0, scratchBase).
	scratchBase uint64 = 1 << 20

	heapBase  uint64 = 0x7000_0000_0000 // first device allocation
	heapAlign uint64 = 256              // cudaMalloc's alignment guarantee
	guardGap  uint64 = 1 << 20          // unmapped bytes after each allocation
	freedKept        = 64               // freed ranges remembered for messages
)

// allocation is one device allocation or one piece of module data.
type allocation struct {
	base, size uint64
	data       []byte
	readOnly   bool   // .const data
	label      string // module symbol, "" for Alloc
	// def has bit i set when byte i has been written (by the host or a
	// kernel), as compute-sanitizer's initcheck tracks it; nil for
	// module data, which its initializer defines, and with the check off.
	def []uint32
}

// defMask returns the bits of def's word covering the n bytes at off,
// which must not cross a 32-byte boundary (true of aligned accesses).
func defMask(off uint64, n int) uint32 {
	if n >= 32 {
		return ^uint32(0)
	}
	return uint32(1<<n-1) << (off & 31)
}

// defined reports whether the n bytes at off (an aligned kernel access)
// have been written. Blocks update def concurrently, hence the atomics.
func (a *allocation) defined(off uint64, n int) bool {
	m := defMask(off, n)
	return a.def == nil || atomic.LoadUint32(&a.def[off>>5])&m == m
}

// define marks the n bytes at off (an aligned kernel access) as written.
func (a *allocation) define(off uint64, n int) {
	if a.def != nil {
		atomic.OrUint32(&a.def[off>>5], defMask(off, n))
	}
}

// defineRange marks the bytes [off, off+n) as written (by the host).
func (a *allocation) defineRange(off, n uint64) {
	if a.def == nil {
		return
	}
	for i := off; i < off+n; {
		if i&31 == 0 && off+n-i >= 32 {
			a.def[i>>5] = ^uint32(0)
			i += 32
			continue
		}
		a.def[i>>5] |= 1 << (i & 31)
		i++
	}
}

// undefineRange clears the written bits of n bytes at off.
func (a *allocation) undefineRange(off, n uint64) {
	if a.def == nil {
		return
	}
	for i := off; i < off+n; {
		if i&31 == 0 && off+n-i >= 32 {
			a.def[i>>5] = 0
			i += 32
			continue
		}
		a.def[i>>5] &^= 1 << (i & 31)
		i++
	}
}

// copyDefined gives dst's bytes [doff, doff+n) the definedness of src's
// bytes [soff, soff+n), as a device-to-device copy carries it.
func copyDefined(dst *allocation, doff uint64, src *allocation, soff, n uint64) {
	if dst.def == nil {
		return
	}
	if src.firstUndefined(soff, n) < 0 {
		dst.defineRange(doff, n)
		return
	}
	bits := make([]bool, n) // read first: the ranges may overlap
	for i := range bits {
		j := soff + uint64(i)
		bits[i] = src.def[j>>5]&(1<<(j&31)) != 0
	}
	for i, d := range bits {
		j := doff + uint64(i)
		if d {
			dst.def[j>>5] |= 1 << (j & 31)
		} else {
			dst.def[j>>5] &^= 1 << (j & 31)
		}
	}
}

// firstUndefined returns the offset of the first unwritten byte in
// [off, off+n), or -1.
func (a *allocation) firstUndefined(off, n uint64) int64 {
	if a.def == nil {
		return -1
	}
	for i := off; i < off+n; {
		if i&31 == 0 && off+n-i >= 32 && a.def[i>>5] == ^uint32(0) {
			i += 32
			continue
		}
		if atomic.LoadUint32(&a.def[i>>5])&(1<<(i&31)) == 0 {
			return int64(i)
		}
		i++
	}
	return -1
}

// memTable is the device heap. Bases only grow and are never reused, so a
// stale pointer never silently lands in a newer allocation.
type memTable struct {
	allocs []*allocation // sorted by base
	next   uint64
	live   int64 // bytes of Alloc'ed memory not yet freed
	freed  []*allocation
}

func newMemTable() *memTable { return &memTable{next: heapBase} }

// add maps size bytes of zeroed memory. The backing array is allocated as
// uint64s so that every 8-byte aligned device address is 8-byte aligned on
// the host too, which sync/atomic needs for the atom instructions.
func (t *memTable) add(size int, readOnly bool, label string) *allocation {
	words := make([]uint64, (size+7)/8)
	var data []byte
	if size > 0 {
		data = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), size)
	}
	base := (t.next + heapAlign - 1) &^ (heapAlign - 1)
	a := &allocation{base: base, size: uint64(size), data: data, readOnly: readOnly, label: label}
	// The gap after an allocation grows with its size, so that strided
	// overruns of big buffers also land in unmapped memory.
	t.next = base + uint64(size) + guardGap + uint64(size)
	t.allocs = append(t.allocs, a)
	return a
}

// find returns the allocation containing addr, or nil.
func (t *memTable) find(addr uint64) *allocation {
	i := sort.Search(len(t.allocs), func(i int) bool { return t.allocs[i].base > addr }) - 1
	if i >= 0 && addr-t.allocs[i].base < t.allocs[i].size {
		return t.allocs[i]
	}
	return nil
}

// remove unmaps the allocation starting exactly at base.
func (t *memTable) remove(base uint64) (*allocation, bool) {
	i := sort.Search(len(t.allocs), func(i int) bool { return t.allocs[i].base >= base })
	if i == len(t.allocs) || t.allocs[i].base != base || t.allocs[i].label != "" {
		return nil, false
	}
	a := t.allocs[i]
	t.allocs = append(t.allocs[:i], t.allocs[i+1:]...)
	if len(t.freed) == freedKept {
		t.freed = t.freed[1:]
	}
	t.freed = append(t.freed, a)
	return a, true
}

// describe explains where an address that failed a bounds check lies.
func (t *memTable) describe(addr uint64, n int) string {
	if a := t.find(addr); a != nil {
		return fmt.Sprintf("%d-byte access runs %d bytes past the end of %s", n,
			addr+uint64(n)-a.base-a.size, a.describe())
	}
	for _, a := range t.freed {
		if addr-a.base < a.size {
			return fmt.Sprintf("inside %s, which was freed", a.describe())
		}
	}
	i := sort.Search(len(t.allocs), func(i int) bool { return t.allocs[i].base > addr }) - 1
	if i >= 0 && addr-t.allocs[i].base < t.allocs[i].size+guardGap {
		a := t.allocs[i]
		return fmt.Sprintf("%d bytes past the end of %s", addr-a.base-a.size, a.describe())
	}
	if i+1 < len(t.allocs) && t.allocs[i+1].base-addr <= guardGap {
		a := t.allocs[i+1]
		return fmt.Sprintf("%d bytes before the start of %s", a.base-addr, a.describe())
	}
	return "not inside any allocation"
}

func (a *allocation) describe() string {
	if a.label != "" {
		return fmt.Sprintf("module variable %s (%d bytes at %#x)", a.label, a.size, a.base)
	}
	return fmt.Sprintf("the %d-byte allocation at %#x", a.size, a.base)
}
