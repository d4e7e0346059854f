package cudasim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// genKernel turns fuzz bytes into a small PTX kernel over a 64-word
// global buffer and 256 bytes of shared memory: integer and float
// arithmetic, comparisons, forward and backward branches (so loops that
// never end), global, shared and atomic accesses with masked or
// unmasked indices (so out-of-bounds ones), barriers in divergent code,
// shuffles, votes, exits, and cp.async, ldmatrix and mma (in divergent
// code and on unaligned or unwritten shared memory too). The first byte can leave registers
// undefined, so uninitialised uses are generated too. It also returns
// the block size.
func genKernel(data []byte) (string, int) {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		v := int(data[0])
		data = data[1:]
		return v
	}
	block := 1 + next()%96
	r := func() string { return fmt.Sprintf("%%r%d", 1+next()%7) }
	p := func() string { return fmt.Sprintf("%%p%d", 1+next()%3) }
	n := min(len(data)/3, 40)
	var b strings.Builder
	// addr puts a word address in %rd3: base + 4*(a register & mask).
	addr := func(base string) {
		mask := []string{"63", "127", "4095"}[next()%3]
		fmt.Fprintf(&b, "and.b32 %%r8, %s, %s;\n\tmul.wide.u32 %%rd2, %%r8, 4;\n\tadd.s64 %%rd3, %s, %%rd2;\n\t", r(), mask, base)
	}
	b.WriteString(`.version 7.8
.target sm_70
.address_size 64
.visible .entry k(.param .u64 buf)
{
	.reg .pred %p<4>;
	.reg .b32 %r<9>;
	.reg .b64 %rd<6>;
	.reg .f32 %f<3>;
	.shared .align 4 .b8 sh[256];
	ld.param.u64 %rd1, [buf];
	mov.u64 %rd4, sh;
	mov.u32 %r1, %tid.x;
`)
	// Registers and predicates start defined, from the thread index,
	// except those the first byte leaves out.
	undef := next()
	for i := 2; i <= 7; i++ {
		if undef&(1<<i) == 0 {
			fmt.Fprintf(&b, "\tmul.lo.u32 %%r%d, %%r1, %d;\n", i, 2*i+1)
		}
	}
	for i := 1; i <= 3; i++ {
		if undef&(1<<(i-1)) == 0 {
			fmt.Fprintf(&b, "\tsetp.lt.u32 %%p%d, %%r1, %d;\n", i, 8*i)
		}
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "$L%d:\n\t", i)
		switch op := next() % 19; op {
		case 0:
			fmt.Fprintf(&b, "mov.u32 %s, %d;", r(), next()*next())
		case 1:
			fmt.Fprintf(&b, "%s.u32 %s, %s, %s;", []string{"add", "sub", "mul.lo", "and", "xor", "min"}[next()%6], r(), r(), r())
		case 2:
			fmt.Fprintf(&b, "%s.u32 %s, %s, %s;", []string{"div", "rem"}[next()%2], r(), r(), r())
		case 3:
			fmt.Fprintf(&b, "shr.u32 %s, %s, %d;", r(), r(), next()%40)
		case 4:
			fmt.Fprintf(&b, "setp.%s.u32 %s, %s, %s;", []string{"lt", "eq", "ne", "ge"}[next()%4], p(), r(), r())
		case 5:
			fmt.Fprintf(&b, "@%s bra $L%d;", p(), next()%(n+1))
		case 6:
			addr("%rd1")
			fmt.Fprintf(&b, "ld.global.u32 %s, [%%rd3];", r())
		case 7:
			addr("%rd1")
			fmt.Fprintf(&b, "st.global.u32 [%%rd3], %s;", r())
		case 8:
			addr("%rd4")
			fmt.Fprintf(&b, "ld.shared.u32 %s, [%%rd3];", r())
		case 9:
			addr("%rd4")
			fmt.Fprintf(&b, "st.shared.u32 [%%rd3], %s;", r())
		case 10:
			b.WriteString("bar.sync 0;")
		case 11:
			fmt.Fprintf(&b, "shfl.sync.bfly.b32 %s, %s, %d, 31, -1;", r(), r(), next()%32)
		case 12:
			addr("%rd1")
			fmt.Fprintf(&b, "atom.global.add.u32 %s, [%%rd3], %s;", r(), r())
		case 13:
			fmt.Fprintf(&b, "cvt.rn.f32.u32 %%f1, %s;\n\tmul.f32 %%f2, %%f1, 0f3FC00000;\n\tcvt.rzi.u32.f32 %s, %%f2;", r(), r())
		case 14:
			fmt.Fprintf(&b, "vote.sync.ballot.b32 %s, %s, -1;", r(), p())
		case 15:
			fmt.Fprintf(&b, "@%s exit;", p())
		case 16:
			addr("%rd1")
			b.WriteString("mov.b64 %rd5, %rd3;\n\t")
			addr("%rd4")
			fmt.Fprintf(&b, "cp.async.ca.shared.global [%%rd3], [%%rd5], 4, %d;", next()%5)
		case 17:
			b.WriteString([]string{"cp.async.commit_group;", "cp.async.wait_group 0;", "cp.async.wait_group 1;", "cp.async.wait_all;"}[next()%4])
		case 18:
			addr("%rd4")
			fmt.Fprintf(&b, "ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%s, %s}, [%%rd3];\n\t", r(), r())
			fmt.Fprintf(&b, "mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 {%%f1,%%f2,%%f1,%%f2}, {%s,%s}, {%s}, {%%f1,%%f2,%%f1,%%f2};", r(), r(), r())
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "$L%d:\n\tret;\n}\n", n)
	return b.String(), block
}

