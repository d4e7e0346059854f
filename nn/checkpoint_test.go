package nn_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/autograd"
	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

// smallNet is a model with parameters, buffers and dropout: every kind
// of state a checkpoint carries.
func smallNet(seed uint64, out int, dropRNG *tensor.RNG) *nn.Sequential {
	c := nn.Config{Device: cpu, DType: device.Float32, RNG: tensor.NewRNG(seed)}
	return nn.NewSequential().Add("fc1", nn.NewLinear(c, 4, 8, true)).Add("bn", nn.NewBatchNorm1d(c, 8)).
		Add("relu", nn.ReLU()).Add("drop", nn.NewDropout(0.25, dropRNG)).Add("fc2", nn.NewLinear(c, 8, out, true))
}

// batches returns n fixed random batches of 16 samples with 3 classes.
func batches(seed uint64, n int) (xs, ys []*tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	for range n {
		xs = append(xs, rng.Normal(cpu, device.Float32, 0, 1, 16, 4))
		ys = append(ys, randLabels(rng, 16, 3))
	}
	return xs, ys
}

// trainSteps runs one optimizer step per batch and returns the losses.
func trainSteps(m nn.Module, opt nn.Optimizer, xs, ys []*tensor.Tensor) []float64 {
	var losses []float64
	for i := range xs {
		loss := nn.CrossEntropy(m.Forward(autograd.Const(xs[i])), ys[i], 0)
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		losses = append(losses, loss.Value().Item())
	}
	return losses
}

// snapshot copies every parameter and buffer of m to the host.
func snapshot(m nn.Module) map[string][]float64 {
	out := map[string][]float64{}
	for _, p := range m.Parameters() {
		out[p.Name] = p.Var.Value().Float64s()
	}
	for _, b := range m.Buffers() {
		out[b.Name] = b.Tensor.Float64s()
	}
	return out
}

func TestCheckpointRoundTrip(t *testing.T) {
	seed := testSeed(t)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	m := smallNet(seed, 3, tensor.NewRNG(seed))
	opt := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-2))
	xs, ys := batches(seed+1, 3)
	trainSteps(m, opt, xs, ys)
	require.NoError(t, nn.SaveCheckpoint(path, m, opt, map[string]string{"epoch": "7"}))

	m2 := smallNet(seed+99, 3, tensor.NewRNG(seed))
	opt2 := nn.NewAdam(m2.Parameters(), nn.AdamDefaults(1e-2))
	require.NotEqual(t, snapshot(m), snapshot(m2))
	meta, err := nn.LoadCheckpoint(path, m2, opt2)
	require.NoError(t, err)
	require.Equal(t, "7", meta["epoch"])
	require.Equal(t, "pt", meta["format"])
	require.Equal(t, snapshot(m), snapshot(m2), "bit-identical weights and buffers")
	s1, s2 := opt.State(), opt2.State()
	require.Equal(t, s1.Steps, s2.Steps)
	require.Len(t, s2.Tensors, len(s1.Tensors))
	for i := range s1.Tensors {
		require.Equal(t, s1.Tensors[i].Name, s2.Tensors[i].Name)
		require.Equal(t, s1.Tensors[i].Tensor.Float64s(), s2.Tensors[i].Tensor.Float64s(), s1.Tensors[i].Name)
	}

	// The file is a PyTorch state dict plus "optim." entries.
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	w, ok := f.Get("fc1.weight")
	require.True(t, ok)
	require.Equal(t, safetensors.F32, w.DType)
	require.Equal(t, []int{8, 4}, w.Shape)
	_, ok = f.Get("bn.running_var")
	require.True(t, ok)
	st, ok := f.Get("optim.fc1.weight.step")
	require.True(t, ok)
	require.Equal(t, safetensors.I32, st.DType)

	// Weights only: loads without an optimizer, and refuses to restore one.
	wpath := filepath.Join(t.TempDir(), "weights.safetensors")
	require.NoError(t, nn.SaveCheckpoint(wpath, m, nil, nil))
	_, err = nn.LoadCheckpoint(wpath, smallNet(seed, 3, tensor.NewRNG(seed)), nil)
	require.NoError(t, err)
	_, err = nn.LoadCheckpoint(wpath, m2, opt2)
	require.ErrorContains(t, err, "no optimizer state")
}

