//go:build !cuda

package cuda_test

import (
	"sync"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
	"github.com/tapegrad/tapegrad/tensor"
)

// nullGPUs opens "cuda:0" as a backend over the Null driver. Only this
// test binary, and only once a benchmark below asks, registers it: the
// build without -tags cuda has no CUDA kind of its own, and the tensor
// layer reaches backends through the registry alone.
type nullGPUs struct{}

func (nullGPUs) Count() (int, error) { return 1, nil }

func (nullGPUs) Open(int) (device.Backend, error) {
	return cuda.New(device.Device{Kind: device.CUDA}, &driver.Null{}), nil
}

var registerNullGPU = sync.OnceFunc(func() { device.Register(device.CUDA, nullGPUs{}) })

// BenchmarkTensorHostCost times tensor-level ops on a CUDA backend over
// the Null driver: the backend's host cost per op plus the tensor
// layer's (result tensor, storage and its finalizer, shape checks).
func BenchmarkTensorHostCost(b *testing.B) {
	registerNullGPU()
	dev := device.Device{Kind: device.CUDA}
	g := tensor.NewRNG(1)
	x := g.Uniform(dev, device.Float32, -1, 1, 64, 64)
	y := g.Uniform(dev, device.Float32, -1, 1, 64, 64)
	bias := g.Uniform(dev, device.Float32, -1, 1, 64)
	for _, op := range []struct {
		name string
		run  func() *tensor.Tensor
	}{
		{"add", func() *tensor.Tensor { return x.Add(y) }},
		{"bias-add", func() *tensor.Tensor { return x.Add(bias) }},
		{"relu", func() *tensor.Tensor { return x.ReLU() }},
		{"matmul", func() *tensor.Tensor { return x.MatMul(y) }},
	} {
		b.Run(op.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				op.run()
			}
		})
	}
}
