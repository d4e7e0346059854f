package cudasim

import (
	"errors"
	"strings"
	"testing"
)

// TestUnsupportedPTXNamed: the PTX families the package doc lists as not
// supported fail Load with a ParseError at their line that names them.
func TestUnsupportedPTXNamed(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"add.rn.tf32 %r2, %r3, %r4;", "add.tf32 is not supported"},
		{"add.rz.f16 %h1, %h2, %h3;", "add.f16 rounds to nearest only"},
		{"min.xorsign.abs.f16 %h1, %h2, %h3;", "unsupported modifier .xorsign.abs on min"},
		{"cvt.rn.satfinite.e4m3x2.f32 %h1, %f1, %f2;", ".e4m3x2 is not supported"},
		{"cvt.f32.f16x2 %f1, %r2;", "cvt from .f16x2 is not supported"},
		{"cvt.rna.f16.f32 %h1, %f1;", "cvt.rna is only defined for .tf32"},
		{"sqrt.rn.bf16 %h1, %h2;", "sqrt.bf16 is not supported"},
		{"mma.sync.aligned.m8n8k4.row.col.f32.f16.f16.f32 {%f1,%f2,%f3,%f1}, {%r1,%r2}, {%r3}, {%f1,%f2,%f3,%f1};", "mma shapes other than m16n8k16, m16n8k8 and m16n8k4 are not supported"},
		{"mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%r1,%r2,%r3,%r4}, {%r1,%r2}, {%r3}, {%r1,%r2,%r3,%r4};", "mma.m16n8k16.s32.s8.s8.s32 is not supported"},
		{"wmma.load.a.sync.aligned.row.m16n16k16.global.f16 {%r1,%r2,%r3,%r4,%r5,%r6,%r7,%r1}, [%rd1];", "wmma (tensor-core matrix multiply) is not supported"},
		{"cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%rd1], [%rd2], 64, [%rd3];", "cp.async.bulk and cp.async.mbarrier are not supported"},
		{"cp.async.ca.shared.global [%rd1], [%rd2], 32;", "cp.async copies 4, 8 or 16 bytes"},
		{"ldmatrix.sync.aligned.m16n16.x1.trans.shared.b8 {%r1,%r2}, [%r3];", "ldmatrix needs .sync and the .m8n8 shape"},
		{"stmatrix.sync.aligned.m8n8.x1.shared.b16 [%r3], {%r1};", "stmatrix (tensor-core fragment store) is not supported"},
		{"redux.sync.add.u32 %r2, %r1, -1;", "redux (warp reduction) is not supported"},
		{"bar.sync 0, 64;", "barriers with a thread count are not supported"},
	} {
		t.Run(strings.Fields(tc.body)[0], func(t *testing.T) {
			_, err := New().Load("k.ptx", inline(".reg .b16 %h<4>;\n"+tc.body))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Load gave %v, want a *ParseError", err)
			}
			if pe.Line != 14 || !strings.Contains(pe.Msg, tc.want) {
				t.Errorf("Load gave %v, want line 14 and %q", err, tc.want)
			}
		})
	}
}
