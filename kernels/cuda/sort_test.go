package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestSortLongRows checks Sort and TopK of rows longer than the
// conformance suite's on cudasim against the CPU, exactly (positions and
// bits): rows whose padded length brings every kind of global launch
// (two strides a launch, and an odd one) and several merge sizes, and a
// TopK of 10 that selects over 20 chunks. Rows mix ties, NaNs, ±Inf and
// both zeros; a half dtype checks the widened keys.
func TestSortLongRows(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for _, dt := range []device.DType{device.Float32, device.Float16} {
		for _, c := range []struct{ rows, n, k int }{{1, 8193, 300}, {2, 20011, 20011}, {1, 40009, 10}} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%dx%d/first%d/desc=%v", dt, c.rows, c.n, c.k, desc), func(t *testing.T) {
					v := make([]float64, c.rows*c.n)
					for i := range v {
						switch u := r.IntN(10); {
						case u < 3:
							v[i] = float64(r.IntN(5) - 2)
						case u == 3:
							v[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}[r.IntN(4)]
						default:
							v[i] = r.NormFloat64() * 100
						}
					}
					x := tensor.New(v, c.rows, c.n).Cast(dt)
					var wantV, wantI, gotV, gotI *tensor.Tensor
					if c.k == c.n {
						wantV, wantI = x.Sort(1, desc)
						gotV, gotI = x.To(device.CUDASimDevice).Sort(1, desc)
					} else {
						wantV, wantI = x.TopK(c.k, 1, desc)
						gotV, gotI = x.To(device.CUDASimDevice).TopK(c.k, 1, desc)
					}
					require.Equal(t, wantI.Int32s(), gotI.To(device.CPUDevice).Int32s())
					wb, gb := wantV.Cast(device.Float64).Float64s(), gotV.To(device.CPUDevice).Cast(device.Float64).Float64s()
					for i := range wb {
						if math.Float64bits(wb[i]) != math.Float64bits(gb[i]) && !(math.IsNaN(wb[i]) && math.IsNaN(gb[i])) {
							t.Fatalf("value %d: %v, want %v", i, gb[i], wb[i])
						}
					}
				})
			}
		}
	}
}
