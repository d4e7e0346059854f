package nn_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// python is Debian's interpreter, the one python3-torch installs into.
const python = "/usr/bin/python3"

// TestTorchLoadsCheckpoint checks the PyTorch recipe of the package
// documentation: a checkpoint saved with its optimizer (FashionMLP,
// FashionCNN, and a model with BatchNorm, each after an Adam step) loads
// into the PyTorch twin of the model with load_state_dict(strict=True)
// once the "optim." entries are left out, and the loaded module computes
// what the Go model does. Strict loading of the whole file must fail:
// the optimizer's entries are what the filter is for.
// testdata/torch_load.py does the PyTorch side.
func TestTorchLoadsCheckpoint(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skip("no", python)
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skip("no PyTorch for ", python)
	}
	seed := testSeed(t)
	dir := t.TempDir()
	type job struct {
		Model      string `json:"model"`
		Checkpoint string `json:"checkpoint"`
		Input      string `json:"input"`
	}
	var jobs []job
	want := map[string][]float32{}
	wantKeys := map[string][]string{}
	for i, m := range []struct {
		name  string
		build func(nn.Config) nn.Module
		input []int
	}{
		{"mlp", func(c nn.Config) nn.Module { return nn.FashionMLP(c, 0, nil) }, []int{3, 784}},
		{"cnn", func(c nn.Config) nn.Module { return nn.FashionCNN(c, 0, nil) }, []int{3, 1, 28, 28}},
		{"bn", func(c nn.Config) nn.Module {
			return nn.NewSequential().
				Add("conv", nn.NewConv2dWith(c, nn.Conv2dConfig{In: 3, Out: 8, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}})).
				Add("bn", nn.NewBatchNorm2d(c, 8)).Add("relu", nn.ReLU()).Add("flatten", nn.NewFlatten()).
				Add("fc", nn.NewLinear(c, 8*3*3, 4, true))
		}, []int{3, 3, 8, 8}},
	} {
		rng := tensor.NewRNG(seed + uint64(i))
		c := nn.Config{Device: cpu, DType: device.Float32, RNG: rng}
		model := m.build(c)
		// One Adam step in training mode: moved weights, optimizer state
		// and (for BatchNorm) running statistics that are not the initial
		// ones.
		opt := nn.NewAdam(model.Parameters(), nn.AdamDefaults(1e-2))
		x := rng.Normal(cpu, device.Float32, 0, 1, m.input...)
		out := model.Forward(autograd.Const(x))
		labels := out.Value().ArgMinWith(tensor.ReduceOptions{Axes: []int{1}})
		nn.CrossEntropy(out, labels, 0).Backward()
		opt.Step()

		ck := filepath.Join(dir, m.name+".safetensors")
		require.NoError(t, nn.SaveCheckpoint(ck, model, opt, map[string]string{"note": "test"}))
		f, err := safetensors.ReadFile(ck)
		require.NoError(t, err)
		var names []string
		optim := 0
		for _, e := range f.Tensors {
			if strings.HasPrefix(e.Name, nn.OptimPrefix) {
				optim++
			} else {
				names = append(names, e.Name)
			}
		}
		require.Positive(t, optim, "%s: the checkpoint holds no optimizer state", m.name)
		slices.Sort(names)
		wantKeys[m.name] = names

		in := filepath.Join(dir, m.name+"-x.safetensors")
		xe := rng.Normal(cpu, device.Float32, 0, 1, m.input...)
		require.NoError(t, safetensors.WriteFile(in, safetensors.File{Tensors: []safetensors.Tensor{
			safetensors.FromFloat32s("x", m.input, xe.Float32s())}}))
		model.Train(false)
		want[m.name] = model.Forward(autograd.Const(xe)).Value().Float32s()
		jobs = append(jobs, job{m.name, ck, in})
	}

	spec, err := json.Marshal(jobs)
	require.NoError(t, err)
	cmd := exec.Command(python, "testdata/torch_load.py", string(spec))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "torch_load.py: %s", stderr.String())
	var got []struct {
		Model           string    `json:"model"`
		Keys            []string  `json:"keys"`
		Output          []float64 `json:"output"`
		UnfilteredError string    `json:"unfiltered_error"`
	}
	require.NoError(t, json.Unmarshal(stdout, &got))
	require.Len(t, got, len(jobs))
	for _, g := range got {
		require.Contains(t, g.UnfilteredError, "Unexpected key(s)", "%s: strict loading of optimizer entries", g.Model)
		var keys []string
		for _, k := range g.Keys {
			if !strings.HasSuffix(k, ".num_batches_tracked") {
				keys = append(keys, k)
			}
		}
		require.Equal(t, wantKeys[g.Model], keys, g.Model)
		w := want[g.Model]
		require.Len(t, g.Output, len(w), g.Model)
		scale := 0.0
		for _, v := range w {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i := range w {
			require.InDelta(t, float64(w[i]), g.Output[i], 1e-5*scale+1e-6, "%s output %d", g.Model, i)
		}
	}
}
