"""Grouped transposed convolutions in PyTorch, for nn's TestConvTransposeTorch.

Reads from stdin a JSON list of cases {"x", "x_shape", "w", "w_shape", "b"
(or null), "dy", "stride", "padding", "groups"} and prints, per case, a
JSON object {"shape", "y", "dx", "dw", "db"}: the output of
torch.nn.functional.conv_transpose2d in float64, flattened, and the
gradients of sum(y * dy) with respect to x, w and b (db null without b).
"""

import json
import sys

import torch
import torch.nn.functional as F


def main():
    out = []
    for c in json.load(sys.stdin):
        x = torch.tensor(c["x"], dtype=torch.float64).reshape(c["x_shape"]).requires_grad_()
        w = torch.tensor(c["w"], dtype=torch.float64).reshape(c["w_shape"]).requires_grad_()
        b = None
        if c["b"] is not None:
            b = torch.tensor(c["b"], dtype=torch.float64).requires_grad_()
        y = F.conv_transpose2d(x, w, b, stride=c["stride"], padding=c["padding"], groups=c["groups"])
        dy = torch.tensor(c["dy"], dtype=torch.float64).reshape(y.shape)
        (y * dy).sum().backward()
        out.append({
            "shape": list(y.shape),
            "y": y.detach().flatten().tolist(),
            "dx": x.grad.flatten().tolist(),
            "dw": w.grad.flatten().tolist(),
            "db": None if b is None else b.grad.tolist(),
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
