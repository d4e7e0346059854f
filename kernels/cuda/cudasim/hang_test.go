package cudasim

import (
	"strings"
	"testing"
	"time"
)

// TestHangNamesSpinningThread: thread 40 spins on a flag nobody sets while
// every other thread waits at the barrier after the loop. The launch must
// stop within the time limit and name thread 40 inside the loop, not a
// thread at the barrier.
func TestHangNamesSpinningThread(t *testing.T) {
	s := New(WithTimeLimit(200 * time.Millisecond))
	flag := upload(t, s, []uint32{0})
	err := runInline(t, s, `
	setp.ne.u32 %p1, %r1, 40;
	@%p1 bra $L_wait;
$L_spin:
	ld.volatile.global.u32 %r3, [%rd1];
	setp.eq.u32 %p2, %r3, 0;
	@%p2 bra $L_spin;
$L_wait:
	bar.sync 0;`, 64, flag)
	f := expectFault(t, err, StepLimit, "k", "inline.ptx:")
	if f.Thread.X != 40 {
		t.Errorf("fault names thread %v, want the spinning thread 40", f.Thread)
	}
	if !strings.Contains(f.Inst, "ld.volatile") && !strings.Contains(f.Inst, "setp.eq") && !strings.Contains(f.Inst, "bra $L_spin") {
		t.Errorf("fault at %q, want an instruction of the spin loop", f.Inst)
	}
	if !strings.Contains(f.Detail, "still running after") {
		t.Errorf("detail %q does not say the time limit stopped the block", f.Detail)
	}
}

func TestTimeLimitFromEnv(t *testing.T) {
	t.Setenv(TimeLimitEnv, "150ms")
	s := New()
	if s.timeLimit != 150*time.Millisecond {
		t.Fatalf("%s=150ms gives a time limit of %v", TimeLimitEnv, s.timeLimit)
	}
	t.Setenv(TimeLimitEnv, "soon")
	err := runInline(t, New(), "", 32, 0)
	if err == nil || !strings.Contains(err.Error(), TimeLimitEnv) {
		t.Fatalf("a bad %s gave %v, want an error naming it", TimeLimitEnv, err)
	}
}
