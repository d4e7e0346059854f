package bench

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
	_ "github.com/tapegrad/tapegrad/kernels/cuda"
)

// The workloads as testing.B benchmarks, named
// Benchmark<Group>/<device>/<dtype>/<name> for benchstat:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./bench > old.txt
//	(change something)
//	go test -run '^$' -bench . -benchmem -count 6 ./bench > new.txt
//	benchstat old.txt new.txt
//
// cudasim runs at Small sizes. -devices and -dtypes choose what runs.
var (
	benchDevices = flag.String("devices", "cpu,cudasim", "comma-separated devices the benchmarks run on")
	benchDTypes  = flag.String("dtypes", "f32", "comma-separated dtypes the benchmarks run in (f32, f64)")
)

func BenchmarkGEMM(b *testing.B)        { benchGroup(b, "gemm") }
func BenchmarkElementwise(b *testing.B) { benchGroup(b, "elementwise") }
func BenchmarkReduce(b *testing.B)      { benchGroup(b, "reduce") }
func BenchmarkSoftmax(b *testing.B)     { benchGroup(b, "softmax") }
func BenchmarkConv(b *testing.B)        { benchGroup(b, "conv") }
func BenchmarkOptim(b *testing.B)       { benchGroup(b, "optim") }
func BenchmarkTrain(b *testing.B)       { benchGroup(b, "train") }
func BenchmarkOverhead(b *testing.B)    { benchGroup(b, "overhead") }
func BenchmarkJacobian(b *testing.B)    { benchGroup(b, "jacobian") }

func benchGroup(b *testing.B, group string) {
	for _, ds := range strings.Split(*benchDevices, ",") {
		dev, err := device.Parse(ds)
		if err != nil {
			b.Fatal(err)
		}
		be, err := device.Open(dev)
		if err != nil {
			b.Skip(err)
		}
		scale := Full
		if dev.Kind == device.CUDASim {
			scale = Small
		}
		for _, dts := range strings.Split(*benchDTypes, ",") {
			dt := device.Float32
			if dts == "f64" {
				dt = device.Float64
			}
			for _, w := range Workloads() {
				if w.Group != group || !w.Runs(Target{Dev: dev, DType: dt, Scale: scale}) {
					continue
				}
				b.Run(fmt.Sprintf("%v/%s/%s", dev, dt.Suffix(), w.Name), func(b *testing.B) {
					size := w.Size(scale)
					inst := size.Setup(newEnv(dev, dt, dt, 1))
					b.ReportAllocs()
					for b.Loop() {
						inst.Run()
						waitFor(be)
					}
					per := b.Elapsed().Seconds() / float64(b.N)
					switch w.Bound {
					case Memory:
						b.ReportMetric(size.Moved*float64(dt.Size())/per/1e9, "GB/s")
					default:
						b.ReportMetric(size.FLOPs/per/1e9, "GFLOP/s")
					}
				})
			}
		}
	}
}
