package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// sm80 is cudasim presented as a compute 8.0 device, so that MatMul takes
// its tensor-core kernels, with two SMs whatever the machine (which of
// the two tilings a shape gets then does not depend on the CPU count).
type sm80 struct{ *cudasim.Sim }

func (s sm80) Props() driver.Props {
	p := s.Sim.Props()
	p.Major, p.Minor = 8, 0
	return p
}

func newSM80(t *testing.T) *Backend {
	return New(device.CUDASimDevice, sm80{cudasim.New(cudasim.WithWorkers(2))})
}

// tcCase is one product: input precision in (bf16, f16, or float32 with
// TF32), C in float32 or (half) the inputs' dtype, and MatMulArgs' shape
// and layout. pad widens the leading dimensions; an odd pad or offset
// takes the kernels' plain-load path instead of cp.async.
type tcCase struct {
	in              device.DType
	halfC           bool
	batch, m, n, k  int
	transA, transB  bool
	aOff, bOff, pad int
	bcastA, bcastB  bool // batch stride 0
}

func (c tcCase) String() string {
	out := "f32"
	if c.halfC {
		out = c.in.Suffix()
	}
	return fmt.Sprintf("%s->%s/b%dm%dn%dk%d/tA%v/tB%v/off%d,%d/pad%d/bc%v,%v",
		c.in.Suffix(), out, c.batch, c.m, c.n, c.k, c.transA, c.transB, c.aOff, c.bOff, c.pad, c.bcastA, c.bcastB)
}

// roundIn rounds x to the input precision as the kernels see it: bf16 and
// f16 by round-to-nearest-even (the tensors hold those values), TF32 as
// cvt.rna.tf32.f32 does (nearest, ties away from zero, 10 mantissa bits).
func roundIn(dt device.DType, x float32) float32 {
	switch dt {
	case device.BFloat16:
		return device.BF16FromFloat32(x).Float32()
	case device.Float16:
		return device.F16FromFloat32(x).Float32()
	}
	return math.Float32frombits((math.Float32bits(x) + 0x1000) &^ 0x1fff)
}

// operandData fills n random elements in [-2, 2) rounded to dt, returning
// the values (for the reference) and the device bytes.
func operandData(rng *rand.Rand, dt device.DType, n int) ([]float32, []byte) {
	vals := make([]float32, n)
	raw := make([]byte, n*dt.Size())
	for i := range vals {
		x := float32(rng.Float64()*4 - 2)
		switch dt {
		case device.BFloat16:
			h := device.BF16FromFloat32(x)
			vals[i] = h.Float32()
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(h))
		case device.Float16:
			h := device.F16FromFloat32(x)
			vals[i] = h.Float32()
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(h))
		default:
			vals[i] = x // the kernel rounds float32 to TF32 itself
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
	}
	return vals, raw
}

// rawBuffer allocates a buffer of dt holding the little-endian bytes raw.
func rawBuffer(t *testing.T, b *Backend, dt device.DType, raw []byte) *Buffer {
	b.mu.Lock()
	defer b.mu.Unlock()
	buf, err := b.scratch(dt, len(raw)/dt.Size())
	require.NoError(t, err)
	if len(raw) > 0 {
		require.NoError(t, b.drv.CopyHtoD(buf.ptr, raw))
	}
	return buf
}

