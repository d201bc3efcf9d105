#!/usr/bin/env bash
# The device check of libtagood_cuda, for a GPU machine (an H100 or H200 with driver 580, nvcc 13.0, python3
# with numpy and PyTorch; no Swift, no network). In under 8 minutes it:
#   1. builds .build/cuda/libtagood_cuda.so with this machine's nvcc (`make gpu NVCC=...`);
#   2. runs kernel-level and whole-model parity in fp32 and bf16 against the CPU path's reference outputs
#      (tools/gpu/reference, made by tools/gpu/make_reference.sh with tagood), and Swin-L/384 against PyTorch;
#   3. times the backend (bf16, batch 64/128/256) against PyTorch eager with bf16 autocast, same GPU, same run;
#   4. prints one table (tools/gpu/check.py).
# Without a GPU it builds (if it can), checks what needs none, prints what it would measure, and exits 0.
# Usage: tools/gpu/check.sh [tools/gpu/check.py options: --quick, --batches 64,128,256, --reps 3]
# Environment: NVCC or CUDA_HOME pick the compiler (else nvcc on PATH, /usr/local/cuda, or make gpu's own).
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
LIB=.build/cuda/libtagood_cuda.so
PYTHON=${PYTHON:-python3}

nvcc_path=""
if [ -n "${NVCC:-}" ]; then nvcc_path=$NVCC
elif [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then nvcc_path=$CUDA_HOME/bin/nvcc
elif command -v nvcc >/dev/null 2>&1; then nvcc_path=$(command -v nvcc)
elif [ -x /usr/local/cuda/bin/nvcc ]; then nvcc_path=/usr/local/cuda/bin/nvcc
fi

make_args=(CUDA_JOBS="$(nproc 2>/dev/null || echo 4)")
if [ -n "$nvcc_path" ]; then
  echo "check.sh: nvcc: $nvcc_path ($("$nvcc_path" --version | grep -o 'release [0-9.]*' || echo 'version unknown'))"
  make_args+=(NVCC="$nvcc_path")
  root=$(cd "$(dirname "$nvcc_path")/.." && pwd)
  # cuBLAS beside nvcc, or else in the Python wheels (PyTorch's nvidia-cublas).
  if ! ls "$root"/lib64/libcublasLt.so.13 "$root"/lib/libcublasLt.so.13 \
      "$root"/targets/x86_64-linux/lib/libcublasLt.so.13 >/dev/null 2>&1; then
    wheel=$("$PYTHON" - <<'PY' 2>/dev/null
import glob, os, site, sys
for base in site.getsitepackages() + [site.getusersitepackages()]:
    for lib in glob.glob(os.path.join(base, "nvidia", "*", "lib", "libcublasLt.so.13")):
        print(lib); sys.exit(0)
PY
)
    if [ -n "$wheel" ]; then
      echo "check.sh: cuBLAS from $wheel"
      make_args+=(CUDA_LIBDIR="$wheel" CUDA_EXTRA_INCLUDE="$(dirname "$(dirname "$wheel")")/include")
    fi
  fi
elif [ -e .cuda/toolchain/nvidia/cu13/bin/nvcc ]; then
  echo "check.sh: nvcc: make gpu's own toolchain (.cuda/toolchain)"
else
  echo "check.sh: no nvcc (set NVCC or CUDA_HOME, or run make gpu where there is a network)"
fi

if [ -n "$nvcc_path" ] || [ -e .cuda/toolchain/nvidia/cu13/bin/nvcc ]; then
  build_start=$(date +%s)
  if ! make --no-print-directory gpu "${make_args[@]}"; then
    echo "check.sh: the build failed (above)"
    exit 1
  fi
  echo "check.sh: built $LIB in $(( $(date +%s) - build_start )) s"
fi
if [ ! -e "$LIB" ]; then
  echo "check.sh: there is no $LIB to check"
  exit 1
fi

spent=$(( $(date +%s) - START ))
budget=$(( 420 - spent ))
[ $budget -lt 60 ] && budget=60
exec timeout --signal=INT $(( budget + 60 )) "$PYTHON" tools/gpu/check.py --library "$LIB" --budget "$budget" "$@"
