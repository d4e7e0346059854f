package nn_test

import (
	"bytes"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// FuzzLoadCheckpoint checks that LoadCheckpoint never panics, that a file
// it refuses leaves the model and optimizer as they were, with a one-line
// error naming the file, and that a file it accepts sets exactly the
// file's values. The seeds are checkpoints of smallNet with Adam state and
// a training run's resume metadata, and damaged copies of them.
func FuzzLoadCheckpoint(f *testing.F) {
	const seed = 11 // fixed: seeds must be stable across runs
	m := smallNet(seed, 3, tensor.NewRNG(seed))
	opt := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-2))
	xs, ys := batches(seed+1, 2)
	trainSteps(m, opt, xs, ys)
	path := filepath.Join(f.TempDir(), "ck.safetensors")
	meta := map[string]string{"tapegrad.epoch": "1", "tapegrad.step": "2", "tapegrad.history": `[{"epoch":1,"step":2}]`}
	require.NoError(f, nn.SaveCheckpoint(path, m, opt, meta))
	good, err := os.ReadFile(path)
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:len(good)-5])
	parsed, err := safetensors.Parse(good, "seed")
	require.NoError(f, err)
	for _, change := range []func(*safetensors.File){
		func(c *safetensors.File) { c.Metadata[nn.MetaOptimSteps] = "-3" },
		func(c *safetensors.File) { delete(c.Metadata, nn.MetaOptimSteps) },
		func(c *safetensors.File) { c.Metadata["tapegrad.epoch"] = "-7" },
		func(c *safetensors.File) { c.Tensors = c.Tensors[1:] },
		func(c *safetensors.File) { c.Tensors[0].Shape = []int{len(c.Tensors[0].Data) / 4} },
		func(c *safetensors.File) { c.Tensors[0].DType = "I32" },
	} {
		c := parsed
		c.Metadata = maps.Clone(parsed.Metadata)
		c.Tensors = append([]safetensors.Tensor(nil), parsed.Tensors...)
		change(&c)
		var buf bytes.Buffer
		require.NoError(f, safetensors.Encode(&buf, c))
		f.Add(buf.Bytes())
	}

	f.Fuzz(func(t *testing.T, b []byte) {
		file := filepath.Join(t.TempDir(), "fuzz.safetensors")
		require.NoError(t, os.WriteFile(file, b, 0o644))
		m := smallNet(seed+2, 3, tensor.NewRNG(seed))
		opt := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-2))
		before, optBefore := snapshot(m), opt.State()
		_, err := nn.LoadCheckpoint(file, m, opt)
		if err != nil {
			require.Equal(t, before, snapshot(m), "a refused file changed the model")
			require.Equal(t, optBefore.Steps, opt.State().Steps, "a refused file changed the optimizer")
			require.NotContains(t, err.Error(), "\n")
			require.Contains(t, err.Error(), file)
			return
		}
		st, err := safetensors.Parse(b, file)
		require.NoError(t, err, "LoadCheckpoint accepted what Parse refuses")
		got := snapshot(m)
		for _, tt := range st.Tensors {
			if strings.HasPrefix(tt.Name, nn.OptimPrefix) {
				continue
			}
			v, ok := got[tt.Name]
			require.True(t, ok, "file entry %q is not in the model", tt.Name)
			want, err := safetensors.Float32s(tt)
			require.NoError(t, err)
			require.Len(t, v, len(want))
			for i := range want {
				w := float64(want[i])
				require.True(t, w == v[i] || math.IsNaN(w) && math.IsNaN(v[i]), "%s[%d]: want %v, got %v", tt.Name, i, w, v[i])
			}
		}
	})
}