// FuzzExec runs generated kernels: each must load, and its launch must
// end, within the step limit, with a result or a Fault, never a panic,
// a hang or an internal simulator error.
func FuzzExec(f *testing.F) {
	for _, seed := range []string{
		"\x40\x00\x00\x02\x05\x01\x00\x01\x02\x07\x03\x01\x02",
		"\x20\x00\x04\x00\x01\x02\x05\x00\x00",
		"\x21\x00\x04\x00\x00\x01\x05\x00\x03\x0a\x0b\x01\x02\x05",
		"l\xea\x9aP\xbcy\x8e\x99\xb0\xefJ\xbb\x9d^{\xe7\"9n\x99w-F\xc6p\xd3\xe1",
		"\r\x00,\xc7O*hXX\xb2+x%\xaf'\x80D:\xd6l\xb8\xffa\x80\xc2#\x8fu",
		"c\x001C'\x99\xcb\xe5\xd5\x9b\x90\x8fR\f|\x9f\x1f\xd5.5\x97\x9d\x10\x98\x83\xcc\x03\x0e\x999Sl",
		"\xb6\x00\xf6mbucwL7\xd4\x8c\\\x95\xc5\xf53P\xf9",
		"N\x00\x10\n&~\xc5\xf9A6\xc0@\xf7\xda\x18\xcb\xd1\x8b\xdda0N\xb8}\xda\xd1\xfe\x87",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, block := genKernel(data)
		s := New(WithStepLimit(1<<14), WithTimeLimit(10*time.Second), WithWorkers(2))
		m, err := s.Load("gen.ptx", src)
		if err != nil {
			t.Fatalf("generated kernel does not load: %v\n%s", err, src)
		}
		buf := upload(t, s, make([]uint32, 64))
		fn := kernel(t, m, "k")
		err = s.Launch(fn, driver.Dim3{X: 2}, driver.Dim3{X: block}, 0, buf)
		var flt *Fault
		switch {
		case err == nil:
			download[uint32](t, s, buf, 64)
		case !errors.As(err, &flt):
			t.Fatalf("launch returned %T (%v), want nil or a *Fault\n%s", err, err, src)
		case flt.Kind == Unsupported:
			t.Fatalf("internal simulator error: %v\n%s", err, src)
		}
	})
}
