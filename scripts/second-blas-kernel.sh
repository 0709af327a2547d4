#!/usr/bin/env bash
# Prints "CURRENT SECOND": the OpenBLAS kernel this environment runs (OPENBLAS_CORETYPE as the
# platform set it, or OpenBLAS's own pick) and a second kernel this processor can run whose sgemm
# sums in another order, for scripts/test.sh to run the BLAS-dependent suites under both.
#   AVX-512 kernel now (SkylakeX, Cooperlake, SapphireRapids)  -> Haswell (AVX2 + FMA)
#   AVX2 kernel now (Haswell, Zen) on an AVX-512 processor      -> SkylakeX
#   AVX2 kernel now, no AVX-512                                -> Sandybridge (AVX, no FMA)
# A kernel the processor lacks would die on its first instruction (SIGILL), so the choice reads
# /proc/cpuinfo. Machines of this kind differ (INPUTS.md): AMD Zen 4 picks Cooperlake, AMD family 26
# has OPENBLAS_CORETYPE=Haswell set, AMD family 23 (Zen, no AVX-512) picks Zen.
set -euo pipefail
current=$(python3 - <<'PY'
import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())
PY
)
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
case "$current" in
  SkylakeX|Cooperlake|SapphireRapids|skylakex|cooperlake|sapphirerapids) second=Haswell ;;
  *)
    if has avx512f && has avx512bw && has avx512vl && has avx512dq; then second=SkylakeX
    elif has avx; then second=Sandybridge
    else second=Nehalem; fi ;;
esac
echo "$current $second"
