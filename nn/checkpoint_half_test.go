package nn_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/device"
	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/nn/safetensors"
	"github.com/tapegrad/tapegrad/tensor"
)

var halfTypes = []device.DType{device.BFloat16, device.Float16}

// halfNet is a Linear layer in dt, named "fc" as a torch Sequential
// would name it.
func halfNet(dt device.DType, seed uint64) *nn.Sequential {
	c := nn.Config{Device: cpu, DType: dt, RNG: tensor.NewRNG(seed)}
	return nn.NewSequential().Add("fc", nn.NewLinear(c, 7, 3, true))
}

// rawBits returns t's 16-bit patterns.
func rawBits(t *tensor.Tensor) []uint16 {
	out := make([]uint16, t.Numel())
	if t.DType() == device.BFloat16 {
		for i, v := range t.BF16s() {
			out[i] = uint16(v)
		}
	} else {
		for i, v := range t.F16s() {
			out[i] = uint16(v)
		}
	}
	return out
}

// A half model saves as BF16/F16 entries and loads back bit for bit; a
// half file does not load into a float32 model.
func TestCheckpointHalf(t *testing.T) {
	dir := t.TempDir()
	for _, dt := range halfTypes {
		path := filepath.Join(dir, dt.String()+".safetensors")
		m := halfNet(dt, 1)
		require.NoError(t, nn.SaveCheckpoint(path, m, nil, nil))
		f, err := safetensors.ReadFile(path)
		require.NoError(t, err)
		w, ok := f.Get("fc.weight")
		require.True(t, ok)
		require.Equal(t, map[device.DType]string{device.BFloat16: "BF16", device.Float16: "F16"}[dt], w.DType)

		back := halfNet(dt, 2)
		require.NotEqual(t, rawBits(m.Parameters()[0].Var.Value()), rawBits(back.Parameters()[0].Var.Value()))
		_, err = nn.LoadCheckpoint(path, back, nil)
		require.NoError(t, err)
		for i, p := range m.Parameters() {
			got := back.Parameters()[i].Var.Value()
			require.Equal(t, dt, got.DType())
			require.Equal(t, rawBits(p.Var.Value()), rawBits(got), p.Name)
		}
		_, err = nn.LoadCheckpoint(path, halfNet(device.Float32, 3), nil)
		require.ErrorContains(t, err, "fc.weight")
		require.ErrorContains(t, err, w.DType)
	}
}

// torchInterop is run by /usr/bin/python3 with PyTorch 1.13, which has
// no safetensors package: it parses the header with json and maps the
// data with torch.frombuffer. Given our file (argv[1]) it checks that
// every BF16/F16 entry is, bit for bit, PyTorch's rounding of the F32
// entry "src"; then it writes argv[2], a file of its own in the format,
// and prints the bit patterns it wrote.
const torchInterop = `
import json, struct, sys, torch
DT = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    head = json.loads(data[8:8 + n])
    out = {}
    for name, e in head.items():
        if name == "__metadata__":
            continue
        b, f = e["data_offsets"]
        buf = bytearray(data[8 + n + b:8 + n + f])
        out[name] = torch.frombuffer(buf, dtype=DT[e["dtype"]]).reshape(e["shape"])
    return out
ours = load(sys.argv[1])
src = ours["src"]
report = {"checked": []}
report["read"] = {}
for name, dt in (("src_bf16", torch.bfloat16), ("src_f16", torch.float16)):
    got, want = ours[name], src.to(dt)
    # NaN bits differ within PyTorch itself (0x7fc0 scalar, 0xffff from
    # its AVX2 bf16 path): a NaN need only be a NaN.
    same = (got.view(torch.int16) == want.view(torch.int16)) | (got.isnan() & want.isnan())
    if got.shape != want.shape or not bool(same.all()):
        bad = (~same).nonzero()[:5].flatten().tolist()
        sys.exit("%s differs from torch's rounding at %s" % (name, bad))
    report["checked"].append(name)
    report["read"][name] = got.view(torch.int16).numpy().astype("uint16").tolist()
g = torch.Generator().manual_seed(7)
w = torch.randn(3, 7, generator=g) * 3
w[0, :5] = torch.tensor([65504.0, -70000.0, 1e-6, float("inf"), float("nan")])
b = torch.randn(3, generator=g)
tensors = {"fc.weight": w.to(torch.bfloat16), "fc.bias": b.to(torch.bfloat16),
           "h.weight": w.to(torch.float16), "h.bias": b.to(torch.float16)}
head, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
for name, t in tensors.items():
    raw = t.contiguous().view(torch.int16).numpy().tobytes()
    head[name] = {"dtype": "BF16" if t.dtype == torch.bfloat16 else "F16", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
h = json.dumps(head).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
report["bits"] = {k: (t.view(torch.int16).flatten().numpy().astype("uint16")).tolist() for k, t in tensors.items()}
report["w"] = w.flatten().view(torch.int32).tolist()
print(json.dumps(report))
`

