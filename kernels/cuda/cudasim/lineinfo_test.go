package cudasim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// lineinfoPTX is what nvcc -lineinfo emits for
//
//	__device__ float twice(float x) { return 2 * x; }      // helpers.cuh:3
//	__global__ void k(float *out, int n) {
//	    int i = blockIdx.x * blockDim.x + threadIdx.x;       // oob.cu:10
//	    out[i] = twice(i);                                   // oob.cu:11
//	}
//
// with the store past n out of bounds and twice inlined.
const lineinfoPTX = `.version 7.8
.target sm_70
.address_size 64
	.file	1 "/src/oob.cu", 1700000000, 312
	.file	2 "/src/helpers.cuh"
.visible .entry k(.param .u64 out)
{
	.reg .b32 %r<5>;
	.reg .f32 %f<3>;
	.reg .b64 %rd<4>;
	.loc	1 10 0
	ld.param.u64 %rd1, [out];
	mov.u32 %r1, %ctaid.x;
	mov.u32 %r2, %ntid.x;
	mov.u32 %r3, %tid.x;
	mad.lo.s32 %r4, %r1, %r2, %r3;
	.loc	2 3 42, function_name $L__info_string0, inlined_at 1 11 14
	cvt.rn.f32.s32 %f1, %r4;
	add.f32 %f2, %f1, %f1;
	.loc	1 11 5
	mul.wide.s32 %rd2, %r4, 4;
	add.s64 %rd3, %rd1, %rd2;
	st.global.f32 [%rd3], %f2;
	ret;
}
`

// TestFaultNamesCUDASourceLine: with line information the fault names
// the CUDA file and line as well as the PTX line.
func TestFaultNamesCUDASourceLine(t *testing.T) {
	s := New()
	m, err := s.Load("oob.ptx", lineinfoPTX)
	if err != nil {
		t.Fatal(err)
	}
	out := upload(t, s, randF32(seeded(t), 40, 1))
	err = s.Launch(kernel(t, m, "k"), driver.Dim3{X: 2}, driver.Dim3{X: 32}, 0, out)
	f := expectFault(t, err, OutOfBounds, "k", "oob.ptx:23 (/src/oob.cu:11)")
	if f.SourceFile != "/src/oob.cu" || f.SourceLine != 11 || f.Thread.X != 8 || f.Block.X != 1 {
		t.Errorf("fault at %s:%d thread %v block %v, want /src/oob.cu:11 thread 8 block 1", f.SourceFile, f.SourceLine, f.Thread, f.Block)
	}

	// An instruction of the inlined helper reports the helper's line.
	p := m.(*Module).kernels["k"]
	for pc, in := range p.prog.code {
		if file, line, ok := p.prog.module.source(int(in.line)); ok && strings.HasPrefix(p.prog.module.lines[in.line-1], "\tadd.f32") {
			if got := fmt.Sprintf("%s:%d", file, line); got != "/src/helpers.cuh:3" {
				t.Errorf("instruction %d (add.f32) is at %s, want /src/helpers.cuh:3", pc, got)
			}
			return
		}
	}
	t.Error("no line information for the inlined add.f32")
}

func TestFaultWithoutLineinfoHasNoSourceLine(t *testing.T) {
	s := New()
	var lines []string
	for _, l := range strings.Split(lineinfoPTX, "\n") {
		if !strings.HasPrefix(l, "\t.loc") && !strings.HasPrefix(l, "\t.file") {
			lines = append(lines, l)
		}
	}
	m, err := s.Load("oob.ptx", strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := upload(t, s, randF32(seeded(t), 40, 1))
	err = s.Launch(kernel(t, m, "k"), driver.Dim3{X: 2}, driver.Dim3{X: 32}, 0, out)
	f := expectFault(t, err, OutOfBounds, "k", "oob.ptx:18 `st.global")
	if f.SourceLine != 0 || f.SourceFile != "" {
		t.Errorf("source %s:%d without line information", f.SourceFile, f.SourceLine)
	}
}
