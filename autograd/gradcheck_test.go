package autograd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	_ "github.com/tapegrad/tapegrad/kernels/cpu"
)

// testSeed returns a fresh seed and logs it so a failure can be replayed.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return seed
}

// TestCases gradient-checks every registered op in float64 on the CPU,
// first and second order, through the broadcasting and strided views its
// case builds.
func TestCases(t *testing.T) {
	seed := testSeed(t)
	names := map[string]bool{}
	for _, c := range autograd.Cases() {
		require.False(t, names[c.Name], "duplicate case %s", c.Name)
		names[c.Name] = true
		for _, second := range []bool{false, true} {
			name := c.Name
			if second {
				name += "/second"
			}
			t.Run(name, func(t *testing.T) {
				for k := range uint64(3) {
					xs := c.Inputs(device.CPUDevice, device.Float64, seed+k)
					opts := c.Options
					opts.Seed, opts.SecondOrder = seed+k, second
					rep, err := autograd.Check(c.F, xs, opts)
					require.NoError(t, err)
					var shapes [][]int
					for _, x := range xs {
						shapes = append(shapes, x.Shape())
					}
					require.True(t, rep.Pass, "seed %d inputs %v: %v", seed+k, shapes, rep)
					require.Positive(t, rep.Checked)
				}
			})
		}
	}
}
