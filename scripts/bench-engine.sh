#!/usr/bin/env bash
# Engine speed, same run, same machine: wave-bench-engine (release) and a PyTorch peer doing the same
# AdamW training step of a ViT-Ti (d 192, 12 layers, 3 heads, MLP 768) at
#   32×32 / patch 4 / batch 64   and   224×224 / patch 16 / batch 32,  2 threads;
# and forward-only inference of the real DINOv2 ViT-S/14 backbone (INPUTS.md) at 224 px, batch 8,
# against onnxruntime on the same ONNX cut at the final LayerNorm (scripts/bench-dinov2-ort.py).
# Usage: scripts/bench-engine.sh [threads] [steps] [rounds] [train|dinov2|all]
#   (PyTorch and onnxruntime from ~/.cache/wave/venv, never dependencies)
# The machines are shared and loaded unevenly, so wave and PyTorch run alternately `rounds` times
# (default 3) and the best of each is compared; every round is printed too.
# wave-bench-engine measures the processor's FMA peak (AVX2 and AVX-512) first and prints which
# OpenBLAS kernel runs; figures are % of the best instruction set's peak. Where the platform forces
# a kernel (OPENBLAS_CORETYPE, INPUTS.md), every figure is measured twice: under the environment as
# it is, and with OpenBLAS's own pick (both variables unset, in this benchmark's commands only:
# tests and CI never change them).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
STEPS=${2:-6}
ROUNDS=${3:-3}
WHAT=${4:-all}
bash scripts/setup-peers.sh
PY=${WAVE_VENV:-${WAVE_CACHE:-$HOME/.cache/wave}/venv}/bin/python
# WAVE_BENCH_BIN: a prebuilt wave-bench-engine (skips the build).
if [ -n "${WAVE_BENCH_BIN:-}" ]; then
  BIN=$WAVE_BENCH_BIN
else
  swift build --scratch-path .build-eng -c release --product wave-bench-engine >&2
  BIN=.build-eng/release/wave-bench-engine
fi

peer() {  # image patch batch steps
  OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS "$PY" - "$@" <<'PY'
import sys, time, torch, torch.nn.functional as F
sys.path.insert(0, "Fixtures/torch")
import make_goldens
make_goldens.FUSED = True
from make_goldens import ViT
img, patch, batch, steps = map(int, sys.argv[1:5])
torch.set_num_threads(int(__import__("os").environ["OMP_NUM_THREADS"]))
torch.manual_seed(0)
m = ViT(img, patch, 3, 10, 192, 12, 3, 768, None, True, 1e-6, False)
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.05)
x, y = torch.randn(batch, 3, img, img), torch.arange(batch) % 10
def step():
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(m(x)[0], y, label_smoothing=0.1).backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
step()
t0 = time.perf_counter()
for _ in range(steps): step()
dt = (time.perf_counter() - t0) / steps
print(f"{batch / dt:.2f}")
PY
}

printf '%s\n' "threads $THREADS, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
runenvs=("env")
[ -n "${OPENBLAS_CORETYPE:-}" ] && runenvs+=("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE")
for runenv in "${runenvs[@]}"; do
[ "$runenv" = env ] && echo "== OpenBLAS kernel: as the environment sets it (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})" \
  || echo "== OpenBLAS kernel: autodetected ($runenv)"
shapes=("32 4 64" "224 16 32")
[ "$WHAT" = dinov2 ] && shapes=()
for shape in "${shapes[@]}"; do
  set -- $shape
  steps=$STEPS; [ "$1" = 224 ] && steps=$(( (STEPS + 1) / 2 ))
  best_out=""; best_wave=0; best_torch=0
  for round in $(seq "$ROUNDS"); do
    out=$($runenv "$BIN" bench --shape "$1" --threads "$THREADS" --steps "$steps")
    wave=$(printf '%s\n' "$out" | grep 'images/s' | head -1 | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
    torch=$(peer "$1" "$2" "$3" "$steps")
    printf '  round %d: wave %s images/s, PyTorch %s images/s (load %s)\n' "$round" "$wave" "$torch" "$(cut -d' ' -f1 /proc/loadavg)"
    if awk -v a="$wave" -v b="$best_wave" 'BEGIN{exit !(a>b)}'; then best_wave=$wave; best_out=$out; fi
    if awk -v a="$torch" -v b="$best_torch" 'BEGIN{exit !(a>b)}'; then best_torch=$torch; fi
  done
  printf '%s\n' "$best_out"
  printf '  PyTorch %s (best of %d): %s images/s  ->  wave/PyTorch = %s\n\n' "$(
    "$PY" -c 'import torch; print(torch.__version__)')" "$ROUNDS" "$best_torch" "$(awk -v a="$best_wave" -v b="$best_torch" 'BEGIN{printf "%.2f", a/b}')"
done

# DINOv2 forward (needs the ONNX in the cache: scripts/setup.sh).
ONNX=${WAVE_CACHE:-$HOME/.cache/wave}/vit_s_focus.onnx
if [ "$WHAT" != train ] && [ -f "$ONNX" ]; then
  batch=8; steps=$STEPS
  best_out=""; best_wave=0; best_ort=0
  for round in $(seq "$ROUNDS"); do
    out=$($runenv "$BIN" dinov2 --onnx "$ONNX" --threads "$THREADS" --batch $batch --steps "$steps")
    wave=$(printf '%s\n' "$out" | grep 'images/s' | head -1 | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
    ort=$(OMP_NUM_THREADS=$THREADS "$PY" scripts/bench-dinov2-ort.py "$THREADS" $batch "$steps" "$ONNX")
    printf '  round %d: wave %s images/s, onnxruntime %s images/s (load %s)\n' "$round" "$wave" "$ort" "$(cut -d' ' -f1 /proc/loadavg)"
    if awk -v a="$wave" -v b="$best_wave" 'BEGIN{exit !(a>b)}'; then best_wave=$wave; best_out=$out; fi
    if awk -v a="$ort" -v b="$best_ort" 'BEGIN{exit !(a>b)}'; then best_ort=$ort; fi
  done
  printf '%s\n' "$best_out"
  printf '  onnxruntime %s (best of %d, backbone only): %s images/s  ->  wave/onnxruntime = %s\n' "$(
    "$PY" -c 'import onnxruntime; print(onnxruntime.__version__)')" "$ROUNDS" "$best_ort" "$(awk -v a="$best_wave" -v b="$best_ort" 'BEGIN{printf "%.2f", a/b}')"
fi
done
