#!/usr/bin/env python3
"""PyTorch's side of tapegrad's GEMM precision rows on a GPU (cuBLAS).

bench.py runs the workload table on the CPU; this runs the rows the
tensor-core kernels are measured by, gemm/n={256..2048} in fp32 and in
the bf16, f16 and tf32 modes (bench/gemm.go's gemmPrecisions), on one
CUDA device, so the GPU check kit (kernels/cuda/gpucheck/gpu-check.sh)
puts cuBLAS's figures beside tapegrad's when the GPU machine has a
PyTorch with CUDA. Operands are N(0, 1) square matrices; bf16 and f16
multiply in that dtype (cuBLAS accumulates in float32), tf32 is float32
with torch.backends.cuda.matmul.allow_tf32. Each row is timed with CUDA
events over enough back-to-back products to last --min-time, and the
median of --count samples is reported, as bench.Runner does.

--device cpu runs the same code on the CPU (no events, no tf32), which is
how a machine without a GPU tests this script.
"""
import argparse
import json
import statistics
import sys
import time

PRECISIONS = ("fp32", "tf32", "bf16", "f16")
SIZES = (256, 512, 1024, 2048)


def row_id(n, precision):
    return f"gemm/n={n}" + ("" if precision == "fp32" else "/" + precision)


def timer(torch, dev):
    """Returns a function that runs f k times and gives the seconds per run,
    measured on the device's own clock (CUDA events) when it has one."""
    if dev.type == "cuda":
        def run(f, k):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(k):
                f()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3 / k
        return run

    def run(f, k):
        t0 = time.perf_counter()
        for _ in range(k):
            f()
        return (time.perf_counter() - t0) / k
    return run


def measure(torch, dev, n, precision, count, min_time):
    g = torch.Generator(device="cpu").manual_seed(1)
    a = torch.randn(n, n, generator=g).to(dev)
    b = torch.randn(n, n, generator=g).to(dev)
    if precision in ("bf16", "f16"):
        half = torch.bfloat16 if precision == "bf16" else torch.float16
        a, b = a.to(half), b.to(half)
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    ref = a.double().cpu() @ b.double().cpu()
    got = (a @ b).double().cpu()
    err = ((got - ref).abs().max() / ref.abs().max()).item()
    per_run = timer(torch, dev)
    k = 1
    while per_run(lambda: a @ b, k) * k < min_time and k < 1 << 20:
        k *= 2
    samples = [per_run(lambda: a @ b, k) for _ in range(count)]
    med = statistics.median(samples)
    return {"workload": row_id(n, precision), "device": str(dev), "precision": precision,
            "shape": f"{n}x{n} @ {n}x{n}", "iters": k, "median_s": med, "min_s": min(samples),
            "tflops": 2.0 * n ** 3 / med / 1e12, "max_rel_err": err}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu (to test the script)")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated n")
    p.add_argument("--count", type=int, default=5, help="timed samples per row")
    p.add_argument("--min-time", type=float, default=0.05, help="seconds one sample lasts at least")
    p.add_argument("--json", help="write the rows to this file")
    opts = p.parse_args()
    try:
        import torch
    except ImportError:
        print("gemm_cuda.py: no PyTorch here", file=sys.stderr)
        return 2
    dev = torch.device(opts.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("gemm_cuda.py: this PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__} on {name}")
    rows = []
    for n in (int(s) for s in opts.sizes.split(",")):
        for prec in PRECISIONS:
            if prec == "f16" and dev.type == "cpu":
                continue  # PyTorch has no float16 GEMM on the CPU
            r = measure(torch, dev, n, prec, opts.count, opts.min_time)
            rows.append(r)
            print(f"{r['workload']:<22} {r['median_s'] * 1e6:10.1f} us  {r['tflops']:8.2f} TFLOP/s  err {r['max_rel_err']:.1e}")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"torch": torch.__version__, "device": name, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
