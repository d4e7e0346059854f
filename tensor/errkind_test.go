package tensor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestErrorKinds checks that each kind of misuse matches its kind with
// errors.Is, and only that kind.
func TestErrorKinds(t *testing.T) {
	cpu := device.CPUDevice
	a := tensor.Zeros(cpu, device.Float32, 2, 3)
	kinds := []error{tensor.ErrShape, tensor.ErrDType, tensor.ErrIndex, tensor.ErrValue, tensor.ErrOutOfMemory}
	for _, c := range []struct {
		name string
		kind error
		f    func()
	}{
		{"broadcast", tensor.ErrShape, func() { a.Add(tensor.Zeros(cpu, device.Float32, 4)) }},
		{"matmul inner", tensor.ErrShape, func() { a.MatMul(a) }},
		{"dtypes", tensor.ErrDType, func() { a.Add(tensor.Zeros(cpu, device.Float64, 2, 3)) }},
		{"axis", tensor.ErrIndex, func() { a.Sum(false, 5) }},
		{"index value (backend)", tensor.ErrIndex, func() {
			a.IndexSelect(1, tensor.New([]int32{0, 7}, 2))
		}},
		{"label value (backend)", tensor.ErrIndex, func() {
			tensor.CrossEntropy(a, tensor.New([]int32{0, 3}, 2), 0)
		}},
		{"nil operand", tensor.ErrValue, func() { a.Add(nil) }},
		{"stride 0", tensor.ErrValue, func() {
			tensor.MaxPool2d(tensor.Zeros(cpu, device.Float32, 1, 1, 4, 4),
				device.ConvParams{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2})
		}},
		{"out of memory", tensor.ErrOutOfMemory, func() { tensor.Zeros(cpu, device.Float32, 1e12) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := tensor.Try(c.f)
			require.Error(t, err)
			for _, k := range kinds {
				if k == c.kind {
					require.ErrorIs(t, err, k, "%v", err)
				} else {
					require.NotErrorIs(t, err, k, "%v", err)
				}
			}
		})
	}
}
