//go:build cuda

package cuda

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>
#include <stdlib.h>

// tg_load loads a module image (a fatbinary, cubin or PTX text), writing
// the JIT compiler's error log into log.
static CUresult tg_load(CUmodule* mod, const void* image, char* log, size_t log_size) {
	CUjit_option opts[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
	void* vals[2] = {log, (void*)log_size};
	return cuModuleLoadDataEx(mod, image, 2, opts, vals);
}

// tg_launch launches f on the default stream with argument i at
// blob + offs[i]; the driver copies each by its .param size.
static CUresult tg_launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, unsigned shared, char* blob, const size_t* offs, int nargs) {
	void* params[64];
	if (nargs > 64) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	for (int i = 0; i < nargs; i++) {
		params[i] = blob + offs[i];
	}
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shared, 0, params, NULL);
}

static const char* tg_error_name(CUresult r) {
	const char* s = NULL;
	cuGetErrorName(r, &s);
	return s ? s : "CUDA_ERROR_UNKNOWN";
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// Staging ring for host-to-device copies: see CopyHtoD.
const (
	stagingSlots = 4
	stagingBytes = 4 << 20
)

// stagingSlot is a pinned host buffer and the event recorded after the
// last copy queued from it.
type stagingSlot struct {
	host   unsafe.Pointer // stagingBytes of page-locked memory
	event  C.CUevent
	queued bool
}

// cuDriver is a driver.Driver on the CUDA driver API. A CUDA context is
// current per OS thread, so every call locks the calling goroutine to its
// thread and makes the device's primary context current there (a
// thread-local store in the driver, tens of nanoseconds) instead of hopping
// to a dedicated thread through channels, which cost microseconds and
// allocations per call. The backend serialises calls (driver.Driver's
// contract), so the argument blob is reused; the backend launches through
// LaunchPacked, handing over its own packed arguments.
//
// Modules and launches go through cgo directly: cu v0.9.6's
// Function.Launch copies eight bytes per argument, which cannot pass the
// kernels' by-value descriptor structs, and its module loader discards
// the JIT error log.
type cuDriver struct {
	ordinal int
	props   driver.Props
	ctx     C.CUcontext

	// staging is the ring CopyHtoD copies through (allocated on first
	// use); next is the slot the next copy takes.
	staging []stagingSlot
	next    int

	// args packs Launch's values; offs holds each argument's offset in
	// the blob of the Args being launched. Both are reused by every launch.
	args driver.Args
	offs [driver.MaxArgs]C.size_t
}

var (
	_ driver.Driver         = (*cuDriver)(nil)
	_ driver.PackedLauncher = (*cuDriver)(nil)
)

// openCU retains device ordinal's primary context (the one the CUDA
// runtime and other libraries share) and reads the device's properties.
func openCU(ordinal int) (*cuDriver, error) {
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuDeviceGet(%d): %w", ordinal, err)
	}
	d := &cuDriver{ordinal: ordinal}
	if err := check("cuDevicePrimaryCtxRetain", C.cuDevicePrimaryCtxRetain(&d.ctx, C.CUdevice(dev))); err != nil {
		return nil, fmt.Errorf("device %d: %w", ordinal, err)
	}
	if d.props, err = deviceProps(dev); err != nil {
		return nil, err
	}
	return d, nil
}

// enter pins the calling goroutine to its OS thread and makes the context
// current there; leave unpins it. Every driver call is bracketed by them.
func (d *cuDriver) enter() error {
	runtime.LockOSThread()
	if err := check("cuCtxSetCurrent", C.cuCtxSetCurrent(d.ctx)); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	return nil
}

func (d *cuDriver) leave() { runtime.UnlockOSThread() }

