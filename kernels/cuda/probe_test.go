package cuda

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/kernels/cuda/cudasim"
	"github.com/tapegrad/tapegrad/kernels/cuda/driver"
)

// countingDriver counts the launches and syncs it passes on.
type countingDriver struct {
	driver.Driver
	launches, syncs int
}

func (c *countingDriver) Launch(f driver.Function, grid, block driver.Dim3, shared int, args ...any) error {
	c.launches++
	return c.Driver.Launch(f, grid, block, shared, args...)
}

func (c *countingDriver) Sync() error {
	c.syncs++
	return c.Driver.Sync()
}

// TestFMAProbe runs fma_probe_<dt> on cudasim with three multiprocessors
// and checks the grid, the exact count, the launches (and that FMAProbe
// queues them without a sync) and out[0] (chain 0 counts 1, 2, 3, ... so
// it ends at the steps per launch). Rows give work in units of one step
// of every chain (unit), plus extra FMAs that round up to one more step.
func TestFMAProbe(t *testing.T) {
	steps := probeSteps
	t.Cleanup(func() { probeSteps = steps })
	cases := []struct {
		name         string
		units, extra int64 // work = units*unit + extra
		chunk        int64 // probeSteps
		gridCap      int   // 0: New's
		wantSteps    int64 // per launch: out[0]
		wantLaunches int
		wantUnits    int64 // count in units
	}{
		{"one FMA covers the device", 0, 1, 1 << 24, 0, 1, 1, 1},
		{"whole steps", 3, 0, 1 << 24, 0, 3, 1, 3},
		{"a partial step rounds up", 3, 1, 1 << 24, 0, 4, 1, 4},
		{"equal launches of at most the chunk", 6, 0, 2, 0, 2, 3, 6},
		{"launches round up", 5, 0, 2, 0, 2, 3, 6},
		{"grid cap", 2, 0, 1 << 24, 2, 2, 1, 2},
	}
	for _, dt := range []device.DType{device.Float32, device.Float64} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				drv := &countingDriver{Driver: cudasim.New(cudasim.WithWorkers(3))}
				b := New(device.CUDASimDevice, drv)
				blocks := 3 * probeBlocksPerSM
				if c.gridCap > 0 {
					b.gridCap, blocks = c.gridCap, c.gridCap
				}
				unit := int64(blocks * blockSize * probeChains)
				probeSteps = c.chunk
				out := allocProbeOut(t, b, dt)

				got, err := b.FMAProbe(dt, c.units*unit+c.extra, out)
				require.NoError(t, err)
				require.Equal(t, c.wantUnits*unit, got)
				require.GreaterOrEqual(t, got, c.units*unit+c.extra)
				require.Less(t, got, c.units*unit+c.extra+int64(c.wantLaunches)*unit)
				require.Equal(t, c.wantLaunches, drv.launches)
				require.Zero(t, drv.syncs, "FMAProbe must leave the sync to its caller")

				require.NoError(t, b.Sync())
				require.Equal(t, []float64{float64(c.wantSteps), 12345}, readProbeOut(t, b, out))
			})
		}
	}
}

// TestFMAProbeErrors checks the dtype, the out buffer and the work.
func TestFMAProbeErrors(t *testing.T) {
	b := New(device.CUDASimDevice, cudasim.New(cudasim.WithWorkers(1)))
	f32 := allocProbeOut(t, b, device.Float32)
	f64 := allocProbeOut(t, b, device.Float64)
	empty, err := b.Alloc(device.Float32, 0)
	require.NoError(t, err)
	freed, err := b.Alloc(device.Float32, 1)
	require.NoError(t, err)
	b.Free(freed)
	i32, err := b.Alloc(device.Int32, 1)
	require.NoError(t, err)
	cases := []struct {
		name string
		dt   device.DType
		work int64
		out  device.Buffer
		want string
	}{
		{"int32", device.Int32, 100, i32, "FMAProbe: not supported for int32"},
		{"nil out", device.Float32, 100, nil, "out is a nil buffer"},
		{"foreign buffer", device.Float32, 100, otherBuffer{}, "out of type cuda.otherBuffer is not a cudasim buffer"},
		{"dtype mismatch", device.Float32, 100, f64, "out is float64, want float32"},
		{"empty out", device.Float32, 100, empty, "out needs 1 elements, buffer has 0"},
		{"freed out", device.Float32, 100, freed, "buffer used after Free"},
		{"zero work", device.Float64, 0, f64, "work 0 out of range"},
		{"negative work", device.Float32, -5, f32, "work -5 out of range"},
		{"too much work", device.Float32, math.MaxInt64, f32, "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := b.FMAProbe(c.dt, c.work, c.out)
			require.ErrorContains(t, err, c.want)
			require.Zero(t, n)
		})
	}
}

// allocProbeOut allocates two elements of dt holding 12345, so a probe
// that writes past out[0] fails.
func allocProbeOut(t *testing.T, b *Backend, dt device.DType) device.Buffer {
	t.Helper()
	out, err := b.Alloc(dt, 2)
	require.NoError(t, err)
	t.Cleanup(func() { b.Free(out) })
	if dt == device.Float32 {
		require.NoError(t, b.Write(out, []float32{12345, 12345}))
	} else {
		require.NoError(t, b.Write(out, []float64{12345, 12345}))
	}
	return out
}

// readProbeOut reads the two elements of out as float64s.
func readProbeOut(t *testing.T, b *Backend, out device.Buffer) []float64 {
	t.Helper()
	if out.DType() == device.Float64 {
		got := make([]float64, 2)
		require.NoError(t, b.Read(got, out))
		return got
	}
	got := make([]float32, 2)
	require.NoError(t, b.Read(got, out))
	return []float64{float64(got[0]), float64(got[1])}
}

// otherBuffer is a device.Buffer of no backend.
type otherBuffer struct{}

func (otherBuffer) DType() device.DType { return device.Float32 }
func (otherBuffer) Len() int            { return 1 }
