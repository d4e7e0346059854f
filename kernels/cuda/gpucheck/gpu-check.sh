#!/usr/bin/env bash
# gpu-check.sh: run in a folder made by `make gpu-bundle`, on a machine with
# an NVIDIA GPU and its driver (R520 or newer) and nothing else: no Go, no
# CUDA toolkit. It writes everything into results-<time>/ (or $RESULTS)
# and prints a summary. Steps, each bounded by a timeout:
#   1. nvidia-smi, and `tapegrad devices` from the cuda build
#   2. the conformance suite on every CUDA device against the CPU, and the
#      tensor-core matmul (bf16, f16, tf32) against float64 (cuda.test)
#   3. tapegrad bench --device cpu,cuda:0: GEMM in GFLOP/s, bandwidth-bound
#      ops in GB/s, per-op host overhead (overhead/*), MLP and CNN steps
#      in fp32 and (train/*-adam-{bf16,fp16,tf32}) mixed precision
#   3b. PyTorch's cuBLAS on the same GEMM rows (gemm_cuda.py), when the
#      machine has a PyTorch with CUDA
#   4. one epoch of training the MLP and the CNN on cuda:0, in fp32 and
#      under bf16 autocast (--precision bf16)
# Where no GPU is present it runs the cpu/cudasim smoke part (the default
# build's devices and a few bench rows), says so, and exits 2. It exits 1
# when a GPU step fails, 0 when all pass. Under 5 minutes on an H100-class
# GPU.
set -uo pipefail
cd "$(dirname "$0")"
res=${RESULTS:-results-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$res"
summary=$res/summary.txt
: >"$summary"
failed=0

say() { echo "$*" | tee -a "$summary"; }
# step NAME SECONDS CMD...: runs CMD with a timeout, output to NAME.txt.
step() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	timeout --kill-after=10 "$secs" "$@" >"$res/$name.txt" 2>&1
	local rc=$?
	local verdict=ok
	case $rc in
	0) ;;
	124 | 137) verdict="TIMED OUT after ${secs}s" ;;
	*) verdict="FAILED (exit $rc)" ;;
	esac
	say "$(printf '%-16s %-24s %4ds  %s' "$name" "$verdict" $((SECONDS - t0)) "$*")"
	[ $rc -eq 0 ]
}

# The kit's binaries come gzipped (bundle.sh): unpack them into a
# temporary folder, removed on exit, so the results folder stays small.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for f in tapegrad cuda.test tapegrad-cpu; do
	if ! gzip -dc "$f.gz" >"$bin/$f" || ! chmod +x "$bin/$f"; then
		echo "gpu-check: cannot unpack $f.gz: run this in a folder made by make gpu-bundle" >&2
		exit 1
	fi
done

say "tapegrad GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -srm), $(nproc) CPUs"
have_gpu=1
if ! command -v nvidia-smi >/dev/null 2>&1; then
	say "no nvidia-smi on this machine: no NVIDIA driver installed"
	have_gpu=0
elif ! step nvidia-smi 60 nvidia-smi; then
	say "nvidia-smi failed: the driver sees no GPU (see $res/nvidia-smi.txt)"
	have_gpu=0
elif ! step devices 60 "$bin/tapegrad" devices; then
	say "the cuda build could not start: the CUDA driver library (libcuda.so.1) is missing or finds no GPU (see $res/devices.txt)"
	have_gpu=0
fi

if [ $have_gpu = 0 ]; then
	say "gpu-check: NO GPU: ran only the cpu/cudasim smoke part; nothing here measures a GPU"
	step devices-cpu 60 "$bin/tapegrad-cpu" devices
	step bench-smoke 300 "$bin/tapegrad-cpu" bench --device cpu,cudasim --scale tiny --sim-scale tiny --count 1 \
		--min-time 1ms --run '^(gemm/n=256|gemm/n=256/(bf16|tf32)|elementwise/add/1M|overhead/add4|train/mlp-sgd|train/mlp-adam-bf16)$' --quiet
	say "results in $res/"
	exit 2
fi

step conformance 240 "$bin/cuda.test" -test.run 'TestConformanceGPU|TestMatMulTensorCoresGPU|TestMatMulTF32ModeGPU' -test.v || failed=1
grep -E '^(--- FAIL|FAIL|ok|PASS)' "$res/conformance.txt" | head -20 | tee -a "$summary"
step bench 240 "$bin/tapegrad" bench --device cpu,cuda:0 --json "$res/bench.json" --png "$res/bench.png" --quiet || failed=1
# cuBLAS's figures beside the tensor-core rows, where this machine has a
# PyTorch with CUDA (none is installed by the kit).
if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
	step torch-gemm 180 python3 gemm_cuda.py --json "$res/torch-gemm.json" || failed=1
else
	say "torch-gemm       skipped: no python3 with a CUDA PyTorch here, so no cuBLAS figures"
fi
step train-mlp 180 "$bin/tapegrad" train --device cuda:0 --data data --epochs 1 --quiet --out "$res/train-mlp" || failed=1
step train-cnn 180 "$bin/tapegrad" train --device cuda:0 --model cnn --data data --epochs 1 --quiet --out "$res/train-cnn" || failed=1
step train-mlp-bf16 180 "$bin/tapegrad" train --device cuda:0 --precision bf16 --data data --epochs 1 --quiet --out "$res/train-mlp-bf16" || failed=1
step train-cnn-bf16 180 "$bin/tapegrad" train --device cuda:0 --precision bf16 --model cnn --data data --epochs 1 --quiet --out "$res/train-cnn-bf16" || failed=1
for t in train-mlp train-cnn train-mlp-bf16 train-cnn-bf16; do tail -n 3 "$res/$t.txt" | sed "s/^/$t: /" | tee -a "$summary"; done
say "results in $res/"
if [ $failed != 0 ]; then
	say "gpu-check: SOME STEPS FAILED"
	exit 1
fi
say "gpu-check: all steps passed"
