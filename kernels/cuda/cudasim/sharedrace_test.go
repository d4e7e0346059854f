package cudasim

import (
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// sharedKernel wraps a body like inline does, with 512 bytes of shared
// memory whose address is in %rd3 and the thread's word of it in %rd4
// (sh + 4*(tid%32)).
func sharedKernel(body string) string {
	return `.version 7.8
.target sm_70
.address_size 64
.visible .entry k(.param .u64 p)
{
	.reg .pred %p<4>;
	.reg .b32 %r<8>;
	.reg .b64 %rd<8>;
	.reg .f32 %f<4>;
	.shared .align 4 .b8 sh[512];
	ld.param.u64 %rd1, [p];
	mov.u32 %r1, %tid.x;
	mov.u64 %rd3, sh;
	and.b32 %r2, %r1, 31;
	mul.wide.u32 %rd2, %r2, 4;
	add.s64 %rd4, %rd3, %rd2;
` + body + `
	ret;
}
`
}

func runShared(t *testing.T, s *Sim, body string, block int, arg driver.DevPtr) error {
	t.Helper()
	m, err := s.Load("shared.ptx", sharedKernel(body))
	if err != nil {
		t.Fatal(err)
	}
	return s.Launch(kernel(t, m, "k"), driver.Dim3{X: 1}, driver.Dim3{X: block}, 0, arg)
}

// TestReadBeforeOtherWarpsWriteIsARace: warp 0 reads words that warp 1
// writes later in the same barrier interval. On a GPU either may run
// first, so this is a race, not an uninitialised read.
func TestReadBeforeOtherWarpsWriteIsARace(t *testing.T) {
	s := New()
	out := upload(t, s, make([]float32, 64))
	err := runShared(t, s, `
	setp.ge.u32 %p1, %r1, 32;
	@%p1 bra $L_write;
	ld.shared.u32 %r3, [%rd4];
	st.global.u32 [%rd1], %r3;
	bra.uni $L_end;
$L_write:
	st.shared.u32 [%rd4], %r1;
$L_end:
	bar.sync 0;`, 64, out)
	f := expectFault(t, err, Race, "k", "shared.ptx:")
	if !strings.Contains(f.Inst, "st.shared") || f.Thread.X < 32 || !strings.Contains(f.Detail, "races with a read") {
		t.Errorf("race reported at %q by thread %v (%s), want the st.shared of warp 1 against warp 0's read", f.Inst, f.Thread, f.Detail)
	}
}

// TestUninitSharedReadStillReported: a read of shared memory that nothing
// writes in the interval is reported as uninitialised, at the read, when
// the barrier ends the interval, when the block ends, or when the value
// leads to another fault.
func TestUninitSharedReadStillReported(t *testing.T) {
	for _, tc := range []struct{ name, tail string }{
		{"barrier", "bar.sync 0;"},
		{"block end", ""},
		{"later fault", "mul.wide.u32 %rd5, %r3, 4;\n\tadd.s64 %rd5, %rd5, 8;\n\tst.global.u32 [%rd5], %r3;"},
		{"same warp writes later", "st.shared.u32 [%rd4], %r1;\n\tbar.sync 0;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			out := upload(t, s, make([]float32, 64))
			err := runShared(t, s, "ld.shared.u32 %r3, [%rd4];\n\t"+tc.tail, 32, out)
			f := expectFault(t, err, UninitRead, "k", "shared.ptx:")
			if !strings.Contains(f.Inst, "ld.shared") || f.Thread.X != 0 {
				t.Errorf("reported at %q thread %v, want the ld.shared of thread 0", f.Inst, f.Thread)
			}
		})
	}
}
