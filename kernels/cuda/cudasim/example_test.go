package cudasim_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// doublePTX is what nvcc -ptx makes of
//
//	__global__ void double_it(float *x, int n) {
//	    int i = blockIdx.x * blockDim.x + threadIdx.x;
//	    if (i > n) return; // bug: i == n is one past the end
//	    x[i] *= 2;
//	}
const doublePTX = `
.version 7.8
.target sm_70
.address_size 64

.visible .entry double_it(
	.param .u64 double_it_param_0,
	.param .u32 double_it_param_1
)
{
	.reg .pred 	%p<2>;
	.reg .b32 	%r<6>;
	.reg .f32 	%f<3>;
	.reg .b64 	%rd<5>;

	ld.param.u64 	%rd1, [double_it_param_0];
	ld.param.u32 	%r2, [double_it_param_1];
	mov.u32 	%r3, %ctaid.x;
	mov.u32 	%r4, %ntid.x;
	mov.u32 	%r5, %tid.x;
	mad.lo.s32 	%r1, %r3, %r4, %r5;
	setp.gt.s32 	%p1, %r1, %r2;
	@%p1 bra 	$L__BB0_2;

	cvta.to.global.u64 	%rd2, %rd1;
	mul.wide.s32 	%rd3, %r1, 4;
	add.s64 	%rd4, %rd2, %rd3;
	ld.global.f32 	%f1, [%rd4];
	add.f32 	%f2, %f1, %f1;
	st.global.f32 	[%rd4], %f2;

$L__BB0_2:
	ret;
}
`

// Debugging a kernel: where a GPU would read past the end of the buffer
// and carry on with garbage, cudasim stops the launch with a *Fault that
// names the kernel, the PTX line and instruction, and the thread.
// (Select the "cudasim" device to run tapegrad's own kernels this way.)
func Example_outOfBounds() {
	sim := cudasim.New()
	mod, err := sim.Load("double.ptx", doublePTX)
	if err != nil {
		panic(err)
	}
	kernel, err := mod.Function("double_it")
	if err != nil {
		panic(err)
	}
	const n = 100
	host := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(host[4*i:], math.Float32bits(float32(i)))
	}
	x, err := sim.Alloc(len(host))
	if err != nil {
		panic(err)
	}
	if err := sim.CopyHtoD(x, host); err != nil {
		panic(err)
	}
	// 4 blocks of 32 threads cover 128 indices; the guard should stop
	// 100 to 127, and lets 100 through.
	err = sim.Launch(kernel, driver.Dim3{X: 4, Y: 1, Z: 1}, driver.Dim3{X: 32, Y: 1, Z: 1}, 0, x, int32(n))
	var f *cudasim.Fault
	if errors.As(err, &f) {
		fmt.Printf("%v in kernel %s at %s:%d `%s`\n", f.Kind, f.Kernel, f.Module, f.Line, f.Inst)
		fmt.Printf("thread %v of block %v, %d bytes past the start of x\n", f.Thread, f.Block, f.Addr-uint64(x))
	}
	// Output:
	// out-of-bounds access in kernel double_it at double.ptx:28 `ld.global.f32 %f1, [%rd4];`
	// thread (4,0,0) of block (3,0,0), 400 bytes past the start of x
}