// deviceProps reads the properties the backend sizes launches from.
func deviceProps(dev cu.Device) (driver.Props, error) {
	name, err := dev.Name()
	if err != nil {
		return driver.Props{}, fmt.Errorf("cuDeviceGetName: %w", err)
	}
	mem, err := dev.TotalMem()
	if err != nil {
		return driver.Props{}, fmt.Errorf("cuDeviceTotalMem: %w", err)
	}
	a, err := dev.Attributes(cu.ComputeCapabilityMajor, cu.ComputeCapabilityMinor, cu.MultiprocessorCount,
		cu.MaxThreadsPerBlock, cu.MaxSharedMemoryPerBlock, cu.MaxGridDimX, cu.WarpSize)
	if err != nil {
		return driver.Props{}, fmt.Errorf("cuDeviceGetAttribute: %w", err)
	}
	return driver.Props{
		Name: name, TotalMem: mem, Major: a[0], Minor: a[1], SMs: a[2],
		MaxThreadsPerBlock: a[3], MaxSharedPerBlock: a[4], MaxGridX: a[5], WarpSize: a[6],
	}, nil
}

// check turns a CUresult into an error naming the call. Out of memory
// wraps driver.ErrOutOfMemory; the errors after which the context is
// unusable wrap driver.ErrDeviceFault.
func check(call string, r C.CUresult) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	err := fmt.Errorf("%s: %s (%d)", call, C.GoString(C.tg_error_name(r)), int(r))
	switch r {
	case C.CUDA_ERROR_OUT_OF_MEMORY:
		return fmt.Errorf("%w: %w", driver.ErrOutOfMemory, err)
	case C.CUDA_ERROR_ILLEGAL_ADDRESS, C.CUDA_ERROR_LAUNCH_TIMEOUT, C.CUDA_ERROR_HARDWARE_STACK_ERROR,
		C.CUDA_ERROR_ILLEGAL_INSTRUCTION, C.CUDA_ERROR_MISALIGNED_ADDRESS, C.CUDA_ERROR_INVALID_ADDRESS_SPACE,
		C.CUDA_ERROR_INVALID_PC, C.CUDA_ERROR_LAUNCH_FAILED, C.CUDA_ERROR_ECC_UNCORRECTABLE,
		C.CUDA_ERROR_ASSERT:
		return fmt.Errorf("%w: %w", driver.ErrDeviceFault, err)
	}
	return err
}

// call runs f with the context current and checks its result.
func (d *cuDriver) call(name string, f func() C.CUresult) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return check(name, f())
}

// Props returns the device's properties.
func (d *cuDriver) Props() driver.Props { return d.props }

// Alloc allocates device memory (cuMemAlloc).
func (d *cuDriver) Alloc(bytes int) (driver.DevPtr, error) {
	var p C.CUdeviceptr
	if err := d.call("cuMemAlloc", func() C.CUresult { return C.cuMemAlloc(&p, C.size_t(bytes)) }); err != nil {
		return 0, fmt.Errorf("%d bytes: %w", bytes, err)
	}
	return driver.DevPtr(p), nil
}

// Free releases device memory (cuMemFree).
func (d *cuDriver) Free(p driver.DevPtr) error {
	if err := d.call("cuMemFree", func() C.CUresult { return C.cuMemFree(C.CUdeviceptr(p)) }); err != nil {
		return fmt.Errorf("%#x: %w", uint64(p), err)
	}
	return nil
}

