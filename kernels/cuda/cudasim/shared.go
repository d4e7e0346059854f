package cudasim

import (
	"fmt"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// shadowWord is what the block remembers about one 4-byte word of shared
// memory: which bytes were written in this launch, and the last write and
// last read in the current barrier interval, for race detection.
type shadowWord struct {
	init   uint8 // bit i: byte i of the word has been written
	rMulti bool  // read by lanes of more than one warp in interval rEp
	wTid   uint16
	rTid   uint16 // thread index + 1 of the last reader, 0 for none
	pend   uint16 // thread index + 1 of a cp.async in flight into the word, 0 for none
	wEp    uint32 // barrier interval of the last write (0: none)
	rEp    uint32
	wSync  uint32 // writer warp's synchronisation count at the write
	rSync  uint32
	wStamp uint32 // warp instruction of the write
	rStamp uint32
	wLine  int32
	rLine  int32
	oTid   uint16 // with rMulti: a reader from a warp other than rTid's
	oLine  int32
}

// sharedAccess checks an n-byte access by lane l at shared offset off and
// returns the bytes. Reads must find every byte written earlier in the
// launch; with race checking on, the access is also compared with the
// last read and write of each word in the current barrier interval.
// Accesses by lanes of one warp instruction never race with each other.
func (w *warp) sharedAccess(in *inst, l int, off uint64, n int, write, atomic bool) ([]byte, *Fault) {
	b := w.b
	if off >= uint64(len(b.shared)) || uint64(n) > uint64(len(b.shared))-off {
		return nil, w.faultAt(in, l, OutOfBounds, off, fmt.Sprintf(
			"%d-byte shared access at offset %d, but the block has %d bytes of shared memory", n, off, len(b.shared)))
	}
	// Accesses are aligned (checked by the caller), so an access of 4 or
	// more bytes covers whole words and a smaller one lies in one word.
	need := uint8(0xf)
	if n < 4 {
		need = uint8((1<<n - 1) << (off & 3))
	}
	tid := uint16(w.id*32 + l + 1)
	end := (off + uint64(n) - 1) >> 2
	b.dirty = max(b.dirty, int(end)+1)
	for wi := off >> 2; wi <= end; wi++ {
		sw := &b.shadow[wi]
		if sw.pend != 0 {
			return nil, w.pendingRace(in, l, off, sw.pend, write)
		}
		if (!write || atomic) && sw.init&need != need {
			f := w.faultAt(in, l, UninitRead, off, "read of shared memory that no thread of the block has written")
			if atomic || !b.l.raceCheck {
				return nil, f
			}
			// Another warp may still write the word in this barrier
			// interval, which makes this read a race rather than an
			// uninitialised read; the verdict waits for the barrier.
			if b.pending == nil {
				b.pending = f
			}
		}
		if write {
			sw.init |= need
		}
		if atomic || !b.l.raceCheck {
			continue
		}
		if sw.wEp == b.epoch && w.unordered(sw.wTid, sw.wSync, sw.wStamp, tid) {
			return nil, w.race(in, l, off, "write", sw.wTid, sw.wLine, write)
		}
		if write {
			if f := w.writeAfterRead(in, l, off, sw, tid); f != nil {
				return nil, f
			}
			sw.wTid, sw.wEp, sw.wSync, sw.wStamp, sw.wLine = tid, b.epoch, w.syncEp, b.stamp, in.line
			continue
		}
		switch {
		case sw.rEp != b.epoch:
			sw.rMulti = false
		case sw.rStamp == b.stamp:
			continue // another lane of this instruction already recorded the read
		case int(sw.rTid-1)/32 != w.id:
			// Keep the first warp's reader; remember this one as the other.
			sw.rMulti, sw.oTid, sw.oLine = true, tid, in.line
			continue
		}
		sw.rTid, sw.rEp, sw.rSync, sw.rStamp, sw.rLine = tid, b.epoch, w.syncEp, b.stamp, in.line
	}
	return b.shared[off : off+uint64(n)], nil
}

// writeAfterRead checks a write against the reads of the word in the
// current barrier interval.
func (w *warp) writeAfterRead(in *inst, l int, off uint64, sw *shadowWord, tid uint16) *Fault {
	if sw.rEp != w.b.epoch {
		return nil
	}
	if sw.rMulti {
		// Readers of two warps: at least one is not this warp.
		other, line := sw.rTid, sw.rLine
		if int(other-1)/32 == w.id {
			other, line = sw.oTid, sw.oLine
		}
		return w.race(in, l, off, "read", other, line, true)
	}
	if w.unordered(sw.rTid, sw.rSync, sw.rStamp, tid) {
		return w.race(in, l, off, "read", sw.rTid, sw.rLine, true)
	}
	return nil
}

// unordered reports whether an earlier access by thread other (recorded
// with its warp's sync count and instruction stamp) may run concurrently
// with the current access by thread tid of this warp.
func (w *warp) unordered(other uint16, sync, stamp uint32, tid uint16) bool {
	switch {
	case other == tid || stamp == w.b.stamp:
		return false
	case int(other-1)/32 == w.id:
		return sync == w.syncEp // same warp: ordered only by a warp sync in between
	}
	return true
}

// race builds the Race fault for the current access against an earlier one.
func (w *warp) race(in *inst, l int, off uint64, what string, other uint16, line int32, write bool) *Fault {
	cur := "read"
	if write {
		cur = "write"
	}
	return w.faultAt(in, l, Race, off, fmt.Sprintf(
		"%s of shared offset %d races with a %s by thread %v at line %d; no barrier orders them",
		cur, off, what, w.b.threadDim(int(other)-1), line))
}

// threadDim converts a linear thread index of the block to its %tid.
func (b *block) threadDim(t int) driver.Dim3 {
	bx, by := b.l.block[0], b.l.block[1]
	return driver.Dim3{X: t % bx, Y: t / bx % by, Z: t / (bx * by)}
}
