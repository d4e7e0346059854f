package nn

import (
	"fmt"
	"math"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// Config says where new layers put their parameters and which generator
// draws their initial values. The zero Device is the CPU and the zero
// DType is Float32; RNG must be set, so that initial weights are always
// reproducible from a seed.
type Config struct {
	Device device.Device
	DType  device.DType
	RNG    *tensor.RNG
}

// rng returns c.RNG, panicking with advice when it is missing: a layer
// drawn from no generator would silently differ from run to run.
func (c Config) rng() *tensor.RNG {
	if c.RNG == nil {
		panic("nn: Config.RNG is nil; set it (e.g. tensor.NewRNG(seed)) so initial weights are reproducible")
	}
	return c.RNG
}

// Fans returns the fan-in and fan-out of a weight of shape as PyTorch
// computes them: dims 1 and 0 times the receptive field (the product of
// the dims after the second). A 1-D shape has fan-in and fan-out equal to
// its length.
func Fans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	recept := device.Numel(shape[2:])
	return shape[1] * recept, shape[0] * recept
}

// LeakyReLUGain is the gain PyTorch's calculate_gain gives leaky_relu with
// negative slope a: √(2/(1+a²)); a = 0 gives ReLU's √2.
func LeakyReLUGain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }

// Uniform returns a tensor of shape drawn uniformly from (lo, hi) with
// c's generator, on c's device and dtype.
func Uniform(c Config, lo, hi float64, shape ...int) *tensor.Tensor {
	return c.rng().Uniform(c.Device, c.DType, lo, hi, shape...)
}

// Normal returns a tensor of shape drawn from N(mean, std²).
func Normal(c Config, mean, std float64, shape ...int) *tensor.Tensor {
	return c.rng().Normal(c.Device, c.DType, mean, std, shape...)
}

// XavierUniform is Glorot's uniform init: U(-b, b) with
// b = gain·√(6/(fan_in+fan_out)).
func XavierUniform(c Config, gain float64, shape ...int) *tensor.Tensor {
	in, out := Fans(shape)
	b := gain * math.Sqrt(6/float64(in+out))
	return Uniform(c, -b, b, shape...)
}

// XavierNormal is Glorot's normal init: N(0, σ²) with
// σ = gain·√(2/(fan_in+fan_out)).
func XavierNormal(c Config, gain float64, shape ...int) *tensor.Tensor {
	in, out := Fans(shape)
	return Normal(c, 0, gain*math.Sqrt(2/float64(in+out)), shape...)
}

// KaimingUniform is He's uniform init in PyTorch's fan_in mode for a
// leaky ReLU of negative slope a (0 for ReLU): U(-b, b) with
// b = LeakyReLUGain(a)·√(3/fan_in).
func KaimingUniform(c Config, a float64, shape ...int) *tensor.Tensor {
	in, _ := Fans(shape)
	b := LeakyReLUGain(a) * math.Sqrt(3/float64(max(in, 1)))
	return Uniform(c, -b, b, shape...)
}

// KaimingNormal is He's normal init in fan_in mode: N(0, σ²) with
// σ = LeakyReLUGain(a)/√fan_in.
func KaimingNormal(c Config, a float64, shape ...int) *tensor.Tensor {
	in, _ := Fans(shape)
	return Normal(c, 0, LeakyReLUGain(a)/math.Sqrt(float64(max(in, 1))), shape...)
}

// defaultWeightBias draws a weight and bias as torch.nn.Linear and Conv2d
// do by default: kaiming_uniform with a = √5 for the weight, which works
// out to U(-1/√fan_in, 1/√fan_in), and the same bound for the bias. The
// weight is drawn first, so a seed gives PyTorch's order of draws.
func defaultWeightBias(c Config, bias bool, shape ...int) (w, b *tensor.Tensor) {
	if device.Numel(shape) == 0 {
		panic(fmt.Sprintf("nn: weight shape %v has no elements", shape))
	}
	w = KaimingUniform(c, math.Sqrt(5), shape...)
	if bias {
		in, _ := Fans(shape)
		bound := 1 / math.Sqrt(float64(in))
		b = Uniform(c, -bound, bound, shape[0])
	}
	return w, b
}
