package device_test

import (
	"fmt"
	"slices"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"  // links the "cpu" device
	_ "github.com/tapegrad/tapegrad/kernels/cuda" // links "cudasim" (and "cuda" with -tags cuda)
)

// Devices are named as on the command line; a program can open the
// kinds it links (a blank import each), and Open says how to get one it
// does not.
func Example() {
	for _, s := range []string{"cpu", "cuda:1", "cudasim"} {
		d, err := device.Parse(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%q is %v, index %d\n", s, d.Kind, d.Index)
	}
	_, err := device.Parse("tpu")
	fmt.Println(err != nil)

	avail := device.Available()
	fmt.Println(slices.Contains(avail, device.CPUDevice), slices.Contains(avail, device.CUDASimDevice))
	be, err := device.Open(device.CUDASimDevice)
	if err != nil {
		panic(err)
	}
	fmt.Println(be.Device(), device.Float32.Size(), device.BFloat16.Size(), device.Int32)
	// Output:
	// "cpu" is cpu, index 0
	// "cuda:1" is cuda, index 1
	// "cudasim" is cudasim, index 0
	// true
	// true true
	// cudasim 4 2 int32
}