// CopyHtoD copies host bytes to the device, in stream order after the
// work queued before it, without making the host wait for that work.
//
// A copy from pageable memory (a Go slice) makes the CUDA driver
// synchronise the stream first, so every batch a training loop uploaded
// stalled the host until the GPU had finished the previous step, and the
// GPU then idled while the host queued the next one. Instead, copies of up
// to stagingSlots*stagingBytes go through a ring of pinned buffers: the
// bytes are copied into the next slot (waiting only if that slot's last
// copy, four uploads ago, has not finished) and queued with
// cuMemcpyHtoDAsync, so src is free to reuse when CopyHtoD returns. Larger
// copies use the synchronous pageable path.
func (d *cuDriver) CopyHtoD(dst driver.DevPtr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	if len(src) > stagingSlots*stagingBytes {
		err := d.call("cuMemcpyHtoD", func() C.CUresult {
			return C.cuMemcpyHtoD(C.CUdeviceptr(dst), unsafe.Pointer(unsafe.SliceData(src)), C.size_t(len(src)))
		})
		if err != nil {
			return fmt.Errorf("%d bytes: %w", len(src), err)
		}
		return nil
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	if err := d.initStaging(); err != nil {
		return err
	}
	for off := 0; off < len(src); {
		n := min(len(src)-off, stagingBytes)
		s := &d.staging[d.next]
		d.next = (d.next + 1) % len(d.staging)
		if s.queued {
			if err := check("cuEventSynchronize", C.cuEventSynchronize(s.event)); err != nil {
				return fmt.Errorf("staging slot: %w", err)
			}
		}
		copy(unsafe.Slice((*byte)(s.host), n), src[off:off+n])
		r := C.cuMemcpyHtoDAsync(C.CUdeviceptr(dst)+C.CUdeviceptr(off), s.host, C.size_t(n), nil)
		if err := check("cuMemcpyHtoDAsync", r); err != nil {
			return fmt.Errorf("%d bytes: %w", n, err)
		}
		if err := check("cuEventRecord", C.cuEventRecord(s.event, nil)); err != nil {
			return err
		}
		s.queued = true
		off += n
	}
	return nil
}

// initStaging allocates the pinned ring and its events on first use; the
// context is current.
func (d *cuDriver) initStaging() error {
	if d.staging != nil {
		return nil
	}
	ring := make([]stagingSlot, stagingSlots)
	for i := range ring {
		s := &ring[i]
		if err := check("cuMemHostAlloc", C.cuMemHostAlloc(&s.host, stagingBytes, 0)); err != nil {
			return fmt.Errorf("pinned staging buffer of %d bytes: %w", stagingBytes, err)
		}
		if err := check("cuEventCreate", C.cuEventCreate(&s.event, C.CU_EVENT_DISABLE_TIMING)); err != nil {
			return err
		}
	}
	d.staging = ring
	return nil
}

// CopyDtoH copies device bytes to the host once all queued work is done.
func (d *cuDriver) CopyDtoH(dst []byte, src driver.DevPtr) error {
	if len(dst) == 0 {
		return nil
	}
	err := d.call("cuMemcpyDtoH", func() C.CUresult {
		return C.cuMemcpyDtoH(unsafe.Pointer(unsafe.SliceData(dst)), C.CUdeviceptr(src), C.size_t(len(dst)))
	})
	if err != nil {
		return fmt.Errorf("%d bytes: %w", len(dst), err)
	}
	return nil
}

// CopyDtoD copies between device buffers (asynchronous to the host).
func (d *cuDriver) CopyDtoD(dst, src driver.DevPtr, bytes int) error {
	if bytes == 0 {
		return nil
	}
	err := d.call("cuMemcpyDtoDAsync", func() C.CUresult {
		return C.cuMemcpyDtoDAsync(C.CUdeviceptr(dst), C.CUdeviceptr(src), C.size_t(bytes), nil)
	})
	if err != nil {
		return fmt.Errorf("%d bytes: %w", bytes, err)
	}
	return nil
}

// Memset sets bytes of device memory to value (asynchronous to the host).
func (d *cuDriver) Memset(dst driver.DevPtr, value byte, bytes int) error {
	if bytes == 0 {
		return nil
	}
	err := d.call("cuMemsetD8Async", func() C.CUresult {
		return C.cuMemsetD8Async(C.CUdeviceptr(dst), C.uchar(value), C.size_t(bytes), nil)
	})
	if err != nil {
		return fmt.Errorf("%d bytes: %w", bytes, err)
	}
	return nil
}

// cuModule is a loaded module.
type cuModule struct {
	d    *cuDriver
	name string
	h    C.CUmodule
}

// cuFunction is a kernel of a cuModule.
type cuFunction struct {
	name string
	h    C.CUfunction
}

// Name returns the kernel's symbol.
func (f *cuFunction) Name() string { return f.name }

// Load loads a module image: PTX text, which the driver JIT-compiles (a
// failure carries the JIT log), or a fatbinary/cubin, which it loads
// without compiling when it holds code for this GPU.
func (d *cuDriver) Load(name, image string) (driver.Module, error) {
	m := &cuModule{d: d, name: name}
	src := C.CString(image) // NUL-terminated, as PTX text must be
	defer C.free(unsafe.Pointer(src))
	const logSize = 8192
	log := (*C.char)(C.calloc(logSize, 1))
	defer C.free(unsafe.Pointer(log))
	err := d.call("cuModuleLoadDataEx", func() C.CUresult { return C.tg_load(&m.h, unsafe.Pointer(src), log, logSize) })
	if err != nil {
		if s := C.GoString(log); s != "" {
			err = fmt.Errorf("%w: %s", err, s)
		}
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return m, nil
}

// Function looks up an entry point.
func (m *cuModule) Function(name string) (driver.Function, error) {
	f := &cuFunction{name: name}
	s := C.CString(name)
	defer C.free(unsafe.Pointer(s))
	if err := m.d.call("cuModuleGetFunction", func() C.CUresult { return C.cuModuleGetFunction(&f.h, m.h, s) }); err != nil {
		return nil, fmt.Errorf("%s in %s: %w", name, m.name, err)
	}
	return f, nil
}

// pack appends Launch's argument values to a.
func pack(a *driver.Args, args []any) error {
	a.Reset()
	for i, v := range args {
		switch v := v.(type) {
		case driver.DevPtr:
			a.Ptr(v)
		case int32:
			a.Int32(v)
		case uint32:
			a.Uint32(v)
		case float32:
			a.Float32(v)
		case int64:
			a.Int64(v)
		case uint64:
			a.Uint64(v)
		case float64:
			a.Float64(v)
		case []byte:
			copy(a.Bytes(len(v)), v)
		default:
			return fmt.Errorf("argument %d of type %T", i, v)
		}
	}
	return a.Err()
}

// Launch queues f on the default stream, its arguments packed into the
// reused Args.
func (d *cuDriver) Launch(f driver.Function, grid, block driver.Dim3, sharedBytes int, args ...any) error {
	if err := pack(&d.args, args); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return d.LaunchPacked(f, grid, block, sharedBytes, &d.args)
}

// LaunchPacked queues f on the default stream with kernelParams pointing
// into a's blob, where every argument already lies 8-byte aligned.
func (d *cuDriver) LaunchPacked(f driver.Function, grid, block driver.Dim3, sharedBytes int, a *driver.Args) error {
	cf, ok := f.(*cuFunction)
	if !ok {
		return fmt.Errorf("function %s of type %T is not from this driver", f.Name(), f)
	}
	if err := a.Err(); err != nil {
		return fmt.Errorf("%s: %w", cf.name, err)
	}
	for i := range a.Len() {
		d.offs[i] = C.size_t(a.Offset(i))
	}
	var blob *C.char
	if b := a.Blob(); len(b) > 0 {
		blob = (*C.char)(unsafe.Pointer(unsafe.SliceData(b)))
	}
	g := func(n int) C.uint { return C.uint(max(n, 1)) }
	err := d.call("cuLaunchKernel", func() C.CUresult {
		return C.tg_launch(cf.h, g(grid.X), g(grid.Y), g(grid.Z), g(block.X), g(block.Y), g(block.Z),
			C.uint(sharedBytes), blob, &d.offs[0], C.int(a.Len()))
	})
	if err != nil {
		return fmt.Errorf("%s grid %v block %v: %w", cf.name, grid, block, err)
	}
	return nil
}

// Sync waits for the device and returns the first asynchronous error.
func (d *cuDriver) Sync() error {
	return d.call("cuCtxSynchronize", func() C.CUresult { return C.cuCtxSynchronize() })
}
