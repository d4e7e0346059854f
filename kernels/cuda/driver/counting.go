package driver

import (
	"fmt"
	"sync/atomic"
)

// Counts is what a Counting driver has seen since it was made or last
// Reset: each call by kind, and the bytes of each copy direction and of
// allocations. A blocking call is one that makes the host wait for the
// device: Sync and every device-to-host copy.
type Counts struct {
	Launches  int64
	Syncs     int64
	HtoD      int64
	HtoDBytes int64
	DtoH      int64
	DtoHBytes int64
	DtoD      int64
	DtoDBytes int64
	Memsets   int64
	Allocs    int64
	// AllocBytes sums the sizes passed to Alloc.
	AllocBytes int64
	Frees      int64
	Loads      int64
}

// Blocking is the number of calls that made the host wait for the device.
func (c Counts) Blocking() int64 { return c.Syncs + c.DtoH }

// Sub returns c minus d, field by field: the counts between two snapshots.
func (c Counts) Sub(d Counts) Counts {
	return Counts{
		Launches: c.Launches - d.Launches, Syncs: c.Syncs - d.Syncs,
		HtoD: c.HtoD - d.HtoD, HtoDBytes: c.HtoDBytes - d.HtoDBytes,
		DtoH: c.DtoH - d.DtoH, DtoHBytes: c.DtoHBytes - d.DtoHBytes,
		DtoD: c.DtoD - d.DtoD, DtoDBytes: c.DtoDBytes - d.DtoDBytes,
		Memsets: c.Memsets - d.Memsets, Allocs: c.Allocs - d.Allocs,
		AllocBytes: c.AllocBytes - d.AllocBytes, Frees: c.Frees - d.Frees,
		Loads: c.Loads - d.Loads,
	}
}

// String is a one-line summary, e.g. for a test failure or a log.
func (c Counts) String() string {
	return fmt.Sprintf("%d launches, %d syncs, %d DtoH (%d B), %d HtoD (%d B), %d DtoD (%d B), %d memsets, %d allocs (%d B), %d frees, %d loads",
		c.Launches, c.Syncs, c.DtoH, c.DtoHBytes, c.HtoD, c.HtoDBytes, c.DtoD, c.DtoDBytes,
		c.Memsets, c.Allocs, c.AllocBytes, c.Frees, c.Loads)
}

// Counting is a Driver decorator that counts the calls it forwards to the
// Driver it wraps. Counting is safe for concurrent use (its counters are
// atomic) and costs a few nanoseconds a call, so the CUDA backend keeps one
// around every driver: tests prove "no blocking copies in a training step"
// with it, and `tapegrad bench` reports launches per step from it.
type Counting struct {
	inner Driver
	c     struct {
		launches, syncs, htod, htodBytes, dtoh, dtohBytes, dtod, dtodBytes atomic.Int64
		memsets, allocs, allocBytes, frees, loads                          atomic.Int64
	}
}

var (
	_ Driver         = (*Counting)(nil)
	_ PackedLauncher = (*Counting)(nil)
)

// NewCounting wraps d.
func NewCounting(d Driver) *Counting { return &Counting{inner: d} }

// Inner returns the wrapped driver.
func (k *Counting) Inner() Driver { return k.inner }

// Counts returns a snapshot of the counters.
func (k *Counting) Counts() Counts {
	c := &k.c
	return Counts{
		Launches: c.launches.Load(), Syncs: c.syncs.Load(),
		HtoD: c.htod.Load(), HtoDBytes: c.htodBytes.Load(),
		DtoH: c.dtoh.Load(), DtoHBytes: c.dtohBytes.Load(),
		DtoD: c.dtod.Load(), DtoDBytes: c.dtodBytes.Load(),
		Memsets: c.memsets.Load(), Allocs: c.allocs.Load(), AllocBytes: c.allocBytes.Load(),
		Frees: c.frees.Load(), Loads: c.loads.Load(),
	}
}

// Props forwards to the wrapped driver.
func (k *Counting) Props() Props { return k.inner.Props() }

// Alloc counts and forwards.
func (k *Counting) Alloc(bytes int) (DevPtr, error) {
	k.c.allocs.Add(1)
	k.c.allocBytes.Add(int64(bytes))
	return k.inner.Alloc(bytes)
}

// Free counts and forwards.
func (k *Counting) Free(p DevPtr) error {
	k.c.frees.Add(1)
	return k.inner.Free(p)
}

// CopyHtoD counts and forwards.
func (k *Counting) CopyHtoD(dst DevPtr, src []byte) error {
	k.c.htod.Add(1)
	k.c.htodBytes.Add(int64(len(src)))
	return k.inner.CopyHtoD(dst, src)
}

// CopyDtoH counts and forwards.
func (k *Counting) CopyDtoH(dst []byte, src DevPtr) error {
	k.c.dtoh.Add(1)
	k.c.dtohBytes.Add(int64(len(dst)))
	return k.inner.CopyDtoH(dst, src)
}

// CopyDtoD counts and forwards.
func (k *Counting) CopyDtoD(dst, src DevPtr, bytes int) error {
	k.c.dtod.Add(1)
	k.c.dtodBytes.Add(int64(bytes))
	return k.inner.CopyDtoD(dst, src, bytes)
}

// Memset counts and forwards.
func (k *Counting) Memset(dst DevPtr, value byte, bytes int) error {
	k.c.memsets.Add(1)
	return k.inner.Memset(dst, value, bytes)
}

// Load counts and forwards.
func (k *Counting) Load(name, ptx string) (Module, error) {
	k.c.loads.Add(1)
	return k.inner.Load(name, ptx)
}

// Launch counts and forwards.
func (k *Counting) Launch(f Function, grid, block Dim3, sharedBytes int, args ...any) error {
	k.c.launches.Add(1)
	return k.inner.Launch(f, grid, block, sharedBytes, args...)
}

// LaunchPacked counts and forwards, as a packed launch when the wrapped
// driver takes one.
func (k *Counting) LaunchPacked(f Function, grid, block Dim3, sharedBytes int, a *Args) error {
	k.c.launches.Add(1)
	return LaunchArgs(k.inner, f, grid, block, sharedBytes, a)
}

// Sync counts and forwards.
func (k *Counting) Sync() error {
	k.c.syncs.Add(1)
	return k.inner.Sync()
}
