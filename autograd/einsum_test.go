package autograd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestEinsumValues pins Einsum to torch.einsum on the same inputs
// (float64 here, torch's float32 printed values to 1e-6).
func TestEinsumValues(t *testing.T) {
	ar := func(n int, div float64, shape ...int) *autograd.Var {
		return autograd.Const(tensor.Arange(device.CPUDevice, device.Float64, n).AddScalar(1).DivScalar(div).Reshape(shape...))
	}
	a, b, c := ar(24, 10, 2, 3, 4), ar(40, 7, 2, 4, 5), ar(6, 1, 2, 3)
	vals := func(v *autograd.Var) []float64 { return v.Value().Float64s() }
	bik := autograd.Einsum("bij,bjk->bik", a, b)
	require.Equal(t, []int{2, 3, 5}, bik.Shape())
	require.InDeltaSlice(t, []float64{1.5714286, 1.7142857, 1.8571429, 2.0, 2.1428571, 3.5142858}, vals(bik)[:6], 1e-6)
	require.InDelta(t, 552.857177734375, bik.Sum(false).Value().Item(), 1e-4)
	require.InDeltaSlice(t, []float64{1.5714286, 23.971428, 3.5142858, 30.485714, 5.4571433, 37.0},
		vals(autograd.Einsum("bij,bjk->kib", a, b))[:6], 1e-5)
	require.Equal(t, []float64{14, 32, 32, 77}, vals(autograd.Einsum("ij,kj->ik", c, c)))
	require.Equal(t, 91.0, autograd.Einsum("ij,ij->", c, c).Value().Item())
	require.InDeltaSlice(t, []float64{6.6, 7.2, 7.8, 8.4}, vals(autograd.Einsum("bij->j", a)), 1e-12)
	require.Equal(t, []float64{4, 5, 6, 8, 10, 12, 12, 15, 18},
		vals(autograd.Einsum("i,j->ij", c.Narrow(0, 0, 1).Reshape(3), c.Narrow(0, 1, 1).Reshape(3))))
	ones := autograd.Const(tensor.Ones(device.CPUDevice, device.Float64, 2, 4))
	require.InDeltaSlice(t, []float64{1.0, 2.6, 4.2, 1.0}, vals(autograd.Einsum("bij,kj->bki", a, ones))[:4], 1e-12)

	for _, bad := range []string{"ij,jk", "ii->i", "ij->ik", "ij,jk->ii", "i1->i"} {
		err := tensor.Try(func() { autograd.Einsum(bad, c, c.T()) })
		require.Error(t, err, bad)
	}
}
