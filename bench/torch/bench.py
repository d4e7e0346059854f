#!/usr/bin/env python3
"""PyTorch counterpart of tapegrad's bench package.

Runs the workloads of bench/*.go with the same IDs, shapes, FLOPs and
bytes in PyTorch on the CPU, checks each against PyTorch itself in float64
on the same rounded inputs, times it as bench/run.go does, and writes the
"tapegrad-bench/1" JSON of bench/report.go, so that `tapegrad bench` can
put PyTorch in a ratio column.

    /usr/bin/python3 bench/torch/bench.py [--run REGEXP] [--count N]
        [--min-time S] [--threads N] [--dtype f32,f64]
        [--scale full|small|tiny] [--json FILE] [--fma-gflops X]
        [--require-tuned-blas] [--self-test] [--list]
"""

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from typing import Callable, NamedTuple

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError:  # --list needs only the workload table
    torch = None

# jacfwd/jacrev: torch.func from PyTorch 2.0, functorch in 1.13 (Debian's
# python3-torch may have neither); without them the jacobian rows are
# skipped with a note.
jacfwd = jacrev = None
if torch is not None:
    try:
        from torch.func import jacfwd, jacrev
    except ImportError:
        try:
            from functorch import jacfwd, jacrev
        except ImportError:
            pass

SCHEMA = "tapegrad-bench/1"
SCALES = ("full", "small", "tiny")
DTYPES = {"f32": torch.float32, "f64": torch.float64} if torch else {}
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"} if torch else {}
DEFAULT_TOL, DEFAULT_TOL64 = 1e-3, 1e-9
SEED = 1  # bench.Options.Seed's default


def pick(s, full, small, tiny):
    return {"full": full, "small": small, "tiny": tiny}[s]


class Env:
    """Inputs drawn from one seeded stream in float64, rounded to the run's
    dtype (round) and held in dtype, as bench.Env makes them: the float64
    reference gets the same values as the run it checks."""

    def __init__(self, dtype, round_dtype):
        self.dtype, self.round = dtype, round_dtype
        self.gen = torch.Generator().manual_seed(SEED)

    def place(self, t):
        return t.to(self.round).to(self.dtype)

    def normal(self, std, *shape):
        return self.place(torch.randn(shape, generator=self.gen, dtype=torch.float64) * std)

    def uniform(self, lo, hi, *shape):
        return self.place(lo + (hi - lo) * torch.rand(shape, generator=self.gen, dtype=torch.float64))

    def labels(self, n, classes):
        u = torch.rand(n, generator=self.gen, dtype=torch.float64) * classes
        return u.floor().clamp(max=classes - 1).long()

    def init(self, params):
        # N(0, 1/fan_in), fan_in the product of all but the first dimension
        # (1 for a bias), as bench.Env.Init.
        with torch.no_grad():
            for p in params:
                p.copy_(self.normal(1 / math.sqrt(math.prod(p.shape[1:])), *p.shape))


class Instance(NamedTuple):
    # run does one run and returns what outputs turns into the tensors the
    # error check compares (the Go Outputs).
    run: Callable
    outputs: Callable = lambda r: [r]


class Size(NamedTuple):
    shape: str
    flops: float
    moved: float  # elements read plus written; bytes are moved × element size
    setup: Callable  # Env -> Instance


class Workload(NamedTuple):
    group: str
    name: str
    bound: str  # compute, memory or overhead
    size: Callable  # scale -> Size
    tol: float = 0  # float32 tolerance when not DEFAULT_TOL
    supported: bool = True  # False: PyTorch cannot run it on the CPU (skipped)

    @property
    def id(self):
        return self.group + "/" + self.name

    def tolerance(self, dtype):
        if dtype == torch.float64:
            return DEFAULT_TOL64
        return self.tol or DEFAULT_TOL


# The workload table. It mirrors bench/gemm.go, elementwise.go, nnops.go,
# train.go and jacobian.go: the same IDs, sizes at every scale, Shape strings, FLOPs
# and Moved formulas, and the same inputs (distributions and draw order).
# Keep it in sync with them; the Go comments give each formula's reasoning.

