package cpu

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// TestFMAProbe runs every kernel this machine has on three goroutines and
// checks the exact count and out[0] (each chain counts 1, 2, 3, ... so it
// ends at the steps per call). Rows give work in units of one step of
// every chain on every goroutine (unit), plus extra FMAs that round up to
// one more step.
func TestFMAProbe(t *testing.T) {
	procs := runtime.GOMAXPROCS(3)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	steps := probeSteps
	t.Cleanup(func() { probeSteps = steps })
	cases := []struct {
		name        string
		units       int64 // work = units*unit + extra
		extra       int64
		chunk       int64 // probeSteps
		wantSteps   int64 // per call: out[0]
		wantCalls   int64
		wantCountIn int64 // count in units
	}{
		{"one FMA rounds up to one step", 0, 1, 1 << 24, 1, 1, 1},
		{"whole steps", 1000, 0, 1 << 24, 1000, 1, 1000},
		{"a partial step rounds up", 1000, 1, 1 << 24, 1001, 1, 1001},
		{"the last exact float32 in one call", 1 << 24, 0, 1 << 24, 1 << 24, 1, 1 << 24},
		{"one more step takes two calls", 1<<24 + 1, 0, 1 << 24, 1<<23 + 1, 2, 1<<24 + 2},
		{"equal calls of at most the chunk", 9, 0, 4, 3, 3, 9},
		{"calls round up", 10, 0, 4, 4, 3, 12},
	}
	for _, k := range fmaKernels {
		for _, dt := range floatTypes {
			unit := chainsOf(k, dt) * 3
			for _, c := range cases {
				t.Run(fmt.Sprintf("%s/%v/%s", k.name, dt, c.name), func(t *testing.T) {
					probeSteps = c.chunk
					out := alloc(t, dt, 2)
					got, err := fmaProbe(k, dt, c.units*unit+c.extra, out)
					require.NoError(t, err)
					require.Equal(t, c.wantCountIn*unit, got)
					require.GreaterOrEqual(t, got, c.units*unit+c.extra)
					require.Less(t, got, c.units*unit+c.extra+c.wantCalls*unit)
					require.Equal(t, []float64{float64(c.wantSteps), 12345}, download(t, out))
				})
			}
		}
	}
}

// TestFMAProbeKernels checks that FMAProbe uses the machine's fastest
// kernel, that the portable one is always there, and that every kernel
// leaves the same value after the same steps.
func TestFMAProbeKernels(t *testing.T) {
	require.Equal(t, "go", fmaKernels[len(fmaKernels)-1].name)
	procs := int64(runtime.GOMAXPROCS(0))
	for _, dt := range floatTypes {
		out := alloc(t, dt, 1)
		n, err := shared.FMAProbe(dt, 777*chainsOf(fmaKernels[0], dt)*procs, out)
		require.NoError(t, err)
		require.Equal(t, 777*chainsOf(fmaKernels[0], dt)*procs, n)
		require.Equal(t, []float64{777}, download(t, out))
		for _, k := range fmaKernels {
			const steps = 1<<20 + 3
			out := alloc(t, dt, 1)
			_, err := fmaProbe(k, dt, steps*chainsOf(k, dt)*procs, out)
			require.NoError(t, err)
			require.Equal(t, []float64{steps}, download(t, out), "kernel %s, %v", k.name, dt)
		}
	}
}

// chainsOf is how many chains kernel k runs per step for dt.
func chainsOf(k fmaKernel, dt device.DType) int64 {
	if dt == device.Float32 {
		return k.chains32
	}
	return k.chains64
}

// TestFMAProbeErrors checks the dtype, the out buffer and the work.
func TestFMAProbeErrors(t *testing.T) {
	f32, f64 := alloc(t, device.Float32, 1), alloc(t, device.Float64, 4)
	empty := alloc(t, device.Float32, 0)
	freed := alloc(t, device.Float32, 1)
	shared.Free(freed)
	cases := []struct {
		name string
		dt   device.DType
		work int64
		out  device.Buffer
		want string
	}{
		{"int32", device.Int32, 100, alloc(t, device.Int32, 1), "not supported for int32"},
		{"nil out", device.Float32, 100, nil, "nil buffer"},
		{"dtype mismatch", device.Float32, 100, f64, "got a float64 buffer, want float32"},
		{"empty out", device.Float32, 100, empty, "out needs 1 elements, buffer has 0"},
		{"freed out", device.Float32, 100, freed, "buffer used after Free"},
		{"zero work", device.Float64, 0, f64, "work 0 out of range"},
		{"negative work", device.Float32, -5, f32, "work -5 out of range"},
		{"too much work", device.Float32, 1<<62 + 1, f32, "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := shared.FMAProbe(c.dt, c.work, c.out)
			require.ErrorContains(t, err, c.want)
			require.Zero(t, n)
		})
	}
}