// PyTorch reads our BF16/F16 entries bit for bit (and they are its own
// rounding of the float32 values), and we read the BF16/F16 entries it
// writes into half models, bit for bit. Skipped without /usr/bin/python3
// and torch.
func TestSafetensorsHalfTorchInterop(t *testing.T) {
	const python = "/usr/bin/python3" // Debian's, the one with python3-torch
	if testing.Short() {
		t.Skip("-short: importing torch takes seconds")
	}
	if _, err := os.Stat(python); err != nil {
		t.Skip("no", python)
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skip("no torch for", python)
	}
	r := tensor.NewRNG(uint64(seedNow(t)))
	src := r.Normal(cpu, device.Float32, 0, 1000, 129)
	edges := tensor.New([]float32{65504, 65519.99, 65520, -1e-7, 3e-8, 3.39e38, 1e-40, float32(math.Inf(-1)), float32(math.NaN()), 1 + 1.0/256 + 1.0/512})
	src = tensor.Concat(0, src, edges)
	n := src.Numel()
	f := safetensors.File{Tensors: []safetensors.Tensor{
		safetensors.FromFloat32s("src", []int{n}, src.Float32s()),
		safetensors.FromBFloat16s("src_bf16", []int{n}, rawBits(src.Cast(device.BFloat16))),
		safetensors.FromFloat16s("src_f16", []int{n}, rawBits(src.Cast(device.Float16))),
	}}
	dir := t.TempDir()
	ours, theirs := filepath.Join(dir, "ours.safetensors"), filepath.Join(dir, "torch.safetensors")
	require.NoError(t, safetensors.WriteFile(ours, f))
	out, err := exec.Command(python, "-c", torchInterop, ours, theirs).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("python: %v: %s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var rep struct {
		Checked []string
		Read    map[string][]uint16 // our entries as PyTorch read them
		Bits    map[string][]uint16
		W       []int32 // float32 bit patterns: JSON has no NaN
	}
	require.NoError(t, json.Unmarshal(out, &rep))
	require.Equal(t, []string{"src_bf16", "src_f16"}, rep.Checked)
	require.Equal(t, f.Tensors[1].Data, le16(rep.Read["src_bf16"]), "bfloat16 bits as PyTorch read them")
	require.Equal(t, f.Tensors[2].Data, le16(rep.Read["src_f16"]), "float16 bits as PyTorch read them")

	fc, h := halfLinear(t, device.BFloat16), halfLinear(t, device.Float16)
	_, err = nn.LoadCheckpoint(theirs, nn.NewSequential().Add("fc", fc).Add("h", h), nil)
	require.NoError(t, err)
	require.Equal(t, rep.Bits["fc.weight"], rawBits(fc.Weight.Value().Flatten()))
	require.Equal(t, rep.Bits["fc.bias"], rawBits(fc.Bias.Value()))
	require.Equal(t, rep.Bits["h.weight"], rawBits(h.Weight.Value().Flatten()))
	require.Equal(t, rep.Bits["h.bias"], rawBits(h.Bias.Value()))
	// and PyTorch's rounding of its float32 weights is ours
	w := make([]float32, len(rep.W))
	for i, v := range rep.W {
		w[i] = math.Float32frombits(uint32(v))
	}
	// (a NaN only as a NaN: PyTorch's own bits for it vary by code path)
	for _, dt := range halfTypes {
		name := map[device.DType]string{device.BFloat16: "fc.weight", device.Float16: "h.weight"}[dt]
		ourBits := rawBits(tensor.New(w).Cast(dt))
		for i, v := range w {
			if v != v {
				ourBits[i] = rep.Bits[name][i]
			}
		}
		require.Equal(t, rep.Bits[name], ourBits, name)
	}
}

// le16 lays 16-bit values out little-endian, as safetensors stores them.
func le16(v []uint16) []byte {
	out := make([]byte, 0, 2*len(v))
	for _, x := range v {
		out = append(out, byte(x), byte(x>>8))
	}
	return out
}

func halfLinear(t *testing.T, dt device.DType) *nn.Linear {
	t.Helper()
	return nn.NewLinear(nn.Config{Device: cpu, DType: dt, RNG: tensor.NewRNG(1)}, 7, 3, true)
}

func seedNow(t *testing.T) int64 {
	s := time.Now().UnixNano()
	t.Log("seed " + strconv.FormatInt(s, 10))
	return s
}
