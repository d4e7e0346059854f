"""Load tapegrad checkpoints into PyTorch modules with strict=True.

Used by nn's TestTorchLoadsCheckpoint. Users with the safetensors package
read a checkpoint with safetensors.torch.load_file(path); Debian's
python3-torch comes without it, so read_safetensors below is an
equivalent reader of the format (8-byte little-endian header length, JSON
header, raw little-endian data).

argv[1] is a JSON list of {"model", "checkpoint", "input"}; for each, the
script loads the checkpoint's model entries (those without the "optim."
prefix) with load_state_dict(strict=True), runs the model in evaluation
mode on the tensor "x" of the input file, and prints a JSON list of
{"model", "keys", "output", "unfiltered_error"}: the keys loaded, the
output flattened, and what strict loading of the whole file (optimizer
entries included) says.
"""

import json
import struct
import sys
from collections import OrderedDict

import torch
from torch import nn

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
    "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
}


def read_safetensors(path):
    """Returns (tensors by name, metadata), as safetensors.torch.load_file
    (plus safe_open(...).metadata()) would."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, h in header.items():
        start, end = h["data_offsets"]
        dtype = DTYPES[h["dtype"]]
        if end == start:
            t = torch.empty(h["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(data[start:end]), dtype=dtype).reshape(h["shape"])
        out[name] = t
    return out, meta


def build(name):
    """The PyTorch twins of the Go test's models: same layer names."""
    if name == "mlp":  # nn.FashionMLP, no dropout
        return nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(256, 128)), ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(128, 10)),
        ]))
    if name == "cnn":  # nn.FashionCNN, no dropout
        return nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, 32, 3, padding=1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 64, 3, padding=1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()), ("fc1", nn.Linear(64 * 7 * 7, 128)), ("relu3", nn.ReLU()),
            ("fc2", nn.Linear(128, 10)),
        ]))
    if name == "bn":
        return nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 8, 3, stride=2, bias=False)), ("bn", nn.BatchNorm2d(8)),
            ("relu", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", nn.Linear(8 * 3 * 3, 4)),
        ]))
    raise ValueError(name)


def load(model, path):
    """The snippet of nn's package documentation, with read_safetensors
    standing in for load_file."""
    state, _ = read_safetensors(path)
    state = {k: v for k, v in state.items() if not k.startswith("optim.")}
    # tapegrad's BatchNorm keeps no num_batches_tracked (it always has a
    # momentum): take the module's own.
    state.update({k: v for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")})
    model.load_state_dict(state, strict=True)
    return sorted(state)


def unfiltered_error(model, path):
    """What load_state_dict(strict=True) says of the whole file."""
    state, _ = read_safetensors(path)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        return " ".join(str(e).split())
    return ""


def main():
    results = []
    for job in json.loads(sys.argv[1]):
        model = build(job["model"])
        refused = unfiltered_error(build(job["model"]), job["checkpoint"])
        keys = load(model, job["checkpoint"])
        model.eval()
        x, _ = read_safetensors(job["input"])
        with torch.no_grad():
            y = model(x["x"])
        results.append({"model": job["model"], "keys": keys, "output": y.flatten().tolist(),
                        "unfiltered_error": refused})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
