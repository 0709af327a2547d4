#!/usr/bin/env bash
# The main job on the real default inputs (README): fetch the DINOv2 ONNX, build wave in release,
# inspect the model, convert it to timm-named safetensors with its config, and inspect the result.
#   WAVE_CACHE  cache folder (default ~/.cache/wave)   WAVE_OUT  output folder (default ./out)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CACHE="${WAVE_CACHE:-$HOME/.cache/wave}"
OUT="${WAVE_OUT:-out}"
mkdir -p "$OUT"
swift build -c release --product wave
WAVE=.build/release/wave
$WAVE inspect "$CACHE/vit_s_focus.onnx" | head -n 12
$WAVE convert "$CACHE/vit_s_focus.onnx" -o "$OUT/dinov2-s14.safetensors"
$WAVE inspect "$OUT/dinov2-s14.safetensors" | head -n 8
