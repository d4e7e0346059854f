package tensor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Every op that takes ConvParams checks them in the tensor layer, so no
// backend sees a stride, kernel or padding it could divide by or walk
// outside with; pooling also refuses padding above half the kernel (as
// PyTorch does), which would make windows of padding alone.
func TestConvParamsChecked(t *testing.T) {
	g := seeded(t)
	x := g.Normal(cpu, device.Float32, 0, 1, 2, 3, 5, 5)
	ok := device.ConvParams{N: 2, C: 3, H: 5, W: 5, KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	out, idx := tensor.MaxPool2d(x, ok) // padding half the kernel is fine
	require.Equal(t, []int{2, 3, 3, 3}, out.Shape())
	require.NotContains(t, idx.Int32s(), int32(-1))

	bad := []struct {
		name string
		edit func(*device.ConvParams)
		msg  string
		pool bool // only pooling refuses it
	}{
		{"stride 0", func(p *device.ConvParams) { p.StrideH = 0 }, "stride 0x2", false},
		{"negative stride", func(p *device.ConvParams) { p.StrideW = -1 }, "stride 2x-1", false},
		{"kernel 0", func(p *device.ConvParams) { p.KW = 0 }, "kernel 2x0", false},
		{"negative padding", func(p *device.ConvParams) { p.PadH = -1 }, "padding -1x1", false},
		{"window larger than padded input", func(p *device.ConvParams) { p.KH, p.PadH = 8, 1 }, "does not fit", false},
		{"padding above half the kernel", func(p *device.ConvParams) { p.PadW = 2 }, "padding 1x2 is more than half the kernel 2x2", true},
		{"padding as large as the kernel", func(p *device.ConvParams) { p.PadH, p.PadW = 2, 2 }, "more than half the kernel", true},
		{"negative dilation", func(p *device.ConvParams) { p.DilationH = -1 }, "dilation -1x0", false},
		{"dilated window larger than padded input", func(p *device.ConvParams) { p.DilationW = 7 }, "does not fit", false},
		{"dilated pooling", func(p *device.ConvParams) { p.DilationH = 2 }, "pooling takes no dilation", true},
	}
	for _, c := range bad {
		p := ok
		c.edit(&p)
		ops := []struct {
			op string
			f  func()
		}{
			{"MaxPool2d", func() { tensor.MaxPool2d(x, p) }},
			{"AvgPool2d", func() { tensor.AvgPool2d(x, p) }},
			{"MaxPool2dBackward", func() { tensor.MaxPool2dBackward(out, idx, p) }},
			{"AvgPool2dBackward", func() { tensor.AvgPool2dBackward(out, p) }},
		}
		if !c.pool {
			ops = append(ops, []struct {
				op string
				f  func()
			}{
				{"Im2Col", func() { tensor.Im2Col(x, p) }},
				{"Col2Im", func() { tensor.Col2Im(g.Normal(cpu, device.Float32, 0, 1, 2, 12, 9), p) }},
			}...)
		}
		for _, o := range ops {
			te := tensorError(t, o.f)
			require.Equal(t, o.op, te.Op, c.name)
			require.Contains(t, te.Msg, c.msg, "%s: %s", o.op, c.name)
		}
	}
	// Convolutions may pad more than half the kernel.
	wide := ok
	wide.PadH, wide.PadW = 2, 2
	require.Equal(t, []int{2, 12, 16}, tensor.Im2Col(x, wide).Shape())
	te := tensorError(t, func() { tensor.Conv2dGeometry("Conv2d", x, 3, 3, 0, 1) })
	require.Equal(t, "Conv2d", te.Op)
}
