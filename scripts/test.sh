#!/usr/bin/env bash
# The test command (README; .ci/run calls exactly this): installs what is missing, builds, runs
# every test under the environment as it is, then runs the suites whose numbers depend on the BLAS
# kernel (engine and method: goldens, gradient checks, determinism, resume) again under a second
# OpenBLAS kernel that this processor can run (scripts/second-blas-kernel.sh). Machines of this
# kind differ in the kernel OpenBLAS runs (INPUTS.md), so one kernel's pass proves little.
# Tests that need the real DINOv2 ONNX find it in $WAVE_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
read -r current second < <(bash scripts/second-blas-kernel.sh)
echo "test: engine and method suites again under OpenBLAS's $second kernel (this environment runs $current)" >&2
OPENBLAS_CORETYPE=$second swift test --skip-build --parallel --num-workers 2 --filter 'WaveEngineTests|WaveMethodTests'
