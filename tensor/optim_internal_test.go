package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
)

// TestInPlaceCheckAllocatesNothing: the operand check of every optimizer
// step (once per parameter) allocates nothing when the operands fit, and
// still names them all when they do not.
func TestInPlaceCheckAllocatesNothing(t *testing.T) {
	g := NewRNG(3)
	p, gr := g.Normal(device.CPUDevice, device.Float32, 0, 1, 5, 3), g.Normal(device.CPUDevice, device.Float32, 0, 1, 5, 3)
	m, v := p.ZerosLike(), p.ZerosLike()
	require.Zero(t, testing.AllocsPerRun(20, func() { inPlace("AdamStep", p, gr, m, v) }))
	for _, bad := range []*Tensor{gr.Transpose(0, 1).Contiguous(), gr.Cast(device.Float64), gr.Transpose(0, 1)} {
		err := Try(func() { inPlace("AdamStep", p, gr, m, bad) })
		require.Error(t, err)
		require.Contains(t, err.Error(), "AdamStep")
	}
}