def gemm_workloads():
    def gemm(name, ta, tb, dims):
        def size(s):
            m, n, k = dims(s)

            def setup(e):
                a, b = operand(e, m, k, ta), operand(e, k, n, tb)
                return Instance(lambda: a @ b)
            return Size(f"{m}x{k}{tmark(ta)} @ {k}x{n}{tmark(tb)}", 2.0 * m * n * k, m * k + k * n + m * n, setup)
        return Workload("gemm", name, "compute", size)

    def operand(e, r, c, t):
        # A transposed operand is a view of its [c, r] storage, no copy.
        return e.normal(1, c, r).t() if t else e.normal(1, r, c)

    def tmark(t):
        return "ᵀ" if t else ""

    def mlp(m, n, k):
        def dims(s):
            d = pick(s, 1, 4, 32)
            return max(m // d, 3), max(n // d, 3), max(k // d, 3)
        return dims

    ws = [gemm(f"n={n}", False, False, lambda s, n=n: (pick(s, n, n // 8, n // 64 + 3),) * 3)
          for n in (256, 512, 1024, 2048)]
    # The precision rows (bench/gemm.go's gemmPrecisions): operands rounded
    # to bf16/f16 and multiplied in that dtype (PyTorch's CPU product rounds
    # C to it, hence the tolerances), or float32 with allow_tf32 (which
    # only CUDA honours). Their float64 runs use the same rounded inputs.
    def low_precision(n, name, tol):
        def size(s):
            m = pick(s, n, n // 8, n // 64 + 3)

            def setup(e):
                a, b = e.normal(1, m, m), e.normal(1, m, m)
                if name != "tf32":
                    half = {"bf16": torch.bfloat16, "f16": torch.float16}[name]
                    a, b = a.to(half), b.to(half)
                    if e.dtype == torch.float64:
                        a, b = a.double(), b.double()
                    elif not half_matmul(half):
                        a, b = a.float(), b.float()
                return Instance(lambda: a @ b, lambda r: [r.float() if e.dtype != torch.float64 else r])
            moved = 2 * m * m if name != "tf32" else 3 * m * m
            return Size(f"{m}x{m} @ {m}x{m} {name}", 2.0 * m * m * m, moved, setup)
        return Workload("gemm", f"n={n}/{name}", "compute", size, tol)

    ws += [low_precision(n, name, tol) for name, tol in (("bf16", 1e-2), ("f16", 2e-3), ("tf32", 4e-3))
           for n in (256, 512, 1024, 2048)]
    ws += [gemm("n=1024/" + name, ta, tb, lambda s: (pick(s, 1024, 128, 19),) * 3)
           for name, ta, tb in (("tn", True, False), ("nt", False, True), ("tt", True, True))]
    def one(n, k):
        def dims(s):
            _, n2, k2 = mlp(1, n, k)(s)
            return 1, n2, k2
        return dims

    ws += [gemm("mlp-fwd", False, True, mlp(128, 256, 784)),
           gemm("mlp-dw", True, False, mlp(784, 256, 128)),
           gemm("mlp-dx", False, False, mlp(128, 784, 256)),
           gemm("mlp-fwd-b1", False, True, one(256, 784)),
           gemm("mlp-dx-b1", False, False, one(784, 256))]

    def batched(s):
        b, n = pick(s, 32, 8, 3), pick(s, 128, 32, 6)

        def setup(e):
            x, y = e.normal(1, b, n, n), e.normal(1, b, n, n)
            return Instance(lambda: torch.bmm(x, y))
        return Size(f"{b}x{n}x{n} @ {b}x{n}x{n}", 2.0 * b * n * n * n, 3 * b * n * n, setup)
    ws.append(Workload("gemm", "batched", "compute", batched))
    return ws


# device/elementwise.go's unary table as the bench uses it: name, domain
# (lo, hi), FLOPs per element, and the torch call (by name, looked up at
# setup: --list runs without torch), with the first test value of p.
UNARY_OPS = (
    ("neg", -3, 3, 1, "neg"), ("abs", -3, 3, 1, "abs"), ("sign", -3, 3, 1, "sign"),
    ("exp", -3, 3, 16, "exp"), ("log", 0.1, 4, 16, "log"), ("sqrt", 0.1, 4, 16, "sqrt"),
    ("tanh", -3, 3, 16, "tanh"), ("sigmoid", -3, 3, 16, "sigmoid"), ("relu", -3, 3, 1, "relu"),
    ("leaky_relu", -3, 3, 1, ("nn.functional.leaky_relu", 0.1)),
    ("gelu", -3, 3, 16, ("nn.functional.gelu", "tanh")), ("pow", 0.1, 4, 16, ("pow", 2.5)),
    ("log1p", -0.5, 4, 16, "log1p"), ("expm1", -3, 3, 16, "expm1"), ("sin", -3, 3, 16, "sin"),
    ("cos", -3, 3, 16, "cos"), ("erf", -3, 3, 16, "erf"), ("tan", -1.2, 1.2, 16, "tan"),
)


def torch_fn(f):
    """The torch function f names: "exp", or (name, p) for an op with a
    parameter (gelu's is its approximation)."""
    name, arg = (f, None) if isinstance(f, str) else f
    fn = torch
    for part in name.split("."):
        fn = getattr(fn, part)
    if arg is None:
        return fn
    if name.endswith("gelu"):
        return lambda x: fn(x, approximate=arg)
    return lambda x: fn(x, arg)


def half_matmul(dtype):
    """Whether this PyTorch multiplies dtype matrices on the CPU (1.13 has
    no float16 GEMM there); without it the rounded operands are multiplied
    in float32."""
    try:
        torch.ones(2, 2, dtype=dtype) @ torch.ones(2, 2, dtype=dtype)
        return True
    except RuntimeError:
        return False


def elementwise_workloads():
    # add and mul draw from N(0, 1), the unary ops from their domains.
    binary = [(n, 2, 1, (lambda e, r: e.normal(1, r, r)), n) for n in ("add", "mul")]
    unary = {n: (n, 1, fl, (lambda e, r, lo=lo, hi=hi: e.uniform(lo, hi, r, r)), f)
             for n, lo, hi, fl, f in UNARY_OPS}
    every = binary + list(unary.values())
    big = binary + [unary[n] for n in ("exp", "tanh", "sigmoid")]
    ws = []
    for label, rows, ops in (("1M", 1024, every), ("16M", 4096, big)):
        for name, inputs, flops, draw, f in ops:
            def size(s, rows=rows, inputs=inputs, flops=flops, draw=draw, f=f):
                r = pick(s, rows, rows // 8, 9)

                def setup(e):
                    fn = torch_fn(f)
                    a = draw(e, r)
                    if inputs == 2:
                        b = draw(e, r)
                        return Instance(lambda: fn(a, b))
                    return Instance(lambda: fn(a))
                return Size(str(r * r), flops * r * r, (inputs + 1) * r * r, setup)
            ws.append(Workload("elementwise", f"{name}/{label}", "memory", size))

        def bias_add(s, rows=rows):
            r = pick(s, rows, rows // 8, 9)

            def setup(e):
                x, b = e.normal(1, r, r), e.normal(1, r)
                return Instance(lambda: x + b)
            return Size(f"{r}x{r} + {r}", r * r, 2 * r * r + r, setup)
        ws.append(Workload("elementwise", "bias-add/" + label, "memory", bias_add))
    return ws


def reduce_workloads():
    reds = (("sum-all", lambda x: x.sum(), lambda r, c: 1),
            ("sum-rows", lambda x: x.sum(1), lambda r, c: r),
            ("sum-cols", lambda x: x.sum(0), lambda r, c: c))
    ws = []
    for label, rows in (("1M", 1024), ("16M", 4096)):
        for name, f, out in reds:
            def size(s, rows=rows, f=f, out=out):
                r = pick(s, rows, rows // 8, 9)
                c = r + pick(s, 0, 0, 2)

                def setup(e):
                    x = e.normal(1, r, c)
                    return Instance(lambda: f(x))
                return Size(f"{r}x{c}", r * c, r * c + out(r, c), setup)
            ws.append(Workload("reduce", f"{name}/{label}", "memory", size))
    for rows, cols in ((1000, 1000), (10, 100000)):
        ws.append(top_k(rows, cols))
    return ws


TOPK_K = 10


def top_k(rows, cols):
    def size(s):
        r = pick(s, rows, max(rows // 8, 2), 3)
        c = pick(s, cols, cols // 8, 50)

        def setup(e):
            x = e.normal(1, r, c)
            return Instance(lambda: torch.topk(x, TOPK_K, 1, largest=True, sorted=True), lambda t: [t.values, t.indices])
        return Size(f"{r}x{c}", r * c, r * c + 2 * r * TOPK_K, setup)
    return Workload("reduce", f"topk{TOPK_K}/{rows}x{cols}", "memory", size)


def softmax_workloads():
    def softmax(s):
        r, c = pick(s, 4096, 256, 5), pick(s, 1000, 250, 7)

        def setup(e):
            x, dy = e.normal(2, r, c), e.normal(1, r, c)

            def run():
                y = torch.softmax(x, 1)
                return y, torch._softmax_backward_data(dy, y, 1, x.dtype)
            return Instance(run, list)
        return Size(f"{r}x{c}", 9.0 * r * c, 5 * r * c, setup)

    # Go calls the fused CrossEntropy and CrossEntropyBackward kernels
    # without a tape, so this runs the kernels PyTorch's autograd runs for
    # F.cross_entropy(x, labels, reduction='none') and its backward
    # (log_softmax, nll_loss, nll_loss_backward, log_softmax_backward),
    # without recording a graph.
    def cross_entropy(name, rows, cols):
        def size(s):
            d = pick(s, 1, 8, 64)
            r, c = max(rows // d, 3), max(cols // d, 5)

            def setup(e):
                x, labels, dl = e.normal(2, r, c), e.labels(r, c), e.normal(1, r)

                def run():
                    lsm = torch.log_softmax(x, 1)
                    loss, total = torch.ops.aten.nll_loss_forward(lsm, labels, None, 0, -100)
                    g = torch.ops.aten.nll_loss_backward(dl, lsm, labels, None, 0, -100, total)
                    return loss, torch._log_softmax_backward_data(g, lsm, 1, x.dtype)
                return Instance(run, list)
            return Size(f"{r}x{c}", 8.0 * r * c, 2 * r * c + 4 * r, setup)
        return Workload("softmax", name, "memory", size)

    return [Workload("softmax", "softmax/4096x1000", "memory", softmax),
            cross_entropy("xent/128x10", 128, 10),
            cross_entropy("xent/4096x1000", 4096, 1000)]


def conv_flops(n, cin, cout, h):
    return 2.0 * n * cout * cin * 9 * h * h


def conv_workloads():
    ws = []
    for name, n0, cin0, cout0, h0, input_grads, dil in (("conv1", 64, 1, 32, 28, False, 1), ("conv2", 64, 32, 64, 14, True, 1),
                                                         ("conv2-dil2", 64, 32, 64, 14, True, 2)):
        for bwd in (False, True):
            def size(s, n0=n0, cin0=cin0, cout0=cout0, h0=h0, input_grads=input_grads, bwd=bwd, dil=dil):
                n, cin, cout, h = n0, cin0, cout0, h0
                if s == "small":
                    n = 4
                elif s == "tiny":
                    n, h, cin, cout = 2, 6, min(cin, 3), min(cout, 4)
                products = (3 if input_grads else 2) if bwd else 1
                shape = f"{n}x{cin}x{h}x{h} * {cout}x{cin}x3x3" + (f" d{dil}" if dil > 1 else "")
                return Size(shape, products * conv_flops(n, cin, cout, h),
                            n * cin * h * h + cout * cin * 9 + n * cout * h * h,
                            lambda e: conv_instance(e, n, cin, cout, h, input_grads, bwd, dil))
            ws.append(Workload("conv", name + ("-fwdbwd" if bwd else "-fwd"), "compute", size))

    # Go runs MaxPool2d and MaxPool2dBackward without a tape, the forward
    # writing indices: these are the kernels autograd runs for
    # F.max_pool2d(x, 2) and its backward.
    for bwd in (False, True):
        def size(s, bwd=bwd):
            n, c, h = pick(s, 64, 4, 2), pick(s, 32, 32, 3), pick(s, 28, 28, 6)

            def setup(e):
                x, dy = e.normal(1, n, c, h, h), e.normal(1, n, c, h // 2, h // 2)
                if not bwd:
                    return Instance(lambda: F.max_pool2d(x, 2, return_indices=True)[0])

                def run():
                    y, idx = F.max_pool2d(x, 2, return_indices=True)
                    return y, torch.ops.aten.max_pool2d_with_indices_backward(
                        dy, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)
                return Instance(run, list)
            moved = 1 + 2 / 4 + (3 / 4 + 1 if bwd else 0)
            return Size(f"{n}x{c}x{h}x{h}", (2 if bwd else 1) * n * c * h * h, moved * n * c * h * h, setup)
        ws.append(Workload("conv", "maxpool-fwdbwd" if bwd else "maxpool-fwd", "memory", size))
    return ws


def conv_instance(e, n, cin, cout, h, input_grads, bwd, dil=1):
    layer = nn.Conv2d(cin, cout, 3, padding=dil, dilation=dil, dtype=e.dtype)
    e.init(layer.parameters())
    x = e.normal(1, n, cin, h, h)
    if not bwd:
        def fwd():
            with torch.no_grad():
                return layer(x)
        return Instance(fwd)
    dy = e.normal(1, n, cout, h, h)
    x.requires_grad_(input_grads)  # conv1's input is data: no dx

    def run():
        layer.weight.grad = layer.bias.grad = x.grad = None
        y = layer(x)
        y.backward(dy)
        return y
    return Instance(run, lambda y: [y, layer.weight.grad, layer.bias.grad] + ([x.grad] if input_grads else []))


MLP_PARAMS = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
CNN_PARAMS = 32 * 9 + 32 + 64 * 32 * 9 + 64 + 64 * 7 * 7 * 128 + 128 + 128 * 10 + 10


def fashion_mlp(dtype):
    return nn.Sequential(nn.Linear(784, 256, dtype=dtype), nn.ReLU(), nn.Linear(256, 128, dtype=dtype), nn.ReLU(),
                         nn.Linear(128, 10, dtype=dtype))


def fashion_cnn(dtype):
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128, dtype=dtype), nn.ReLU(),
                         nn.Linear(128, 10, dtype=dtype))


def optim_workloads():
    def size(s):
        p = MLP_PARAMS if s == "full" else 64 * 32 + 32 + 32 * 10 + 10

        def setup(e):
            if s == "full":
                m = fashion_mlp(e.dtype)
            else:
                m = nn.Sequential(nn.Linear(64, 32, dtype=e.dtype), nn.ReLU(), nn.Linear(32, 10, dtype=e.dtype))
            ps = list(m.parameters())
            e.init(ps)
            for q in ps:
                q.grad = e.normal(1, *q.shape)
            opt = torch.optim.Adam(ps, lr=1e-3)
            return Instance(opt.step, lambda _: ps)
        return Size(f"{p} params", 12.0 * p, 7 * p, setup)
    return [Workload("optim", "adam-mlp", "memory", size)]


def mlp_flops(b):
    fwd = 2.0 * b * (784 * 256 + 256 * 128 + 128 * 10)
    return 3 * fwd - 2.0 * b * 784 * 256


def cnn_flops(b):
    fc = 2.0 * b * (64 * 7 * 7 * 128 + 128 * 10)
    return 2 * conv_flops(b, 1, 32, 28) + 3 * conv_flops(b, 32, 64, 14) + 3 * fc


# train.go's precisionTol: what a mixed-precision row may differ from
# float64 by (Adam's first step moves a weight by about lr·sign(grad)).
PRECISION_TOL = {"fp32": 2e-3, "bf16": 5e-2, "fp16": 5e-2, "tf32": 5e-2}


def train_workloads():
    def step(name, cnn, sgd, precision="fp32"):
        def size(s):
            if cnn:
                batch = pick(s, 64, 4, 2)
                shape, flops, params = f"batch {batch}x1x28x28", cnn_flops(batch), CNN_PARAMS
            else:
                batch = pick(s, 128, 16, 3)
                shape, flops, params = f"batch {batch}", mlp_flops(batch), MLP_PARAMS

            def setup(e):
                if cnn:
                    m, x = fashion_cnn(e.dtype), e.normal(1, batch, 1, 28, 28)
                else:
                    m, x = fashion_mlp(e.dtype), e.normal(1, batch, 784)
                ps = list(m.parameters())
                e.init(ps)
                labels = e.labels(batch, 10)
                if sgd:
                    opt = torch.optim.SGD(ps, lr=0.01, momentum=0.9)
                else:
                    opt = torch.optim.Adam(ps, lr=1e-3)
                # Autocast rounds float32 products only, as tapegrad's: the
                # float64 reference runs without it.
                amp = precision == "bf16" and e.dtype == torch.float32

                def run():
                    opt.zero_grad(set_to_none=True)
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                        loss = F.cross_entropy(m(x), labels)
                    loss.backward()
                    opt.step()
                    return loss
                return Instance(run, lambda loss: [loss] + ps)
            return Size(shape, flops, 4 * params + batch * 784, setup)
        # PyTorch autocasts the CPU to bfloat16 only; tf32 is a GPU mode.
        supported = precision in ("fp32", "bf16")
        return Workload("train", name, "compute", size, tol=PRECISION_TOL[precision], supported=supported)
    ws = [step("mlp-sgd", False, True), step("mlp-adam", False, False), step("cnn-adam", True, False)]
    for p in ("bf16", "fp16", "tf32"):
        ws += [step("mlp-adam-" + p, False, False, p), step("cnn-adam-" + p, True, False, p)]
    return ws


def overhead_workloads():
    def add(name, record):
        def setup(e):
            a, b = e.normal(1, 4).requires_grad_(record), e.normal(1, 4).requires_grad_(record)
            return Instance(lambda: a + b)
        return Workload("overhead", name, "overhead", lambda s: Size("4 + 4", 4, 12, setup))

    def chain(s):
        n = pick(s, 64, 64, 5)

        def setup(e):
            x = e.normal(1, n, n)
            ws = [e.normal(1 / n, n, n).requires_grad_() for _ in range(4)]

            def run():
                h = x
                for w in ws:
                    w.grad = None
                    h = torch.relu(h @ w)
                loss = h.sum()
                loss.backward()
                return loss
            return Instance(run, lambda loss: [loss] + [w.grad for w in ws])
        return Size(f"4 x {n}x{n}", 11 * 2.0 * n ** 3, 10 * n * n, setup)
    return [add("add4", False), add("add4-grad", True), Workload("overhead", "chain64", "overhead", chain)]


def jacobian_workloads():
    # bench/jacobian.go: the Jacobian [m, n] of tanh(A x) by jacfwd and
    # jacrev (which vmap the directions, where tapegrad loops over them).
    ws = []
    for n_in, n_out, small, tiny in ((1024, 16, (128, 4), (12, 3)), (16, 1024, (4, 128), (3, 12))):
        for fwd in (True, False):
            def size(s, n_in=n_in, n_out=n_out, small=small, tiny=tiny, fwd=fwd):
                n = pick(s, n_in, small[0], tiny[0])
                m = pick(s, n_out, small[1], tiny[1])
                mn = float(m * n)
                flops, moved = (4 * mn * n, 2 * mn * n + mn) if fwd else (2 * mn * (m + 1), (m + 2) * mn)

                def setup(e):
                    a = e.normal(1 / math.sqrt(n), m, n)
                    x = e.normal(1, n)
                    jac = (jacfwd if fwd else jacrev)(lambda x: torch.tanh(a @ x))
                    return Instance(lambda: jac(x))
                return Size(f"{n} -> {m}", flops, moved, setup)
            ws.append(Workload("jacobian", f"{'fwd' if fwd else 'rev'}/in{n_in}-out{n_out}", "overhead", size))
    return ws


def workloads():
    return (gemm_workloads() + elementwise_workloads() + reduce_workloads() + softmax_workloads()
            + conv_workloads() + optim_workloads() + train_workloads() + overhead_workloads()
            + jacobian_workloads())


def outputs_of(inst):
    """Runs inst once and returns its outputs as float64 copies, detached
    from any graph."""
    return [t.detach().to(torch.float64, copy=True) for t in inst.outputs(inst.run())]


def compare(got, ref):
    """bench.compare: the largest |got - ref| over all outputs, and the
    largest over outputs of max |got - ref| / max |ref|. A NaN where the
    reference has none counts as an infinite error."""
    if len(got) != len(ref):
        raise ValueError(f"{len(got)} outputs, the reference has {len(ref)}")
    abs_err = rel_err = 0.0
    for i, (g, r) in enumerate(zip(got, ref)):
        if g.numel() != r.numel():
            raise ValueError(f"output {i} has {g.numel()} elements, the reference {r.numel()}")
        g, r = g.flatten(), r.flatten()
        d = (g - r).abs()
        nan = d.isnan()
        d = d.masked_fill(nan, math.inf).masked_fill(nan & g.isnan() & r.isnan(), 0)
        max_diff = d.max().item() if d.numel() else 0.0
        max_ref = r.abs().max().item() if r.numel() else 0.0
        abs_err = max(abs_err, max_diff)
        if max_diff == 0:
            continue
        rel_err = max(rel_err, math.inf if max_ref == 0 or math.isinf(max_ref) else max_diff / max_ref)
    return abs_err, rel_err


def calibrate_and_time(run, count, min_time):
    """bench.Runner.time: grows the runs per sample until one sample lasts
    min_time (the warm-up), then returns (k, seconds per run of each of
    count samples)."""
    def sample(k):
        start = time.perf_counter()
        for _ in range(k):
            run()
        return time.perf_counter() - start

    k = 1
    while True:
        d = sample(k)
        if d >= min_time or k >= 1 << 30:
            break
        # Aim 20% past min_time, growing at most 100x a step so that a
        # first run slowed by lazy initialisation cannot overshoot.
        grow = 1.2 * min_time / max(d, 1e-6)
        k = math.ceil(k * min(max(grow, 2), 100))
    gc.collect()
    return k, [sample(k) / k for _ in range(count)]


def run_row(w, dtype, scale, opts):
    size = w.size(scale)
    res = {"workload": w.id, "device": "cpu", "dtype": DTYPE_NAMES[dtype], "scale": scale,
           "shape": size.shape, "bound": w.bound, "iters": 0, "runs": 0,
           "median_s": 0.0, "min_s": 0.0, "flops": float(size.flops),
           "bytes": float(size.moved * (torch.finfo(dtype).bits // 8)), "gflops": 0.0, "gbps": 0.0,
           "ceiling_pct": 0.0, "allocs_per_op": 0.0, "max_abs_err": 0.0, "max_rel_err": 0.0,
           "tol": w.tolerance(dtype), "wrong": False}
    try:
        ref = outputs_of(size.setup(Env(torch.float64, dtype)))
    except Exception as e:
        res["error"] = "float64 reference: " + one_line(e)
        return res
    try:
        inst = size.setup(Env(dtype, dtype))
        res["max_abs_err"], res["max_rel_err"] = compare(outputs_of(inst), ref)
        del ref
        res["wrong"] = not res["max_rel_err"] <= res["tol"]  # NaN is wrong too
        k, per = calibrate_and_time(inst.run, opts.count, opts.min_time)
    except Exception as e:
        res["error"] = one_line(e)
        return res
    med = statistics.median(per)
    res.update(iters=k, runs=len(per), median_s=med, min_s=min(per),
               gflops=res["flops"] / med / 1e9, gbps=res["bytes"] / med / 1e9)
    return res


def one_line(e):
    return f"{type(e).__name__}: {e}".splitlines()[0]


def copy_gbps(scale, count, min_time):
    """bench.Runner.copyBandwidth on the CPU: the best of count samples of
    dst.copy_(src) over as many bytes as the Go side copies (well past any
    cache at full scale), in GB/s of bytes read plus written. Like Go's, it
    is measured once and serves every dtype."""
    n = pick(scale, 256 << 20, 4 << 20, 64 << 10)
    src, dst = torch.ones(n // 4), torch.empty(n // 4)
    dst.copy_(src)
    k, best, samples = 1, math.inf, 0
    while samples < count:
        start = time.perf_counter()
        for _ in range(k):
            dst.copy_(src)
        d = time.perf_counter() - start
        if d < min_time and k < 1 << 20:
            k *= 2
            continue
        best, samples = min(best, d / k), samples + 1
    return 2 * n / best / 1e9


def detect_blas():
    """Names the BLAS library the process has loaded (torch.__config__ says
    "generic" for Debian's torch whichever it is) and returns it with a
    warning when its GEMM is not a fair anchor. It runs a product first so
    that the library is loaded."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if re.search(r"/lib(open)?blas[^/]*\.so", p) and os.path.realpath(p) not in paths:
                paths.append(os.path.realpath(p))
    if not paths:
        info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
        return f"{info.group(1) if info else 'unknown'} (linked statically)", None, ""
    # libblas.so.3 is the one torch links; the alternatives system decides
    # whose it is, and its directory names the implementation.
    path = next((p for p in paths if os.path.basename(p).startswith("libblas")), paths[0])
    kind = os.path.basename(os.path.dirname(path))
    if kind == "blas":
        return f"reference BLAS ({path})", None, (
            "the reference BLAS is loaded, tens of times slower than a tuned one: these figures are not "
            "a fair anchor; run apt-get install libopenblas0-pthread")
    lib = None
    try:
        lib = ctypes.CDLL(path)
        get = lib.openblas_get_config
        get.restype = ctypes.c_char_p
        corename = lib.openblas_get_corename
        corename.restype = ctypes.c_char_p
    except (OSError, AttributeError):
        return f"{kind} ({path})", None, ""
    config, core = get().decode().split(), corename().decode()
    version = config[1] if len(config) > 1 else "?"
    warning = ""
    flags = cpu_info("flags").split()
    isa, better = ("AVX-512", "SkylakeX") if "avx512f" in flags else ("AVX2", "Haswell") if "avx2" in flags else ("", "")
    # A DYNAMIC_ARCH OpenBLAS that does not know the CPU model falls back
    # to its SSE3 Prescott kernels, several times slower than what the CPU
    # can run.
    if core.lower() in ("prescott", "core2", "katmai", "generic") and isa:
        warning = (f"OpenBLAS runs its generic {core} kernels on a CPU with {isa}: GEMM figures are not "
                   f"a fair anchor; set OPENBLAS_CORETYPE={better}")
    return f"{kind} {version}, core {core} ({path})", lib, warning


def cpu_info(key):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() == key:
                    return v.strip()
    except OSError:
        pass
    return ""


def num(x):
    """bench.Num: NaN and ±Inf, which JSON numbers cannot hold, as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    return x


def to_json(report):
    def walk(v):
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return num(v)
    # allow_nan=False: a bare NaN that escaped num is an error, not invalid JSON.
    return json.dumps(walk(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(report, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(to_json(report))
    os.replace(tmp, path)


def fmt_seconds(s):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g}{unit}"
    return f"{s / 1e-9:.3g}ns"


def fmt_rate(r):
    if r["bound"] == "memory":
        return f"{r['gbps']:8.2f} GB/s"
    return f"{r['gflops']:8.2f} GFLOP/s"


def progress_line(r):
    head = f"{r['workload']:<26} cpu      {r['dtype'].replace('float', 'f'):<4}"
    if "error" in r:
        return f"{head}  error: {r['error']}"
    return (f"{head}  {fmt_seconds(r['median_s']):>10}  {fmt_rate(r)}  err {r['max_rel_err']:.1e}"
            f"{'  WRONG' if r['wrong'] else ''}")


def print_table(results):
    print(f"{'workload':<26} {'dtype':<5} {'shape':<26} {'median':>9} {'min':>9} {'rate':>16} {'%ceil':>6} {'err':>8}")
    for r in results:
        if "error" in r:
            print(f"{r['workload']:<26} {r['dtype'].replace('float', 'f'):<5} {r['shape']:<26} error: {r['error']}")
            continue
        pct = f"{r['ceiling_pct']:.1f}" if r["ceiling_pct"] else "-"
        print(f"{r['workload']:<26} {r['dtype'].replace('float', 'f'):<5} {r['shape']:<26} "
              f"{fmt_seconds(r['median_s']):>9} {fmt_seconds(r['min_s']):>9} {fmt_rate(r):>16} {pct:>6} "
              f"{r['max_rel_err']:8.1e}{'  WRONG' if r['wrong'] else ''}")


def self_test():
    """Checks, without timing, that a report survives JSON with NaN and
    Inf as strings and that the workload table is consistent."""
    ids = [w.id for w in workloads()]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        return f"duplicate workload IDs: {dup}"
    for w in workloads():
        for s in SCALES:
            size = w.size(s)
            if not (size.shape and size.flops > 0 and size.moved > 0):
                return f"{w.id} at {s}: empty shape, FLOPs or Moved"
    text = to_json({"results": [{"median_s": math.nan, "gbps": math.inf, "min_s": -math.inf, "iters": 3}]})
    back = json.loads(text)["results"][0]
    if back != {"median_s": "NaN", "gbps": "Inf", "min_s": "-Inf", "iters": 3}:
        return f"NaN/Inf did not round-trip: {back}"
    return None


class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.exit(f"bench.py: {message}")


def parse_args():
    p = Parser(description="Run tapegrad's bench workloads in PyTorch on the CPU.")
    p.add_argument("--run", default="", help="run the workloads whose ID matches this regexp")
    p.add_argument("--count", type=int, default=5, help="timed samples per row")
    p.add_argument("--min-time", type=float, default=0.02, help="seconds one sample lasts at least")
    p.add_argument("--threads", type=int, help="torch (and OpenBLAS) threads")
    p.add_argument("--dtype", default="f32", help="comma-separated dtypes: f32, f64")
    p.add_argument("--scale", default="full", choices=SCALES)
    p.add_argument("--json", help="write the report to this file")
    p.add_argument("--fma-gflops", help="the machine's peak from tapegrad's FMA probe, for compute rows' "
                   "%%ceil: X for every dtype, or f32=X,f64=Y")
    p.add_argument("--require-tuned-blas", action="store_true",
                   help="exit 1 when the loaded BLAS is not a fair anchor")
    p.add_argument("--self-test", action="store_true", help="check the JSON writer and the table, then exit")
    p.add_argument("--list", action="store_true",
                   help="print the workload table as JSON (no PyTorch needed), for bench's Go test to compare")
    a = p.parse_args()
    if a.list:
        return a
    if torch is None:
        p.error("PyTorch is not installed: apt-get install python3-torch libopenblas0-pthread")
    try:
        a.run = re.compile(a.run)
    except re.error as e:
        p.error(f"--run: {e}")
    if a.count < 1 or not a.min_time > 0 or (a.threads is not None and a.threads < 1):
        p.error("--count and --threads must be at least 1, --min-time positive")
    a.dtypes = []
    for d in a.dtype.split(","):
        if d.strip() not in DTYPES:
            p.error(f"--dtype: unknown dtype {d!r} (f32, f64)")
        a.dtypes.append(DTYPES[d.strip()])
    a.fma = {}
    if a.fma_gflops:
        try:
            for part in a.fma_gflops.split(","):
                name, _, value = part.rpartition("=")
                keys = [DTYPE_NAMES[DTYPES[name]]] if name else list(DTYPE_NAMES.values())
                a.fma.update((k, float(value)) for k in keys)
        except (KeyError, ValueError):
            p.error(f"--fma-gflops: want X or f32=X,f64=Y, not {a.fma_gflops!r}")
    return a


def workload_table():
    """The workload table as data: what bench's Go test compares with
    bench.Workloads() at every scale."""
    return [{"id": w.id, "bound": w.bound, "tol": w.tol,
             "sizes": {s: {"shape": w.size(s).shape, "flops": w.size(s).flops, "moved": w.size(s).moved}
                       for s in SCALES}}
            for w in workloads()]


def main():
    opts = parse_args()
    if opts.list:
        print(json.dumps(workload_table(), ensure_ascii=False))
        return 0
    if opts.self_test:
        err = self_test()
        print(f"self-test: {'FAIL: ' + err if err else 'ok'}")
        return 1 if err else 0
    if opts.threads:
        torch.set_num_interop_threads(1)
        torch.set_num_threads(opts.threads)
    blas, lib, warning = detect_blas()
    if lib is not None and opts.threads:
        # torch.set_num_threads does not reach a pthreads OpenBLAS.
        lib.openblas_set_num_threads(opts.threads)
    if lib is not None:
        blas += f", {lib.openblas_get_num_threads()} threads"
    print(f"blas: {blas}", file=sys.stderr)
    if warning:
        print(f"\n*** WARNING: {warning} ***\n", file=sys.stderr)
        if opts.require_tuned_blas:
            return 1

    start = time.perf_counter()
    copy = copy_gbps(opts.scale, opts.count, opts.min_time)
    ceilings = []
    for dtype in opts.dtypes:
        name = DTYPE_NAMES[dtype]
        notes = ["fma_gflops given by --fma-gflops" if name in opts.fma else
                 "no FMA probe in PyTorch; use tapegrad's cpu ceiling"]
        if opts.scale != "full":
            notes.append(f"measured at {opts.scale} sizes")
        ceilings.append({"device": "cpu", "dtype": name, "copy_gbps": copy,
                         "fma_gflops": opts.fma.get(name, 0.0), "note": "; ".join(notes)})
    results, skipped = [], []
    for w in workloads():
        if not opts.run.search(w.id):
            continue
        if w.group == "jacobian" and jacfwd is None:
            print(f"{w.id:<26} skipped: needs torch.func (PyTorch >= 2.0) or functorch (1.13) for jacfwd/jacrev",
                  file=sys.stderr)
            skipped.append(w.id)
            continue
        if not w.supported:
            print(f"{w.id:<26} skipped: PyTorch has no such mode on the CPU", file=sys.stderr)
            skipped.append(w.id)
            continue
        for dtype in opts.dtypes:
            if w.id.endswith("-bf16") and dtype != torch.float32:
                continue  # tapegrad runs precision rows in float32 only
            gc.collect()
            r = run_row(w, dtype, opts.scale, opts)
            print(progress_line(r), file=sys.stderr)
            results.append(r)
    for r in results:
        if "error" in r:
            continue
        fma = opts.fma.get(r["dtype"], 0)
        if r["bound"] == "compute" and fma > 0:
            r["ceiling_pct"] = 100 * r["gflops"] / fma
        elif r["bound"] == "memory":
            r["ceiling_pct"] = 100 * r["gbps"] / copy

    notes = ["allocations not measured", "errors against torch in float64",
             "optimizers: torch's default, the per-parameter loop (foreach unset)",
             f"mkldnn {'on' if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else 'off'}",
             "softmax, xent, maxpool: the aten kernels autograd runs, without a graph"]
    notes += [f"{v}={os.environ[v]}" for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                               "OMP_NUM_THREADS", "OMP_WAIT_POLICY") if v in os.environ]
    if skipped:
        notes.append(f"skipped (no torch.func or functorch for jacfwd/jacrev): {', '.join(skipped)}")
    if warning:
        notes.insert(0, "WARNING: " + warning)
    report = {
        "schema": SCHEMA,
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "host": {"cpu": cpu_info("model name") or platform.processor(), "cores": os.cpu_count(),
                 "os": platform.system().lower(),
                 "arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())},
        "library": {"name": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                    "blas": blas, "note": "; ".join(notes)},
        "count": opts.count,
        "ceilings": ceilings,
        "results": results,
    }
    print_table(results)
    print(f"copy {copy:.1f} GB/s; {len(results)} rows in {time.perf_counter() - start:.1f}s")
    if opts.json:
        write_json(report, opts.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