func TestCheckpointFloat64(t *testing.T) {
	seed := testSeed(t)
	path := filepath.Join(t.TempDir(), "f64.safetensors")
	m := nn.NewSequential(nn.NewLinear(cfg64(seed), 3, 2, true))
	require.NoError(t, nn.SaveCheckpoint(path, m, nil, nil))
	m2 := nn.NewSequential(nn.NewLinear(cfg64(seed+1), 3, 2, true))
	_, err := nn.LoadCheckpoint(path, m2, nil)
	require.NoError(t, err)
	require.Equal(t, snapshot(m), snapshot(m2))
	f, err := safetensors.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, safetensors.F64, f.Tensors[0].DType)
}

// Training resumed from a checkpoint continues the loss curve of an
// uninterrupted run exactly, dropout masks included.
func TestResumeContinuesLossCurve(t *testing.T) {
	seed := testSeed(t)
	xs, ys := batches(seed+1, 8)
	straight := smallNet(seed, 3, tensor.NewRNG(seed+2))
	want := trainSteps(straight, nn.NewSGD(straight.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9, Nesterov: true}), xs, ys)

	path := filepath.Join(t.TempDir(), "ck.safetensors")
	drop := tensor.NewRNG(seed + 2)
	first := smallNet(seed, 3, drop)
	opt := nn.NewSGD(first.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9, Nesterov: true})
	got := trainSteps(first, opt, xs[:4], ys[:4])
	require.NoError(t, nn.SaveCheckpoint(path, first, opt, map[string]string{"dropout_offset": strconv.FormatUint(drop.Offset(), 10)}))

	drop2 := tensor.NewRNG(seed + 2)
	second := smallNet(seed+50, 3, drop2)
	opt2 := nn.NewSGD(second.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9, Nesterov: true})
	meta, err := nn.LoadCheckpoint(path, second, opt2)
	require.NoError(t, err)
	off, err := strconv.ParseUint(meta["dropout_offset"], 10, 64)
	require.NoError(t, err)
	drop2.SetOffset(off)
	got = append(got, trainSteps(second, opt2, xs[4:], ys[4:])...)
	require.Equal(t, want, got)
	require.Equal(t, snapshot(straight), snapshot(second))
}

// requireUnchanged checks that a failed load left m as it was.
func requireUnchanged(t *testing.T, before map[string][]float64, m nn.Module) {
	t.Helper()
	require.Equal(t, before, snapshot(m), "a failed load must change nothing")
}

