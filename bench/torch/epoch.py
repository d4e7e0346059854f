#!/usr/bin/env python3
"""PyTorch's side of `make bench-epoch`: Fashion-MNIST epochs of the MLP
`tapegrad train` trains by default (784-256-128-10 with ReLU, Adam at
lr 1e-3, batch 128, shuffled, pixels scaled to [0, 1]), timed as
`tapegrad train` times its epochs: the training steps plus the test-set
evaluation, data already in memory.

    /usr/bin/python3 bench/torch/epoch.py [--data DIR] [--epochs N] [--threads N]

Prints one line per epoch: seconds, train loss, test accuracy.
"""

import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn


def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    dims = b[3]
    shape = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data, split):
    x = idx(os.path.join(data, f"{split}-images-idx3-ubyte.gz"))
    y = idx(os.path.join(data, f"{split}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255)
    return x, torch.from_numpy(y.astype(np.int64))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("TAPEGRAD_DATA", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave it)")
    p.add_argument("--batch", type=int, default=128)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "t10k")
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads, batch {a.batch}")
    for epoch in range(a.epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(len(xtr))
        total, n = 0.0, 0
        for i in range(0, len(xtr), a.batch):
            j = perm[i:i + a.batch]
            x, y = xtr[j], ytr[j]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(j)
            n += len(j)
        model.eval()
        with torch.no_grad():
            hits = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, len(xte), 1000))
        secs = time.perf_counter() - start
        print(f"epoch {epoch + 1}/{a.epochs}  train loss {total / n:.4f}  test acc {100 * hits / len(xte):.2f}%  {secs:.2f}s")


if __name__ == "__main__":
    main()
