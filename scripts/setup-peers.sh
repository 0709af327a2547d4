#!/usr/bin/env bash
# Peers for comparisons and fixture generators (never dependencies of wave itself): a virtualenv
# in $WAVE_CACHE/venv with PyTorch CPU (pinned: plain `pip install torch` picks a CUDA build that
# does not import here), onnx, onnxruntime, numpy, safetensors, and transformers 5.23.0 (the peer
# for Hugging Face checks: Tests/WaveCLITests/HFFolderTests.swift, Fixtures/hf).
set -euo pipefail
CACHE="${WAVE_CACHE:-$HOME/.cache/wave}"
VENV="${WAVE_VENV:-$CACHE/venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, onnxruntime, safetensors" 2>/dev/null; then
  echo "setup-peers: creating $VENV (torch 2.13.0+cpu, onnx, onnxruntime, numpy, safetensors)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "torch==2.13.0+cpu" onnx onnxruntime numpy safetensors
fi
if ! "$VENV/bin/python" -c "import transformers; assert transformers.__version__ == '5.23.0'" 2>/dev/null; then
  echo "setup-peers: installing transformers==5.23.0 into $VENV" >&2
  "$VENV/bin/pip" install --quiet "transformers==5.23.0"
fi
echo "setup-peers: ready ($VENV)" >&2
