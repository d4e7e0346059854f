#!/usr/bin/env bash
# bundle.sh OUT DATA_DIR: builds the GPU check kit into OUT (make gpu-bundle).
#
# The GPU machines the kit is for may have only an NVIDIA driver: no Go, no
# CUDA headers. So everything is built here, with -tags cuda against the
# CUDA 11.8 headers (the driver API is backward compatible, so the
# binaries run on newer drivers), and stripped:
#   tapegrad.gz   the command, cuda build (train, bench, devices)
#   cuda.test.gz  kernels/cuda's tests, cuda build (the conformance suite on cuda:0)
#   tapegrad-cpu.gz  the command, default build (used only there):
#                 a cuda build exits at start where no GPU is present, so
#                 the kit's cpu/cudasim smoke part runs this one
#   data/         Fashion-MNIST: the whole test split, the first
#                 $GPU_TRAIN_SAMPLES (default 12000) training samples
#   gpu-check.sh  the script to run there
#   gemm_cuda.py  PyTorch's (cuBLAS's) side of the GEMM precision rows, run
#                 when the GPU machine has a PyTorch with CUDA
# The binaries are gzipped (gpu-check.sh unpacks them into a temporary
# folder): each embeds every kernel's PTX and fatbinary, text that
# compresses about 4x, and the kit must stay under the 64 MiB a device run
# can carry.
set -euo pipefail
out=${1:?usage: bundle.sh OUT DATA_DIR}
data=${2:?usage: bundle.sh OUT DATA_DIR}
n=${GPU_TRAIN_SAMPLES:-12000}
go=${GO:-go}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

rm -rf "$out"
mkdir -p "$out/data"
cd "$root"
ld='-s -w'
"$go" build -buildvcs=auto -trimpath -tags cuda -ldflags="$ld" -o "$out/tapegrad" ./cmd/tapegrad
"$go" build -buildvcs=auto -trimpath -ldflags="$ld" -o "$out/tapegrad-cpu" ./cmd/tapegrad
"$go" test -c -trimpath -tags cuda -ldflags="$ld" -o "$out/cuda.test" ./kernels/cuda
gzip -9 "$out/tapegrad-cpu" "$out/tapegrad" "$out/cuda.test"
cp "$here/gpu-check.sh" "$root/bench/torch/gemm_cuda.py" "$out/"

# be32 N writes N as four big-endian bytes.
be32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
# slice SRC DST N HEADER ITEM: the first N items of an IDX file, with the
# count in its header (bytes 4-7) rewritten.
slice() {
	local src=$1 dst=$2 count=$3 header=$4 item=$5
	local raw
	raw=$(mktemp)
	gzip -dc "$src" >"$raw"
	if [ "$(stat -c %s "$raw")" -lt $((header + count * item)) ]; then
		echo "bundle.sh: $src holds fewer than $count items" >&2
		rm -f "$raw"
		exit 1
	fi
	{
		head -c 4 "$raw"
		be32 "$count"
		head -c $((header + count * item)) "$raw" | tail -c +9
	} | gzip -6 >"$dst"
	rm -f "$raw"
}
find_idx() { ls "$data/$1"* 2>/dev/null | head -n1; }
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
	[ -n "$(find_idx $f)" ] || { echo "bundle.sh: $data has no $f(.gz): run make data or set DATA_DIR" >&2; exit 1; }
done
case "$(find_idx train-images-idx3-ubyte)" in
*.gz) ;;
*) echo "bundle.sh: expected gzipped IDX files in $data" >&2; exit 1 ;;
esac
slice "$(find_idx train-images-idx3-ubyte)" "$out/data/train-images-idx3-ubyte.gz" "$n" 16 784
slice "$(find_idx train-labels-idx1-ubyte)" "$out/data/train-labels-idx1-ubyte.gz" "$n" 8 1
cp "$(find_idx t10k-images-idx3-ubyte)" "$out/data/t10k-images-idx3-ubyte.gz"
cp "$(find_idx t10k-labels-idx1-ubyte)" "$out/data/t10k-labels-idx1-ubyte.gz"

size=$(du -sm "$out" | cut -f1)
echo "gpu bundle: $out ($size MiB): $(cd "$out" && ls | tr '\n' ' ')"
if [ "$size" -ge 64 ]; then
	echo "bundle.sh: the bundle is $size MiB, over the 64 MiB a device run can carry" >&2
	exit 1
fi
