package cuda

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// faultyDriver reports a sticky device fault from every call after the
// first launch, as a GPU does after a kernel reads an illegal address.
type faultyDriver struct {
	driver.Driver
	faulted bool
}

var errIllegal = fmt.Errorf("%w: CUDA_ERROR_ILLEGAL_ADDRESS (700)", driver.ErrDeviceFault)

func (f *faultyDriver) Launch(fn driver.Function, grid, block driver.Dim3, shared int, args ...any) error {
	if f.faulted {
		return errIllegal
	}
	f.faulted = true
	return f.Driver.Launch(fn, grid, block, shared, args...)
}

func (f *faultyDriver) Sync() error {
	if f.faulted {
		return errIllegal
	}
	return f.Driver.Sync()
}

func (f *faultyDriver) Alloc(n int) (driver.DevPtr, error) {
	if f.faulted {
		return 0, errIllegal
	}
	return f.Driver.Alloc(n)
}

// TestFaultNamesLastKernel checks that a fault reported at a later call
// names the kernel launched before it, and that an allocation failing on
// a fault is not mistaken for out of memory (no cache flush, no GC).
func TestFaultNamesLastKernel(t *testing.T) {
	b := New(device.CUDASimDevice, &faultyDriver{Driver: cudasim.New()})
	collected := 0
	b.collect = func() { collected++ }
	x, err := b.Alloc(device.Float32, 300)
	require.NoError(t, err)
	require.NoError(t, b.Fill(x, device.Contiguous([]int{300}), 1.5))

	err = b.Sync()
	require.ErrorIs(t, err, driver.ErrDeviceFault)
	require.Contains(t, err.Error(), "last kernel launched: fill_vec_f32")
	require.Contains(t, err.Error(), syncEnv+"=1")

	_, err = b.Alloc(device.Float32, 1<<20)
	require.ErrorIs(t, err, driver.ErrDeviceFault)
	require.False(t, errors.Is(err, ErrOutOfMemory), "a fault reported as out of memory: %v", err)
	require.Zero(t, collected, "a fault triggered the out-of-memory GC retry")
	require.Contains(t, err.Error(), "fill_vec_f32")
}

// TestSyncEachLaunch checks that with TAPEGRAD_CUDA_SYNC=1 the launch of
// the faulting kernel itself fails, naming it.
func TestSyncEachLaunch(t *testing.T) {
	t.Setenv(syncEnv, "1")
	c := driver.NewCounting(cudasim.New())
	b := New(device.CUDASimDevice, &faultyDriver{Driver: c})
	x, err := b.Alloc(device.Float32, 64)
	require.NoError(t, err)
	err = b.Fill(x, device.Contiguous([]int{64}), 2)
	require.ErrorIs(t, err, driver.ErrDeviceFault)
	require.Contains(t, err.Error(), "sync after fill_vec_f32")
	require.NotContains(t, err.Error(), "set "+syncEnv)
}

// TestOutOfMemoryStillRetries checks the other side: a genuine out of
// memory still empties the cache, collects and retries.
func TestOutOfMemoryStillRetries(t *testing.T) {
	b := New(device.CUDASimDevice, cudasim.New(cudasim.WithTotalMem(1<<20)))
	collected := 0
	b.collect = func() { collected++ }
	_, err := b.Alloc(device.Float32, 1<<20)
	require.ErrorIs(t, err, ErrOutOfMemory)
	require.ErrorIs(t, err, driver.ErrOutOfMemory)
	require.Equal(t, 1, collected)
}

// faultyPacked is faultyDriver taking packed launches, as the GPU driver
// does: the tracker and Counting must forward them packed and track them
// as they do Launch.
type faultyPacked struct {
	faultyDriver
	packed int
}

func (f *faultyPacked) LaunchPacked(fn driver.Function, grid, block driver.Dim3, shared int, a *driver.Args) error {
	f.packed++
	if f.faulted {
		return errIllegal
	}
	f.faulted = true
	return driver.LaunchArgs(f.Driver, fn, grid, block, shared, a)
}

// TestFaultNamesLastKernelPacked is TestFaultNamesLastKernel and
// TestSyncEachLaunch over a driver that takes packed launches.
func TestFaultNamesLastKernelPacked(t *testing.T) {
	for _, each := range []bool{false, true} {
		if each {
			t.Setenv(syncEnv, "1")
		}
		f := &faultyPacked{faultyDriver: faultyDriver{Driver: &driver.Null{}}}
		b := New(device.Device{Kind: device.CUDA}, f)
		x, err := b.Alloc(device.Float32, 300)
		require.NoError(t, err)
		err = b.Fill(x, device.Contiguous([]int{300}), 1.5)
		if each {
			require.ErrorIs(t, err, driver.ErrDeviceFault)
			require.Contains(t, err.Error(), "sync after fill_vec_f32")
		} else {
			require.NoError(t, err)
			err = b.Sync()
			require.ErrorIs(t, err, driver.ErrDeviceFault)
			require.Contains(t, err.Error(), "last kernel launched: fill_vec_f32 grid (1,0,0) block (256,0,0)")
		}
		require.Equal(t, 1, f.packed, "packed launches")
		require.Equal(t, int64(1), b.DriverCounts().Launches)
	}
}
