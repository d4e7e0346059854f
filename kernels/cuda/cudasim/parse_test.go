package cudasim

import (
	"errors"
	"math"
	"testing"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// formsPTX uses the syntax nvcc emits (and some it may): initializers of
// every kind, octal/hex/negative/float immediates, every address form,
// predicates, vectors, dynamic shared memory and an aggregate parameter.
const formsPTX = `//
// hand-written
//
.version 7.8
.target sm_70
.address_size 64

.global .align 4 .u32 g_vals[4] = {1, 0x10, -3, 0777};
.global .align 8 .u64 g_ptr = generic(g_vals);
.global .align 4 .f32 g_f[2] = {0f3FC00000, 2.5};
.const .align 8 .f64 c_d[2] = {0d4000000000000000, 0d3FF8000000000000};
.global .align 1 .b8 g_2d[2][3] = {{1, 2, 3}, {4, 5, 6}};
.extern .shared .align 16 .b8 dyn[];

.visible .entry forms(
	.param .u64 forms_param_0,
	.param .align 8 .b8 forms_param_1[16]
)
.maxntid 64, 1, 1
{
	.reg .pred 	%p<3>;
	.reg .b32 	%r<20>;
	.reg .b64 	%rd<20>;
	.reg .f32 	%f<4>;
	.reg .f64 	%fd<2>;

	/* a block
	   comment */
	ld.param.u64 	%rd1, [forms_param_0];
	cvta.to.global.u64 	%rd1, %rd1;
	ld.global.u32 	%r1, [g_vals+4];
	st.global.u32 	[%rd1], %r1;
	ld.global.s32 	%r2, [g_vals+8];
	st.global.u32 	[%rd1+4], %r2;
	mov.u64 	%rd2, g_vals;
	ld.global.u32 	%r3, [%rd2+12];
	st.global.u32 	[%rd1+8], %r3;
	ld.global.u64 	%rd3, [g_ptr];
	ld.u32 	%r4, [%rd3];
	st.global.u32 	[%rd1+12], %r4;
	ld.global.f32 	%f1, [g_f+4];
	st.global.f32 	[%rd1+16], %f1;
	ld.const.f64 	%fd1, [c_d+8];
	cvt.rzi.s32.f64 	%r5, %fd1;
	st.global.u32 	[%rd1+20], %r5;
	ld.global.u8 	%r6, [g_2d+5];
	st.global.u32 	[%rd1+24], %r6;
	ld.param.u32 	%r7, [forms_param_1+12];
	st.global.u32 	[%rd1+28], %r7;
	st.shared.u32 	[dyn+8], 42;
	ld.shared.u32 	%r8, [dyn+8];
	st.global.u32 	[%rd1+32], %r8;
	add.s64 	%rd4, %rd1, 8;
	ld.global.u32 	%r9, [%rd4+-8];
	st.global.u32 	[%rd1+36], %r9;
	mov.u32 	%r10, %tid.x;
	setp.eq.u32 	%p1, %r10, 0;
	@!%p1 mov.u32 	%r11, 7;
	@%p1 mov.u32 	%r11, 9;
	st.global.u32 	[%rd1+40], %r11;
	mov.f32 	%f2, 0f40490FDB;
	st.global.f32 	[%rd1+44], %f2;
	mov.u32 	%r12, -1;
	st.global.u32 	[%rd1+48], %r12;
	mov.b32 	%r13, 0xDEADBEEF;
	st.global.u32 	[%rd1+52], %r13;
	mov.f32 	%f3, 1.5e1;
	st.global.f32 	[%rd1+56], %f3;
	st.global.v4.u32 	[%rd1+64], {%r1, %r3, %r8, %r13};
	ld.global.v2.u32 	{%r14, _}, [%rd1+72];
	st.global.u32 	[%rd1+60], %r14;
	ret;
}
`

func TestParseAndRunSyntaxForms(t *testing.T) {
	s := New()
	m, err := s.Load("forms.ptx", formsPTX)
	if err != nil {
		t.Fatal(err)
	}
	f := kernel(t, m, "forms")
	out := upload(t, s, make([]uint32, 20))
	agg := toBytes([]uint32{0, 0, 0, 0xabcd})
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 1}, 16, out, agg); err != nil {
		t.Fatal(err)
	}
	got := download[uint32](t, s, out, 20)
	want := []uint32{16, uint32(0xfffffffd), 511, 1, math.Float32bits(2.5), 1, 6, 0xabcd, 42, 16, 9,
		0x40490FDB, 0xffffffff, 0xDEADBEEF, math.Float32bits(15), 42, 16, 511, 42, 0xDEADBEEF}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("out[%d] = %#x, want %#x", i, got[i], want[i])
		}
	}
	if err := s.Launch(f, driver.Dim3{X: 1}, driver.Dim3{X: 65}, 16, out, agg); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("launch beyond .maxntid: %v, want ErrInvalidValue", err)
	}
}

// FuzzParse feeds mutated PTX to Load: malformed input must give an
// error, never a panic or a hang. The seeds are small kernels that each
// exercise a few parser paths: seeds the size of the testdata modules
// (up to 57 KB) made the fuzzer spend its time minimising huge inputs
// (12 executions a minute); the testdata modules are parsed by the tests
// that run them.
func FuzzParse(f *testing.F) {
	for _, body := range []string{
		"",
		"shfl.sync.idx.b32 %r2|%p1, %r1, 0, 31, -1;",
		"setp.lt.u32 %p1, %r1, 16;\n@%p1 bra $L_x;\nbar.sync 0;\n$L_x:\nst.global.u32 [%rd1+4], %r1;",
		"ld.global.v2.f32 {%f1, %f2}, [%rd1];\nfma.rn.f32 %f3, %f1, %f2, 0f3F800000;\nst.global.f32 [%rd1], %f3;",
		"atom.global.cas.b32 %r3, [%rd1+8], 0, 77;\nred.global.add.u32 [%rd1], %r1;",
		"mov.u64 %rd2, c_table;\nld.const.u32 %r2, [%rd2+4];\ncvt.rn.f32.u32 %f1, %r2;",
		"mad.lo.s32 %r2, %r1, 3, -1;\nshr.u32 %r3, %r2, 2;\nselp.b32 %r4, %r2, %r3, %p1;",
		"{\n.reg .b32 %t;\nmov.b32 %t, 1;\n}\nvote.sync.ballot.b32 %r2, %p1, -1;",
	} {
		f.Add(inline(body))
	}
	f.Add(formsPTX)
	f.Add(lineinfoPTX)
	f.Fuzz(func(t *testing.T, src string) {
		_, err := New().Load("fuzz.ptx", src)
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("Load returned %T (%v), want a *ParseError", err, err)
		}
	})
}
