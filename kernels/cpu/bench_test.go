package cpu

import (
	"fmt"
	"testing"

	"github.com/tapegrad/tapegrad/device"
)

// The benchmarks report throughput with b.ReportMetric; run them with
// -benchmem. Kernels are synchronous, so Sync in the loop costs nothing
// but keeps the house rule that timed loops wait for the device.

func BenchmarkMatMul(b *testing.B) {
	r := newRand(b)
	for _, dt := range floatTypes {
		for _, n := range []int{256, 512} {
			b.Run(fmt.Sprintf("%v/%d", dt, n), func(b *testing.B) {
				x := upload(b, dt, randVals(r, dt, n*n))
				c := alloc(b, dt, n*n)
				args := device.MatMulArgs{Batch: 1, M: n, N: n, K: n, A: x, LDA: n, B: x, LDB: n, C: c}
				b.ResetTimer()
				for b.Loop() {
					if err := shared.MatMul(args); err != nil {
						b.Fatal(err)
					}
					_ = shared.Sync()
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	r := newRand(b)
	const n = 1 << 22
	x := upload(b, device.Float32, randVals(r, device.Float32, n))
	c := alloc(b, device.Float32, n)
	for _, bc := range []struct {
		name string
		l    device.Layout
	}{
		{"contiguous", device.Contiguous([]int{1 << 11, 1 << 11})},
		{"transposed", device.Layout{Shape: []int{1 << 11, 1 << 11}, Strides: []int{1, 1 << 11}}},
		{"broadcast", device.Layout{Shape: []int{1 << 11, 1 << 11}, Strides: []int{0, 1}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cl := device.Contiguous([]int{1 << 11, 1 << 11})
			for b.Loop() {
				if err := shared.Binary(device.Add, 0, c, x, cl, x, bc.l); err != nil {
					b.Fatal(err)
				}
				_ = shared.Sync()
			}
			b.ReportMetric(3*4*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

func BenchmarkReduceSum(b *testing.B) {
	r := newRand(b)
	const rows, cols = 1024, 1024
	x := upload(b, device.Float32, randVals(r, device.Float32, rows*cols))
	for _, bc := range []struct {
		name string
		l    device.Layout
		out  int
		nr   int
	}{
		{"rows", device.Contiguous([]int{rows, cols}), rows, 1},
		{"columns", device.Layout{Shape: []int{cols, rows}, Strides: []int{1, cols}}, cols, 1},
		{"all", device.Contiguous([]int{rows, cols}), 1, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := alloc(b, device.Float32, bc.out)
			for b.Loop() {
				if err := shared.Reduce(device.Sum, dst, x, bc.l, bc.nr); err != nil {
					b.Fatal(err)
				}
				_ = shared.Sync()
			}
			b.ReportMetric(4*float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkHalf times the conversions every half op pays (a Cast between
// float32 and each half type) and a contiguous Add in each dtype, the
// widen-compute-narrow path end to end. GB/s counts the bytes of the
// stored types.
func BenchmarkHalf(b *testing.B) {
	r := newRand(b)
	const n = 1 << 22
	l := device.Contiguous([]int{n})
	f := upload(b, device.Float32, randVals(r, device.Float32, n))
	for _, dt := range halfTypes {
		h := upload(b, dt, randVals(r, dt, n))
		for _, bc := range []struct {
			name     string
			dst, src *Buffer
		}{{"narrow", h, f}, {"widen", f, h}} {
			b.Run(fmt.Sprintf("%s/%v", bc.name, dt), func(b *testing.B) {
				for b.Loop() {
					if err := shared.Cast(bc.dst, bc.src, l); err != nil {
						b.Fatal(err)
					}
					_ = shared.Sync()
				}
				b.ReportMetric(6*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
	for _, dt := range append([]device.DType{device.Float32}, halfTypes...) {
		x, c := upload(b, dt, randVals(r, dt, n)), alloc(b, dt, n)
		b.Run(fmt.Sprintf("add/%v", dt), func(b *testing.B) {
			for b.Loop() {
				if err := shared.Binary(device.Add, 0, c, x, l, x, l); err != nil {
					b.Fatal(err)
				}
				_ = shared.Sync()
			}
			b.ReportMetric(3*float64(dt.Size())*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkOptimF32 times each float32 optimizer kernel variant on the
// MLP's 235146 parameters, one thread.
func BenchmarkOptimF32(b *testing.B) {
	gen := optimValues(newRand(b))
	const n = 235146
	p, g, m, v := gen(n, false), gen(n, false), gen(n, false), gen(n, true)
	for _, k := range sgdF32Kernels {
		c := sgdConsts{wd: 1e-4, mom: 0.9, lr: 0.01, mode: 1}
		b.Run("sgd-momentum/"+k.name, func(b *testing.B) {
			for b.Loop() {
				k.run(p, g, m, 0, n, &c)
			}
			b.ReportMetric(float64(16*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
	for _, k := range adamF32Kernels {
		c := newAdamConsts(device.AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 10})
		b.Run("adam/"+k.name, func(b *testing.B) {
			for b.Loop() {
				k.run(p, g, m, v, 0, n, &c)
			}
			b.ReportMetric(float64(28*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
