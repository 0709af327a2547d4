#!/usr/bin/env bash
# A second real IDX dataset, for transfer and "any IDX folder" runs: the UCI optical handwritten
# digits (1,797 images, 8×8 grey, 10 classes; CC BY 4.0) as scikit-learn's wheel on PyPI ships
# them (sklearn/datasets/data/digits.csv.gz). Written as IDX into $WAVE_CACHE/digits-idx: the
# first 1,500 images are the training split, the other 297 the test split; pixels 0-16 → 0-255.
#   bash scripts/fetch-digits.sh          prints the folder
set -euo pipefail
CACHE="${WAVE_CACHE:-$HOME/.cache/wave}"
OUT="$CACHE/digits-idx"
if [ ! -s "$OUT/t10k-labels-idx1-ubyte" ]; then
  echo "fetch-digits: scikit-learn==1.9.1 wheel from PyPI (9 MB) → $OUT" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" scikit-learn==1.9.1
  python3 - "$tmp" "$OUT" <<'PY'
import glob, gzip, io, os, struct, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "scikit_learn-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    rows = [line.split(",") for line in gzip.decompress(z.read("sklearn/datasets/data/digits.csv.gz")).decode().split("\n") if line.strip()]
assert len(rows) == 1797 and all(len(r) == 65 for r in rows), "unexpected digits.csv layout"
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
for prefix, part in (("train", rows[:1500]), ("t10k", rows[1500:])):
    pixels = bytes(min(255, round(float(v) * 255 / 16)) for r in part for v in r[:64])
    labels = bytes(int(float(r[64])) for r in part)
    for name, data in ((f"{prefix}-images-idx3-ubyte", struct.pack(">IIII", 0x803, len(part), 8, 8) + pixels),
                       (f"{prefix}-labels-idx1-ubyte", struct.pack(">II", 0x801, len(part)) + labels)):
        with open(os.path.join(out, name + ".part"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(out, name + ".part"), os.path.join(out, name))
PY
fi
echo "$OUT"
