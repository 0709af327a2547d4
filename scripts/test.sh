#!/usr/bin/env bash
# The test command (README; .ci/run calls exactly this): installs what is missing, then builds
# and runs every test. Tests that need the real DINOv2 ONNX find it in $WAVE_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