func TestCheckpointMismatch(t *testing.T) {
	seed := testSeed(t)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	src := smallNet(seed, 3, tensor.NewRNG(seed))
	require.NoError(t, nn.SaveCheckpoint(path, src, nil, nil))
	c := nn.Config{Device: cpu, DType: device.Float32, RNG: tensor.NewRNG(seed + 1)}
	c64 := cfg64(seed + 1)
	cases := []struct {
		name  string
		model *nn.Sequential
		kind  error
		want  []string // substrings of the message
	}{
		{"shape", smallNet(seed+1, 5, tensor.NewRNG(seed)), nn.ErrShape, []string{`wrong shape "fc2.weight": want [5 8], got [3 8]`, `"fc2.bias"`}},
		{"missing", smallNet(seed+1, 3, tensor.NewRNG(seed)).Add("fc3", nn.NewLinear(c, 3, 3, false)), nn.ErrMissing, []string{`missing "fc3.weight"`}},
		{"unexpected", nn.NewSequential().Add("fc1", nn.NewLinear(c, 4, 8, true)).Add("bn", nn.NewBatchNorm1d(c, 8)),
			nn.ErrUnexpected, []string{`unexpected "fc2.weight"`, `unexpected "fc2.bias"`}},
		{"dtype", nn.NewSequential().Add("fc1", nn.NewLinear(c64, 4, 8, true)).Add("bn", nn.NewBatchNorm1d(c, 8)).Add("fc2", nn.NewLinear(c, 8, 3, true)),
			nn.ErrDType, []string{`wrong dtype "fc1.weight": want F64, got F32`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(tc.model)
			_, err := nn.LoadCheckpoint(path, tc.model, nil)
			require.Error(t, err)
			require.True(t, errors.Is(err, tc.kind), "%v", err)
			var me *nn.MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, path, me.File)
			for _, s := range tc.want {
				require.ErrorContains(t, err, s)
			}
			requireUnchanged(t, before, tc.model)
		})
	}
	// Optimizer state of a different model is named too, and nothing loads.
	opt := nn.NewAdam(src.Parameters(), nn.AdamDefaults(1e-3))
	xs, ys := batches(seed, 1)
	trainSteps(src, opt, xs, ys)
	require.NoError(t, nn.SaveCheckpoint(path, src, opt, nil))
	other := smallNet(seed+1, 3, tensor.NewRNG(seed))
	before := snapshot(other)
	sgd := nn.NewSGD(other.Parameters(), device.SGDParams{LR: 0.1, Momentum: 0.9})
	_, err := nn.LoadCheckpoint(path, other, sgd)
	require.True(t, errors.Is(err, nn.ErrUnexpected), "%v", err)
	require.ErrorContains(t, err, `unexpected "optim.fc1.weight.exp_avg"`)
	requireUnchanged(t, before, other)
}

func TestCheckpointCorrupt(t *testing.T) {
	seed := testSeed(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	src := smallNet(seed, 3, tensor.NewRNG(seed))
	opt := nn.NewAdam(src.Parameters(), nn.AdamDefaults(1e-3))
	xs, ys := batches(seed, 1)
	trainSteps(src, opt, xs, ys)
	require.NoError(t, nn.SaveCheckpoint(good, src, opt, nil))
	data, err := os.ReadFile(good)
	require.NoError(t, err)

	dst := smallNet(seed+1, 3, tensor.NewRNG(seed))
	dstOpt := nn.NewAdam(dst.Parameters(), nn.AdamDefaults(1e-3))
	before := snapshot(dst)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	header := func(b []byte) []byte { // bytes with the header's first '{' broken
		c := append([]byte(nil), b...)
		c[8] = 'x'
		return c
	}
	cases := []struct {
		name string
		data []byte
		kind error
	}{
		{"truncated", data[:len(data)/2], safetensors.ErrTruncated},
		{"short", data[:5], safetensors.ErrTruncated},
		{"corrupt header", header(data), safetensors.ErrCorrupt},
		{"trailing bytes", append(append([]byte(nil), data...), 1, 2, 3), safetensors.ErrCorrupt},
		{"huge header length", append([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, data[8:]...), safetensors.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.name, tc.data)
			_, err := nn.LoadCheckpoint(p, dst, dstOpt)
			require.Error(t, err)
			require.True(t, errors.Is(err, tc.kind), "%v", err)
			require.ErrorContains(t, err, p, "the error names the file")
			requireUnchanged(t, before, dst)
		})
	}
	_, err = nn.LoadCheckpoint(filepath.Join(dir, "absent"), dst, nil)
	require.ErrorIs(t, err, os.ErrNotExist)

	// Random damage anywhere in the header gives an error or (for damage
	// the format cannot see, such as a changed digit of a value) a clean
	// load; never a panic.
	r := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		c := append([]byte(nil), data...)
		for range 1 + r.IntN(3) {
			c[r.IntN(600)] = byte(r.Uint32())
		}
		p := write("fuzz", c)
		m := smallNet(seed+1, 3, tensor.NewRNG(seed))
		o := nn.NewAdam(m.Parameters(), nn.AdamDefaults(1e-3))
		require.NotPanics(t, func() { _, _ = nn.LoadCheckpoint(p, m, o) })
	}
}