// readC reads C back as float32 (half C widened exactly).
func readC(t *testing.T, b *Backend, c *Buffer) []float32 {
	raw := make([]byte, c.n*c.dt.Size())
	require.NoError(t, b.Sync())
	b.mu.Lock()
	err := b.drv.CopyDtoH(raw, c.ptr)
	b.mu.Unlock()
	require.NoError(t, err)
	out := make([]float32, c.n)
	for i := range out {
		switch c.dt {
		case device.BFloat16:
			out[i] = device.BF16(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		case device.Float16:
			out[i] = device.F16(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		default:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return out
}

// runTC runs c on b and compares every element of C with a float64
// product of the same rounded inputs. The tolerance is float32
// accumulation's: each product of two bf16, f16 or tf32 values is exact in
// float32, and a sum of K of them in any order (mma's internal order and
// rounding are unspecified) is within (K+1)·2⁻²³·Σ|a·b| of the exact
// sum (γ_K with the unit roundoff doubled, which also covers truncating
// adders). A half C adds one rounding to nearest: 2⁻⁸ (bf16) or 2⁻¹¹
// (f16) of the value, and half an f16 subnormal step.
func runTC(t *testing.T, b *Backend, rng *rand.Rand, c tcCase) {
	t.Helper()
	ar, ac := c.m, c.k // A's stored rows and columns for one batch element
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	lda, ldb := ac+c.pad, bc+c.pad
	aStride, bStride := ar*lda, br*ldb
	aBatch, bBatch := c.batch, c.batch
	if c.bcastA {
		aStride, aBatch = 0, 1
	}
	if c.bcastB {
		bStride, bBatch = 0, 1
	}
	aVals, aRaw := operandData(rng, c.in, c.aOff+aBatch*ar*lda)
	bVals, bRaw := operandData(rng, c.in, c.bOff+bBatch*br*ldb)
	A := rawBuffer(t, b, c.in, aRaw)
	B := rawBuffer(t, b, c.in, bRaw)
	cdt := device.Float32
	if c.halfC {
		cdt = c.in
	}
	C := rawBuffer(t, b, cdt, make([]byte, max(c.batch*c.m*c.n, 1)*cdt.Size()))
	require.NoError(t, b.MatMul(device.MatMulArgs{
		Batch: c.batch, M: c.m, N: c.n, K: c.k,
		A: A, AOffset: c.aOff, AStride: aStride, LDA: lda, TransA: c.transA,
		B: B, BOffset: c.bOff, BStride: bStride, LDB: ldb, TransB: c.transB,
		C: C, TF32: c.in == device.Float32,
	}))
	want := "matmul_tc_" + map[device.DType]string{device.BFloat16: "bf16", device.Float16: "f16", device.Float32: "tf32"}[c.in]
	if tiles(c.m, 128)*tiles(c.n, 128)*c.batch < max(b.props.SMs, 1) {
		want = strings.Replace(want, "tc_", "tc_small_", 1)
	}
	require.Equal(t, want, b.drv.last, "%v: the kernel launched", c)
	got := readC(t, b, C)
	at := func(vals []float32, off, stride, ld int, trans bool, bi, r, col int) float64 {
		i := off + bi*stride + r*ld + col
		if trans {
			i = off + bi*stride + col*ld + r
		}
		return float64(roundIn(c.in, vals[i]))
	}
	ulpC := 0.0
	switch {
	case c.halfC && c.in == device.BFloat16:
		ulpC = 0x1p-8
	case c.halfC:
		ulpC = 0x1p-11
	}
	worst := 0.0
	for bi := range c.batch {
		for i := range c.m {
			for j := range c.n {
				var ref, mag float64
				for k := range c.k {
					p := at(aVals, c.aOff, aStride, lda, c.transA, bi, i, k) * at(bVals, c.bOff, bStride, ldb, c.transB, bi, k, j)
					ref += p
					mag += math.Abs(p)
				}
				tol := float64(c.k+1) * 0x1p-23 * mag
				tol += ulpC*(math.Abs(ref)+tol) + 0x1p-25
				g := float64(got[(bi*c.m+i)*c.n+j])
				if d := math.Abs(g - ref); !(d <= tol) {
					t.Fatalf("%v: C[%d,%d,%d] = %v, want %v within %.3g (off by %.3g)", c, bi, i, j, g, ref, tol, d)
				} else if tol > 0 {
					worst = max(worst, d/tol)
				}
			}
		}
	}
	t.Logf("%v: worst error %.2f of the tolerance", c, worst)
}

// tcShapes are awkward shapes: sizes 1, 7, 17, 129, K not a multiple of
// 16 (nor of 8) or 0, a batch with either operand broadcast, every
// transpose, offsets, and leading dimensions or offsets that rule cp.async
// out; from 129x130 on the shapes take the 128x128 tiling (two SMs).
var tcShapes = []tcCase{
	{batch: 1, m: 1, n: 1, k: 1},
	{batch: 1, m: 7, n: 17, k: 129},
	{batch: 2, m: 17, n: 7, k: 24, transA: true, bcastB: true, aOff: 8},
	{batch: 3, m: 33, n: 20, k: 17, transB: true, bcastA: true, bOff: 16, pad: 8},
	{batch: 2, m: 9, n: 31, k: 40, transA: true, transB: true, aOff: 3, pad: 1},
	{batch: 1, m: 20, n: 9, k: 23, aOff: 1, bOff: 5, pad: 3},
	{batch: 1, m: 129, n: 130, k: 40, transA: true},
	{batch: 2, m: 130, n: 129, k: 33, transB: true, bOff: 1, pad: 1},
	{batch: 1, m: 256, n: 136, k: 72, transA: true, transB: true},
	{batch: 2, m: 5, n: 6, k: 0},
}

// runTCShapes runs every shape for bf16 and f16 inputs (C alternating
// between float32 and their own dtype) and for float32 with TF32.
func runTCShapes(t *testing.T, b *Backend, shapes []tcCase) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x7c))
	for _, in := range []device.DType{device.BFloat16, device.Float16, device.Float32} {
		for si, s := range shapes {
			s.in = in
			s.halfC = in.IsHalf() && si%2 == 1
			runTC(t, b, rng, s)
		}
	}
}

// TestMatMulTensorCores runs the tensor-core kernels on cudasim, as a
// compute 8.0 device, at tcShapes.
func TestMatMulTensorCores(t *testing.T) {
	runTCShapes(t, newSM80(t), tcShapes)
}

// tf32Inputs are float32 values TF32 rounds: 1+2⁻¹² to 1, 1+3·2⁻¹² to
// 1+2⁻¹⁰ (nearest, ties away from zero).
var tf32Inputs, tf32Rounded = []float32{1 + 0x1p-12, 1 + 3*0x1p-12}, []float32{1, 1 + 0x1p-10}

// checkTF32Mode multiplies tf32Inputs (as a 2x1 A) by B = [1] on b, with
// or without TF32, and expects want.
func checkTF32Mode(t *testing.T, b *Backend, tf32 bool, want []float32) {
	A, err := b.Alloc(device.Float32, 2)
	require.NoError(t, err)
	require.NoError(t, b.Write(A, tf32Inputs))
	B, err := b.Alloc(device.Float32, 1)
	require.NoError(t, err)
	require.NoError(t, b.Write(B, []float32{1}))
	C, err := b.Alloc(device.Float32, 2)
	require.NoError(t, err)
	require.NoError(t, b.MatMul(device.MatMulArgs{Batch: 1, M: 2, N: 1, K: 1,
		A: A, LDA: 1, B: B, LDB: 1, C: C, TF32: tf32}))
	got := make([]float32, 2)
	require.NoError(t, b.Read(got, C))
	require.Equal(t, want, got)
}

// TestMatMulTF32Mode: with TF32 a float32 product rounds its inputs to
// TF32 on a compute 8.0 device; without it, or on an older device, the
// product stays exact float32.
func TestMatMulTF32Mode(t *testing.T) {
	t.Run("sm80 tf32", func(t *testing.T) { checkTF32Mode(t, newSM80(t), true, tf32Rounded) })
	t.Run("sm80 exact", func(t *testing.T) { checkTF32Mode(t, newSM80(t), false, tf32Inputs) })
	t.Run("sm70 tf32", func(t *testing.T) {
		checkTF32Mode(t, New(device.CUDASimDevice, cudasim.New()), true, tf32Inputs)
	})
}

// TestMatMulHalfBelowSM80: half inputs on a device below compute 8.0
// take matmul.cu's SIMT kernels, and the tensor-core module is never
// loaded there.
func TestMatMulHalfBelowSM80(t *testing.T) {
	b := New(device.CUDASimDevice, cudasim.New())
	A := rawBuffer(t, b, device.BFloat16, []byte{0x80, 0x3f, 0x00, 0x40, 0x40, 0x40, 0x80, 0x40}) // 1, 2, 3, 4
	C := rawBuffer(t, b, device.Float32, make([]byte, 16))
	require.NoError(t, b.MatMul(device.MatMulArgs{Batch: 1, M: 2, N: 2, K: 2, A: A, LDA: 2, B: A, LDB: 2, C: C}))
	require.Equal(t, []float32{7, 10, 15, 22}, readC(t, b, C))
	require.Equal(t, "matmul_small_bf16_f32", b.drv.last)
	_, loaded := b.modules[modMatmulTC]
	require.False(t, loaded)
}
