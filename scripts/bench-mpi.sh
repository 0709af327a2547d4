#!/usr/bin/env bash
# Data-parallel scaling of condensation (issue 18), same run: the real DINOv2 ViT-S/14 (INPUTS.md)
# distilled on Fashion-MNIST at 56 px, batch 64, as
#   1 process × 1 thread (one gradient shard: the ordinary step)
#   1 process × 1 thread, --grad-shards 2 (what each rank computes, twice: the cost of sharding)
#   1 process × 2 threads
#   mpirun -np 2, 1 thread per rank (shared memory on one machine)
# alternately `rounds` times; prints each run's steps/s and images/s (the distillation steps only,
# `speed:` in the report), the all-reduce's share of the step and the bytes each rank sent per step.
# Usage: scripts/bench-mpi.sh [images] [epochs] [rounds]
#   WAVE_BIN: a prebuilt release binary (else one is built in .build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${1:-2048}
EPOCHS=${2:-1.25}
ROUNDS=${3:-2}
MPIRUN=$(bash scripts/setup-mpi.sh)
ONNX=${WAVE_CACHE:-$HOME/.cache/wave}/vit_s_focus.onnx
[ -f "$ONNX" ] || { echo "bench-mpi: $ONNX missing (scripts/setup.sh fetches it)" >&2; exit 2; }
if [ -z "${WAVE_BIN:-}" ]; then swift build -c release --product wave >&2; fi
WAVE=${WAVE_BIN:-.build/release/wave}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ARGS=(condense "$ONNX" --data /usr/share/datasets/fashion-mnist --images "$IMAGES" --epochs "$EPOCHS" --batch 64 --quiet --json)

speed() { python3 -c 'import json,sys; print(next(l for l in json.load(sys.stdin)["distillation"] if l.startswith("speed:")))'; }
run() {  # label, then the command
  local label=$1; shift
  printf '%-34s %s\n' "$label" "$("$@" -o "$TMP/b.wave" | speed)"
}
echo "bench-mpi: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $IMAGES images × $EPOCHS epochs, batch 64, 56 px"
# The teacher's features are computed once and cached (not part of any figure below).
"$WAVE" "${ARGS[@]}" --epochs 0.05 -o "$TMP/warm.wave" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r (load $(cut -d' ' -f1-3 /proc/loadavg))"
  run "1 process, 1 thread"             "$WAVE" "${ARGS[@]}" --threads 1
  run "1 process, 1 thread, 2 shards"   "$WAVE" "${ARGS[@]}" --threads 1 --grad-shards 2
  run "1 process, 2 threads"            "$WAVE" "${ARGS[@]}" --threads 2
  run "2 ranks × 1 thread (MPI)"        "$MPIRUN" --allow-run-as-root --oversubscribe -np 2 "$WAVE" "${ARGS[@]}" --threads 1
done
