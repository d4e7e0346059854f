package cudasim

import (
	"testing"
	"time"
)

// spinLock is a per-thread critical section guarded by a global spin
// lock, taken by every lane of every warp: [%rd1] is the lock, [%rd1+4] a
// counter each thread increments non-atomically inside the section.
const spinLock = `
$L_try:
	atom.global.cas.b32 %r3, [%rd1], 0, 1;
	setp.ne.u32 %p1, %r3, 0;
	@%p1 bra $L_try;
	ld.volatile.global.u32 %r4, [%rd1+4];
	add.u32 %r4, %r4, 1;
	st.volatile.global.u32 [%rd1+4], %r4;
	membar.gl;
	atom.global.exch.b32 %r5, [%rd1], 0;`

// TestIntraWarpSpinLock: with independent thread scheduling (Volta and
// later) the lane holding the lock progresses while its warp's other
// lanes spin, so every thread enters the section once. Running the
// spinning lanes (lowest PC) first livelocked.
func TestIntraWarpSpinLock(t *testing.T) {
	s := New(WithTimeLimit(2 * time.Second))
	p := upload(t, s, []uint32{0, 0})
	if err := runInline(t, s, spinLock, 64, p); err != nil {
		t.Fatal(err)
	}
	if got := download[uint32](t, s, p, 2); got[0] != 0 || got[1] != 64 {
		t.Errorf("lock %d, counter %d after 64 threads, want 0 and 64", got[0], got[1])
	}
}
