//go:build cuda

package cuda

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>
#include <stdlib.h>

// tg_load JIT-compiles PTX text, writing the compiler's error log into log.
static CUresult tg_load(CUmodule* mod, const char* ptx, char* log, size_t log_size) {
	CUjit_option opts[2] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
	void* vals[2] = {log, (void*)log_size};
	return cuModuleLoadDataEx(mod, ptx, 2, opts, vals);
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
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// cuDriver is a driver.Driver on the CUDA driver API through
// gorgonia.org/cu. A CUDA context is current on one OS thread, so every
// call runs on a single goroutine locked to the thread that created the
// context; methods hand it closures and wait for their result.
//
// Modules and launches go through cgo directly: cu v0.9.6's
// Function.Launch copies eight bytes per argument, which cannot pass the
// kernels' by-value descriptor structs, and its module loader discards
// the JIT error log.
type cuDriver struct {
	ordinal int
	props   driver.Props
	calls   chan func()
}

var _ driver.Driver = (*cuDriver)(nil)

// openCU creates a context on device ordinal and starts its goroutine.
func openCU(ordinal int) (*cuDriver, error) {
	d := &cuDriver{ordinal: ordinal, calls: make(chan func())}
	ready := make(chan error)
	go d.serve(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return d, nil
}

// serve owns the context: it locks its OS thread for good (a backend lives
// as long as the process) and runs the calls sent to it.
func (d *cuDriver) serve(ready chan<- error) {
	runtime.LockOSThread()
	dev, err := cu.GetDevice(d.ordinal)
	if err != nil {
		ready <- fmt.Errorf("cuDeviceGet(%d): %w", d.ordinal, err)
		return
	}
	if _, err := dev.MakeContext(cu.SchedAuto); err != nil {
		ready <- fmt.Errorf("cuCtxCreate on device %d: %w", d.ordinal, err)
		return
	}
	if d.props, err = deviceProps(dev); err != nil {
		ready <- err
		return
	}
	ready <- nil
	for f := range d.calls {
		f()
	}
}

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

// do runs f on the context's thread and returns its error.
func (d *cuDriver) do(f func() error) error {
	done := make(chan error, 1)
	d.calls <- func() { done <- f() }
	return <-done
}

// check turns a CUresult into an error naming the call.
func check(call string, r C.CUresult) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	return fmt.Errorf("%s: %s (%d)", call, C.GoString(C.tg_error_name(r)), int(r))
}

// Props returns the device's properties.
func (d *cuDriver) Props() driver.Props { return d.props }

// Alloc allocates device memory (cuMemAlloc).
func (d *cuDriver) Alloc(bytes int) (driver.DevPtr, error) {
	var p cu.DevicePtr
	err := d.do(func() error {
		var err error
		p, err = cu.MemAlloc(int64(bytes))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cuMemAlloc(%d bytes): %w", bytes, err)
	}
	return driver.DevPtr(p), nil
}

// Free releases device memory (cuMemFree).
func (d *cuDriver) Free(p driver.DevPtr) error {
	if err := d.do(func() error { return cu.MemFree(cu.DevicePtr(p)) }); err != nil {
		return fmt.Errorf("cuMemFree(%#x): %w", uint64(p), err)
	}
	return nil
}

// CopyHtoD copies host bytes to the device, after all queued work.
func (d *cuDriver) CopyHtoD(dst driver.DevPtr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	err := d.do(func() error {
		return cu.MemcpyHtoD(cu.DevicePtr(dst), unsafe.Pointer(unsafe.SliceData(src)), int64(len(src)))
	})
	if err != nil {
		return fmt.Errorf("cuMemcpyHtoD(%d bytes): %w", len(src), err)
	}
	return nil
}

// CopyDtoH copies device bytes to the host once all queued work is done.
func (d *cuDriver) CopyDtoH(dst []byte, src driver.DevPtr) error {
	if len(dst) == 0 {
		return nil
	}
	err := d.do(func() error {
		return cu.MemcpyDtoH(unsafe.Pointer(unsafe.SliceData(dst)), cu.DevicePtr(src), int64(len(dst)))
	})
	if err != nil {
		return fmt.Errorf("cuMemcpyDtoH(%d bytes): %w", len(dst), err)
	}
	return nil
}

// CopyDtoD copies between device buffers.
func (d *cuDriver) CopyDtoD(dst, src driver.DevPtr, bytes int) error {
	if bytes == 0 {
		return nil
	}
	if err := d.do(func() error { return cu.MemcpyDtoD(cu.DevicePtr(dst), cu.DevicePtr(src), int64(bytes)) }); err != nil {
		return fmt.Errorf("cuMemcpyDtoD(%d bytes): %w", bytes, err)
	}
	return nil
}

// Memset sets bytes of device memory to value.
func (d *cuDriver) Memset(dst driver.DevPtr, value byte, bytes int) error {
	if bytes == 0 {
		return nil
	}
	if err := d.do(func() error { return cu.MemsetD8(cu.DevicePtr(dst), value, int64(bytes)) }); err != nil {
		return fmt.Errorf("cuMemsetD8(%d bytes): %w", bytes, err)
	}
	return nil
}

// cuModule is a loaded PTX module.
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

// Load JIT-compiles PTX for the device; a failure carries the JIT log.
func (d *cuDriver) Load(name, ptx string) (driver.Module, error) {
	m := &cuModule{d: d, name: name}
	err := d.do(func() error {
		src := C.CString(ptx)
		defer C.free(unsafe.Pointer(src))
		const logSize = 8192
		log := (*C.char)(C.calloc(logSize, 1))
		defer C.free(unsafe.Pointer(log))
		if err := check("cuModuleLoadDataEx", C.tg_load(&m.h, src, log, logSize)); err != nil {
			return fmt.Errorf("%w: %s", err, C.GoString(log))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return m, nil
}

// Function looks up an entry point.
func (m *cuModule) Function(name string) (driver.Function, error) {
	f := &cuFunction{name: name}
	err := m.d.do(func() error {
		s := C.CString(name)
		defer C.free(unsafe.Pointer(s))
		return check("cuModuleGetFunction", C.cuModuleGetFunction(&f.h, m.h, s))
	})
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", name, m.name, err)
	}
	return f, nil
}

// argBytes appends the little-endian bytes of one kernel argument.
func argBytes(out []byte, a any) ([]byte, error) {
	le := binary.LittleEndian
	switch v := a.(type) {
	case driver.DevPtr:
		return le.AppendUint64(out, uint64(v)), nil
	case int32:
		return le.AppendUint32(out, uint32(v)), nil
	case uint32:
		return le.AppendUint32(out, v), nil
	case int64:
		return le.AppendUint64(out, uint64(v)), nil
	case uint64:
		return le.AppendUint64(out, v), nil
	case float32:
		return le.AppendUint32(out, math.Float32bits(v)), nil
	case float64:
		return le.AppendUint64(out, math.Float64bits(v)), nil
	case []byte:
		return append(out, v...), nil
	}
	return nil, fmt.Errorf("argument of type %T", a)
}

// Launch queues f on the default stream. Arguments are packed into one
// buffer, each at an 8-byte aligned offset.
func (d *cuDriver) Launch(f driver.Function, grid, block driver.Dim3, sharedBytes int, args ...any) error {
	cf, ok := f.(*cuFunction)
	if !ok {
		return fmt.Errorf("function %s of type %T is not from this driver", f.Name(), f)
	}
	var blob []byte
	offs := make([]C.size_t, len(args))
	for i, a := range args {
		for len(blob)%8 != 0 {
			blob = append(blob, 0)
		}
		offs[i] = C.size_t(len(blob))
		var err error
		if blob, err = argBytes(blob, a); err != nil {
			return fmt.Errorf("%s: argument %d: %w", cf.name, i, err)
		}
	}
	// Back the blob with uint64s so every argument is 8-byte aligned in memory.
	words := make([]uint64, (len(blob)+7)/8+1)
	mem := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)
	copy(mem, blob)
	g := func(n int) C.uint { return C.uint(max(n, 1)) }
	err := d.do(func() error {
		return check("cuLaunchKernel", C.tg_launch(cf.h, g(grid.X), g(grid.Y), g(grid.Z), g(block.X), g(block.Y), g(block.Z),
			C.uint(sharedBytes), (*C.char)(unsafe.Pointer(unsafe.SliceData(mem))), unsafe.SliceData(offs), C.int(len(args))))
	})
	if err != nil {
		return fmt.Errorf("%s grid %v block %v: %w", cf.name, grid, block, err)
	}
	return nil
}

// Sync waits for the device and returns the first asynchronous error.
func (d *cuDriver) Sync() error {
	if err := d.do(cu.Synchronize); err != nil {
		return fmt.Errorf("cuCtxSynchronize: %w", err)
	}
	return nil
}
