#!/usr/bin/env bash
# Inference speed of exported models, same run: the real DINOv2 ViT-S/14 (INPUTS.md) condensed without
# data, expanded to depth 4 and depth 12 at width 384 and 224 px, and written as ONNX by
# `wave expand --format onnx`; onnxruntime runs each exported file (scripts/bench-dinov2-ort.py) and
# wave's engine runs the same file (wave-bench-engine dinov2 reads it back like any model), at batch 1
# and 8, alternately `rounds` times; the best of each is compared (wave / onnxruntime).
# Usage: scripts/bench-export.sh [threads] [steps] [rounds]
#   WAVE_BIN / WAVE_BENCH_BIN: prebuilt release binaries (else both are built in .build-eng).
#   onnxruntime comes from ~/.cache/wave/venv (scripts/setup-peers.sh), never a dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
STEPS=${2:-4}
ROUNDS=${3:-3}
bash scripts/setup-peers.sh
PY=${WAVE_VENV:-${WAVE_CACHE:-$HOME/.cache/wave}/venv}/bin/python
ONNX=${WAVE_CACHE:-$HOME/.cache/wave}/vit_s_focus.onnx
[ -f "$ONNX" ] || { echo "bench-export: $ONNX missing (scripts/setup.sh fetches it)" >&2; exit 2; }
if [ -z "${WAVE_BIN:-}" ] || [ -z "${WAVE_BENCH_BIN:-}" ]; then
  swift build --scratch-path .build-eng -c release --product wave >&2
  swift build --scratch-path .build-eng -c release --product wave-bench-engine >&2
fi
WAVE=${WAVE_BIN:-.build-eng/release/wave}
BIN=${WAVE_BENCH_BIN:-.build-eng/release/wave-bench-engine}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$WAVE" condense "$ONNX" -o "$TMP/dinov2.wave" --quiet >/dev/null
printf '%s\n' "threads $THREADS, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), onnxruntime $(
  "$PY" -c 'import onnxruntime; print(onnxruntime.__version__)')"
for depth in 4 12; do
  model="$TMP/d$depth.onnx"
  "$WAVE" expand "$TMP/dinov2.wave" --depth "$depth" --width 384 --image-size 224 --format onnx -o "$model" --quiet | head -1
  for batch in 1 8; do
    steps=$STEPS; [ "$batch" = 1 ] && steps=$(( STEPS * 4 ))
    best_wave=0; best_ort=0
    for round in $(seq "$ROUNDS"); do
      out=$("$BIN" dinov2 --onnx "$model" --threads "$THREADS" --batch "$batch" --steps "$steps")
      wave=$(printf '%s\n' "$out" | grep 'images/s' | head -1 | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
      ort=$(OMP_NUM_THREADS=$THREADS "$PY" scripts/bench-dinov2-ort.py "$THREADS" "$batch" "$steps" "$model")
      printf '  depth %d, batch %d, round %d: wave %s images/s, onnxruntime %s images/s (load %s)\n' \
        "$depth" "$batch" "$round" "$wave" "$ort" "$(cut -d' ' -f1 /proc/loadavg)"
      if awk -v a="$wave" -v b="$best_wave" 'BEGIN{exit !(a>b)}'; then best_wave=$wave; fi
      if awk -v a="$ort" -v b="$best_ort" 'BEGIN{exit !(a>b)}'; then best_ort=$ort; fi
    done
    printf 'depth %2d, batch %d: wave %s images/s, onnxruntime %s images/s (best of %d)  ->  wave/onnxruntime = %s\n' \
      "$depth" "$batch" "$best_wave" "$best_ort" "$ROUNDS" "$(awk -v a="$best_wave" -v b="$best_ort" 'BEGIN{printf "%.2f", a/b}')"
  done
done
