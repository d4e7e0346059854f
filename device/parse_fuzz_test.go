package device_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
)

// FuzzParse checks that Parse never panics, that what it accepts prints
// back (String) to a string Parse reads as the same device, and that what
// it refuses gets a one-line error that quotes the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"cpu", "CPU", " cuda ", "gpu", "cuda:0", "cuda:7", "cuda:+1", "cuda:-1", "cuda:",
		"cuda:99999999999999999999", "cudasim", "cuda:1x", "tpu", "", "cpu\n", "cuda:0\x00", "cuda:٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := device.Parse(s)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			require.True(t, strings.HasPrefix(err.Error(), "device: "), err.Error())
			require.Contains(t, err.Error(), strconv.Quote(s))
			require.Equal(t, device.Device{}, d)
			return
		}
		require.GreaterOrEqual(t, d.Index, 0)
		require.Contains(t, []device.Kind{device.CPU, device.CUDA, device.CUDASim}, d.Kind)
		if d.Kind != device.CUDA {
			require.Zero(t, d.Index)
		}
		back, err := device.Parse(d.String())
		require.NoError(t, err, "%q prints as %q", s, d.String())
		require.Equal(t, d, back)
	})
}
