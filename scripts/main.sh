#!/usr/bin/env bash
# The main job on the real default inputs (README): fetch the DINOv2 ONNX and Fashion-MNIST, build
# wave in release, inspect and convert the ancestry, then run the whole method (`wave pipeline`):
# condense (least squares + distillation), expand to several sizes with a scaler fit, train each
# one epoch, and compare with the same architectures from scratch and with Direct PT.
#   WAVE_CACHE          cache folder (default ~/.cache/wave)
#   WAVE_OUT            output folder (default ./out)
#   WAVE_PIPELINE_ARGS  extra options for `wave pipeline` (see `wave pipeline --help`)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CACHE="${WAVE_CACHE:-$HOME/.cache/wave}"
OUT="${WAVE_OUT:-out}"
mkdir -p "$OUT"
swift build -c release --product wave
WAVE=.build/release/wave
# sed, not head: head would exit after 6 lines and, under pipefail, wave's SIGPIPE would stop the job.
$WAVE inspect "$CACHE/vit_s_focus.onnx" | sed -n 1,6p
$WAVE convert "$CACHE/vit_s_focus.onnx" -o "$OUT/dinov2-s14.safetensors"
# shellcheck disable=SC2086
$WAVE pipeline --ancestry "$CACHE/vit_s_focus.onnx" --data /usr/share/datasets/fashion-mnist --out "$OUT" ${WAVE_PIPELINE_ARGS:-}
