package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// stats returns the mean, standard deviation and largest magnitude of v.
func stats(v []float64) (mean, std, maxAbs float64) {
	for _, x := range v {
		mean += x / float64(len(v))
		maxAbs = max(maxAbs, math.Abs(x))
	}
	for _, x := range v {
		std += (x - mean) * (x - mean) / float64(len(v))
	}
	return mean, math.Sqrt(std), maxAbs
}

func TestFans(t *testing.T) {
	in, out := nn.Fans([]int{64, 32, 3, 3})
	require.Equal(t, []int{288, 576}, []int{in, out})
	in, out = nn.Fans([]int{10, 784})
	require.Equal(t, []int{784, 10}, []int{in, out})
	require.InDelta(t, math.Sqrt2, nn.LeakyReLUGain(0), 1e-15)
}

func TestInit(t *testing.T) {
	seed := testSeed(t)
	c := nn.Config{Device: cpu, DType: device.Float64, RNG: tensor.NewRNG(seed)}
	u := 1 / math.Sqrt(3) // a uniform U(-b, b) has standard deviation b/√3
	cases := []struct {
		name      string
		t         *tensor.Tensor
		bound     float64 // 0 for normal draws
		wantStdev float64
	}{
		{"xavier uniform", nn.XavierUniform(c, 1, 200, 300), math.Sqrt(6.0 / 500), math.Sqrt(6.0/500) * u},
		{"xavier normal", nn.XavierNormal(c, 2, 200, 300), 0, 2 * math.Sqrt(2.0/500)},
		{"kaiming uniform", nn.KaimingUniform(c, 0, 300, 200), math.Sqrt(6.0 / 200), math.Sqrt(6.0/200) * u},
		{"kaiming normal", nn.KaimingNormal(c, 0.1, 300, 20, 3, 3), 0, nn.LeakyReLUGain(0.1) / math.Sqrt(180)},
		{"linear default", nn.NewLinear(c, 400, 150, true).Weight.Value(), 1 / math.Sqrt(400), u / math.Sqrt(400)},
		{"conv default", nn.NewConv2d(c, 16, 32, 3, 1, 1, true).Weight.Value(), 1 / math.Sqrt(144), u / math.Sqrt(144)},
		{"linear bias", nn.NewLinear(c, 100, 5000, true).Bias.Value(), 0.1, 0.1 * u},
	}
	for _, tc := range cases {
		mean, std, maxAbs := stats(tc.t.Float64s())
		require.InDelta(t, 0, mean, 5*tc.wantStdev/math.Sqrt(float64(tc.t.Numel())), tc.name)
		require.InDelta(t, tc.wantStdev, std, 0.05*tc.wantStdev, tc.name)
		if tc.bound > 0 {
			require.LessOrEqual(t, maxAbs, tc.bound, tc.name)
			require.Greater(t, maxAbs, 0.95*tc.bound, tc.name)
		}
	}
	// A seed fixes the weights.
	a := nn.NewLinear(nn.Config{RNG: tensor.NewRNG(seed)}, 5, 3, true)
	b := nn.NewLinear(nn.Config{RNG: tensor.NewRNG(seed)}, 5, 3, true)
	require.Equal(t, a.Weight.Value().Float32s(), b.Weight.Value().Float32s())
	require.Equal(t, a.Bias.Value().Float32s(), b.Bias.Value().Float32s())
	require.Panics(t, func() { nn.NewLinear(nn.Config{}, 2, 2, true) }, "no generator")
}
