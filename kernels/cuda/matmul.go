package cuda

import (
	"encoding/binary"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// maxGridYZ is CUDA's limit on gridDim.y and gridDim.z; the GEMM kernels
// grid-stride past it.
const maxGridYZ = 65535

// gemmKernel is one tiling of matmul.cu.
type gemmKernel struct {
	name   string
	bm, bn int // output tile per block
}

// gemmKernels lists per dtype the large tiling first, then the small one
// used when the large tiles would leave multiprocessors idle.
var gemmKernels = map[device.DType][2]gemmKernel{
	device.Float32: {{"matmul_f32", 128, 128}, {"matmul_small_f32", 64, 64}},
	device.Float64: {{"matmul_f64", 64, 64}, {"matmul_small_f64", 32, 32}},
}

// tcKernels are the tensor-core tilings of matmul_tc.cu, large then
// small, per input dtype: bf16 and f16 on mma m16n8k16, and Float32 for
// the TF32 mode (mma m16n8k8). They need compute capability 8.0.
var tcKernels = map[device.DType][2]gemmKernel{
	device.BFloat16: {{"matmul_tc_bf16", 128, 128}, {"matmul_tc_small_bf16", 64, 64}},
	device.Float16:  {{"matmul_tc_f16", 128, 128}, {"matmul_tc_small_f16", 64, 64}},
	device.Float32:  {{"matmul_tc_tf32", 128, 128}, {"matmul_tc_small_tf32", 64, 64}},
}

// modMatmulTC is the module of matmul_tc.cu: compute_80 code, which
// MatMul loads only on compute capability tcMajor and newer.
const modMatmulTC = "matmul_tc"

// tcMajor is the compute capability the tensor-core kernels need (mma
// with bf16 and tf32, ldmatrix, cp.async: sm_80); their module is never
// loaded on an older GPU.
const tcMajor = 8

// gemmDescBytes is sizeof(struct GemmDesc) of matmul.cu: ten int64s,
// two int32s.
const gemmDescBytes = 88

// putGemmDesc appends struct GemmDesc to p.
func putGemmDesc(p *driver.Args, a device.MatMulArgs) {
	out := p.Bytes(gemmDescBytes)[:0]
	for _, v := range [...]int{a.Batch, a.M, a.N, a.K, a.AOffset, a.AStride, a.LDA, a.BOffset, a.BStride, a.LDB} {
		out = binary.LittleEndian.AppendUint64(out, uint64(v))
	}
	for _, t := range [...]bool{a.TransA, a.TransB} {
		v := uint32(0)
		if t {
			v = 1
		}
		out = binary.LittleEndian.AppendUint32(out, v)
	}
}

// operand is the strided view MatMulArgs gives A or B: [batch, rows, cols]
// of op(X), for the bounds check. Its shape and strides live in dims,
// which the backend holds, so that checkLayout (whose error message keeps
// them) allocates nothing.
func operand(dims *[2][3]int, batch, rows, cols, off, bstride, ld int, trans bool) device.Layout {
	dims[0] = [3]int{batch, rows, cols}
	dims[1] = [3]int{bstride, ld, 1}
	if trans {
		dims[1] = [3]int{bstride, 1, ld}
	}
	return device.Layout{Shape: dims[0][:], Strides: dims[1][:], Offset: off}
}

// MatMul computes C[b] = opA(A[b]) @ opB(B[b]) for float dtypes. Float32
// and Float64 run the SIMT kernels of matmul.cu (exact float32, the
// default); bf16/f16 inputs, and float32 ones with args.TF32, run the
// tensor-core kernels of matmul_tc.cu on compute capability 8.0 and newer,
// accumulating in float32 into a float32 C or one of the inputs' dtype
// (below 8.0 half inputs take matmul.cu's SIMT kernels for them, and TF32
// is ignored). Each family has a large tiling (128x128; 64x64 for f64)
// and a half-size one, used when the large tiles number fewer than the
// multiprocessors. Grid: x over N tiles, y over M tiles, z over the batch.
func (b *Backend) MatMul(args device.MatMulArgs) error {
	const name = "MatMul"
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.buf(name, args.C, dtypeOf(args.C), "C")
	if err != nil {
		return err
	}
	if err := floatOnly(name, c.dt); err != nil {
		return err
	}
	in := matmulInput(args, c.dt)
	x, err := b.buf(name, args.A, in, "A")
	if err != nil {
		return err
	}
	y, err := b.buf(name, args.B, in, "B")
	if err != nil {
		return err
	}
	if args.Batch < 0 || args.M < 0 || args.N < 0 || args.K < 0 {
		return opErr(name, "negative size: batch %d, M %d, N %d, K %d", args.Batch, args.M, args.N, args.K)
	}
	if err := need(name, c, args.Batch*args.M*args.N, "C"); err != nil {
		return err
	}
	if args.Batch*args.M*args.N == 0 {
		return nil
	}
	al := operand(&b.operands[0], args.Batch, args.M, args.K, args.AOffset, args.AStride, args.LDA, args.TransA)
	if err := checkLayout(name, al, x.n, "A"); err != nil {
		return err
	}
	bl := operand(&b.operands[1], args.Batch, args.K, args.N, args.BOffset, args.BStride, args.LDB, args.TransB)
	if err := checkLayout(name, bl, y.n, "B"); err != nil {
		return err
	}
	// TF32 is a permission, not a requirement: below compute 8.0 a
	// float32 product stays exact, and half inputs take the SIMT kernels.
	tc := b.props.Major >= tcMajor && (in.IsHalf() || (in == device.Float32 && args.TF32))
	ks, mod := gemmKernelsFor(in, c.dt), modMatmul
	if tc {
		ks, mod = tcKernels[in], modMatmulTC
	}
	k := ks[0]
	if tiles(args.M, k.bm)*tiles(args.N, k.bn)*args.Batch < max(b.props.SMs, 1) {
		k = ks[1]
	}
	maxX := b.props.MaxGridX
	if maxX <= 0 {
		maxX = 1<<31 - 1
	}
	grid := driver.Dim3{
		X: min(tiles(args.N, k.bn), maxX),
		Y: min(tiles(args.M, k.bm), maxGridYZ),
		Z: min(args.Batch, maxGridYZ),
	}
	a := b.args()
	a.Ptr(c.ptr)
	a.Ptr(x.ptr)
	a.Ptr(y.ptr)
	putGemmDesc(a, args)
	if tc && in.IsHalf() {
		a.Int32(boolInt32(c.dt.IsHalf())) // c_half: round C to the inputs' dtype
	}
	return b.launch(mod, kname{k.name}, grid)
}

// boolInt32 is a C bool flag.
func boolInt32(v bool) int32 {
	if v {
		return 1
	}
	return 0
}

// halfGemmKernels are the SIMT kernels for half A and B (matmul.cu), by
// input dtype and then C's: the half itself, or Float32.
var halfGemmKernels = map[device.DType][2][2]gemmKernel{
	device.BFloat16: {
		{{"matmul_bf16", 128, 128}, {"matmul_small_bf16", 64, 64}},
		{{"matmul_bf16_f32", 128, 128}, {"matmul_small_bf16_f32", 64, 64}},
	},
	device.Float16: {
		{{"matmul_f16", 128, 128}, {"matmul_small_f16", 64, 64}},
		{{"matmul_f16_f32", 128, 128}, {"matmul_small_f16_f32", 64, 64}},
	},
}

// matmulInput is the dtype A and B must have given C's: C's own, or the
// half that A has when C is Float32 (half inputs, float32 sums).
func matmulInput(args device.MatMulArgs, out device.DType) device.DType {
	if in := dtypeOf(args.A); in.IsHalf() && out == device.Float32 {
		return in
	}
	return out
}

// gemmKernelsFor returns the SIMT tilings for inputs in and output out.
func gemmKernelsFor(in, out device.DType) [2]gemmKernel {
	if in.IsHalf() {
		k := halfGemmKernels[in]
		if out == device.Float32 {
			return k[1]
		}
		return k[0]
	}
	return gemmKernels[out]
}

// tiles is the number of size-t tiles covering n.
func tiles(n, t int) int { return (n + t - 1) / t }
