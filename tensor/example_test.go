package tensor_test

import (
	"errors"
	"fmt"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda" // the cudasim device
	"github.com/tapegrad/tapegrad/tensor"
)

// Tensors are made from Go slices and a shape; ops return new tensors on
// the same device, and views such as T share the data.
func Example() {
	a := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println(a.Shape(), a.DType(), a.Device())
	fmt.Println(a.T().Shape(), a.MatMul(a.T()).Float32s()) // [2 3]·[3 2]
	fmt.Println(a.SumWith(tensor.ReduceOptions{Axes: []int{1}}).Float32s())
	fmt.Println(a.MeanWith(tensor.ReduceOptions{}).Item())
	fmt.Println(a.ArgMaxWith(tensor.ReduceOptions{Axes: []int{0}}).Int32s())
	// Output:
	// [2 3] float32 cpu
	// [3 2] [14 32 32 77]
	// [6 15]
	// 3.5
	// [1 1 1]
}

// Binary ops broadcast as NumPy does: shapes are aligned from the right
// and axes of size 1 stretch, without copying.
func Example_broadcasting() {
	m := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	row := tensor.New([]float32{10, 20, 30}, 3)  // [3] against [2 3]: added to each row
	col := tensor.New([]float32{100, 200}, 2, 1) // [2 1]: added to each column
	fmt.Println(m.Add(row).Float32s())
	fmt.Println(m.Add(col).Float32s())
	fmt.Println(col.Mul(row).Shape()) // [2 1] × [3] → [2 3], an outer product
	// Output:
	// [11 22 33 14 25 36]
	// [101 102 103 204 205 206]
	// [2 3]
}

// To copies a tensor to another device. Here it is cudasim, which runs
// the CUDA backend's PTX kernels on the CPU: the same code runs on a GPU
// with device.Parse("cuda:0") and a -tags cuda build.
func ExampleTensor_To() {
	sim, err := device.Parse("cudasim")
	if err != nil {
		panic(err)
	}
	x := tensor.NewRNG(1).Normal(device.CPUDevice, device.Float32, 0, 1, 64, 32)
	onSim := x.To(sim)
	fmt.Println(onSim.Device())
	got := onSim.MatMul(onSim.T()).To(device.CPUDevice).Float32s()
	want := x.MatMul(x.T()).Float32s()
	worst := 0.0
	for i := range want {
		worst = max(worst, float64(abs(got[i]-want[i])))
	}
	fmt.Println("same as the CPU to 1e-4:", worst < 1e-4)
	// Output:
	// cudasim
	// same as the CPU to 1e-4: true
}

func abs(x float32) float32 { return max(x, -x) }

// On cudasim (and a GPU) indices are checked on the device, without
// waiting for it: a bad one is reported at the next read, naming the op
// that found it. Try turns the panic into an error that errors.Is
// matches by kind. (cudasim's own faults, an out-of-bounds access inside
// a kernel, name the kernel and its PTX line: see package cudasim.)
func Example_outOfRangeIndex() {
	sim := device.CUDASimDevice
	x := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3).To(sim)
	idx := tensor.New([]int32{0, 3}, 2).To(sim) // column 3 of 3
	y := x.IndexSelect(1, idx)                  // queued; nothing is read yet
	err := tensor.Try(func() { fmt.Println(y.Float32s()) })
	fmt.Println(errors.Is(err, tensor.ErrIndex))
	var te *tensor.Error
	if errors.As(err, &te) {
		fmt.Println(te.Err)
	}
	// Output:
	// true
	// cuda: IndexSelect: index 3 at position 1 is outside [0, 3) (found on the device since the last Sync or Read): index out of range
}
