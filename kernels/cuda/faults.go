package cuda

import (
	"errors"
	"fmt"
	"os"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// syncEnv names the environment variable that makes the backend wait for
// every kernel it launches (like CUDA_LAUNCH_BLOCKING), so that a fault is
// reported by the launch of the kernel that caused it.
const syncEnv = "TAPEGRAD_CUDA_SYNC"

// tracker is a driver decorator that remembers the last kernel launched,
// names it in every error that reports a device fault (which the GPU
// raises at whatever call comes after the faulty kernel), and optionally
// synchronises after each launch. The backend serialises calls.
type tracker struct {
	driver.Driver
	syncEach  bool
	last      string
	grid, blk driver.Dim3
}

var _ driver.PackedLauncher = (*tracker)(nil)

func newTracker(d driver.Driver) *tracker {
	return &tracker{Driver: d, syncEach: os.Getenv(syncEnv) == "1"}
}

// annotate adds the last kernel's name to a device fault.
func (t *tracker) annotate(err error) error {
	if err == nil || !errors.Is(err, driver.ErrDeviceFault) {
		return err
	}
	if t.last == "" {
		return err
	}
	hint := fmt.Sprintf("; set %s=1 to stop at the kernel that faulted", syncEnv)
	if t.syncEach {
		hint = ""
	}
	return fmt.Errorf("%w (last kernel launched: %s grid %v block %v%s)", err, t.last, t.grid, t.blk, hint)
}

// Launch records f as the last kernel and, with syncEach, waits for it.
func (t *tracker) Launch(f driver.Function, grid, block driver.Dim3, sharedBytes int, args ...any) error {
	t.last, t.grid, t.blk = f.Name(), grid, block
	return t.launched(f, t.Driver.Launch(f, grid, block, sharedBytes, args...))
}

// LaunchPacked is Launch with packed arguments, forwarded packed when the
// wrapped driver takes them.
func (t *tracker) LaunchPacked(f driver.Function, grid, block driver.Dim3, sharedBytes int, a *driver.Args) error {
	t.last, t.grid, t.blk = f.Name(), grid, block
	return t.launched(f, driver.LaunchArgs(t.Driver, f, grid, block, sharedBytes, a))
}

// launched annotates the error of f's launch and, with syncEach, waits
// for f.
func (t *tracker) launched(f driver.Function, err error) error {
	if err != nil {
		return t.annotate(err)
	}
	if t.syncEach {
		if err := t.Driver.Sync(); err != nil {
			return t.annotate(fmt.Errorf("%s=1: sync after %s: %w", syncEnv, f.Name(), err))
		}
	}
	return nil
}

// Alloc annotates a fault.
func (t *tracker) Alloc(bytes int) (driver.DevPtr, error) {
	p, err := t.Driver.Alloc(bytes)
	return p, t.annotate(err)
}

// Free annotates a fault.
func (t *tracker) Free(p driver.DevPtr) error { return t.annotate(t.Driver.Free(p)) }

// CopyHtoD annotates a fault.
func (t *tracker) CopyHtoD(dst driver.DevPtr, src []byte) error {
	return t.annotate(t.Driver.CopyHtoD(dst, src))
}

// CopyDtoH annotates a fault.
func (t *tracker) CopyDtoH(dst []byte, src driver.DevPtr) error {
	return t.annotate(t.Driver.CopyDtoH(dst, src))
}

// CopyDtoD annotates a fault.
func (t *tracker) CopyDtoD(dst, src driver.DevPtr, bytes int) error {
	return t.annotate(t.Driver.CopyDtoD(dst, src, bytes))
}

// Memset annotates a fault.
func (t *tracker) Memset(dst driver.DevPtr, value byte, bytes int) error {
	return t.annotate(t.Driver.Memset(dst, value, bytes))
}

// Sync annotates a fault.
func (t *tracker) Sync() error { return t.annotate(t.Driver.Sync()) }
