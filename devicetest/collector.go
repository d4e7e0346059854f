package devicetest

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/tapegrad/tapegrad/device"
)

// CollectorOff runs the Go collector until be's live count holds still,
// then turns the collector off for the rest of the test. On a
// garbage-collected backend (the CPU) buffers that earlier tests dropped
// leave the live count through cleanups that run after a collection on a
// goroutine of their own; one still pending when the collector is turned
// off would change the count in the middle of a test that asserts it
// exactly.
func CollectorOff(t testing.TB, be device.Backend) {
	t.Helper()
	last := int64(-1)
	for range 50 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		live := be.Memory().Live
		if live == last {
			break
		}
		last = live
	}
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}
