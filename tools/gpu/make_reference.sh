#!/usr/bin/env bash
# Writes the CPU path's reference outputs that the device check (tools/gpu/check.sh) compares libtagood_cuda
# with, into tools/gpu/reference/ (committed: about 4.5 MB; the GPU machines have no Swift):
#   test_shift    the built-in test config: shifted and masked windows, a window equal to the grid, a window
#                 that shrinks to a 3×3 grid; 3 images
#   swin_l_shape  Swin-L/384's token grids (96/48/24/12), window 12 and shift 6, 145 image tokens, with small
#                 widths (tools/gpu/configs/swin_l_shape.json); 2 images
#   ram_plus_shift RAM++ on test_shift's encoder: 40 tags × 51 descriptions, reweight_scale 4
#                 (tools/gpu/configs/ram_plus_shift.json); 3 images
# Random weights with non-zero biases and LayerNorm parameters, stored as bf16 (the CPU model runs on
# exactly those values). Usage: tools/gpu/make_reference.sh [tagood-bench binary]
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${1:-}
if [ -z "$BENCH" ]; then
  swift build --product tagood-bench
  BENCH=.build/debug/tagood-bench
fi
OUT=tools/gpu/reference
rm -rf "$OUT"
"$BENCH" gpu-reference --config test_shift --images 3 --seed 3 --id-every 3 -o "$OUT/test_shift"
"$BENCH" gpu-reference --config tools/gpu/configs/swin_l_shape.json --images 2 --seed 4 --id-every 3 \
  -o "$OUT/swin_l_shape"
"$BENCH" gpu-reference --config tools/gpu/configs/ram_plus_shift.json --images 3 --seed 5 --id-every 3 \
  -o "$OUT/ram_plus_shift"
du -sh "$OUT"/*
