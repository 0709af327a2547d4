#!/usr/bin/env bash
# Fuzzes one parser with libFuzzer + AddressSanitizer:  scripts/fuzz.sh TARGET [SECONDS]
#   TARGET   FuzzSafetensors, FuzzShardIndex, FuzzONNX, FuzzBundle or FuzzIDX (executable targets
#            that define an input function and call FuzzDriver.run, Sources/FuzzDriver)
#   SECONDS  run time, default 60
# Corpus: fuzz-corpus/TARGET (gitignored; seeded on first run from generated files and from
# Fixtures/<format>/). Findings: fuzz-artifacts/TARGET/crash-* etc. Replay one with a normal
# build: `swift run TARGET fuzz-artifacts/TARGET/crash-...`. Extra arguments after SECONDS go
# to libFuzzer (e.g. -jobs=2, -max_len=4096).
#
# Why -sanitize=fuzzer,address and no -parse-as-library: SwiftPM links executables with
# `--defsym main=<Target>_main`, which keeps libFuzzer's main out; FuzzDriver.run calls
# LLVMFuzzerRunDriver itself when built with -DFUZZING. The release configuration keeps
# the package's -Ounchecked, which drops Swift's own bounds traps; ASan is what catches
# out-of-bounds reads there.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-}"
seconds="${2:-60}"
shift $(( $# < 2 ? $# : 2 ))
case "$target" in
    FuzzSafetensors) format=safetensors ;;
    FuzzONNX) format=onnx ;;
    FuzzBundle) format=bundle ;;   # seeds: Fixtures/bundle (FuzzBundle --write-seeds)
    FuzzShardIndex) format=shard-index ;;   # seeds: seed_shard_index below; shards: the target's own folder
    FuzzIDX) format=idx ;;   # seeds: seed_idx below (plain and gzipped)
    *) echo "usage: scripts/fuzz.sh FuzzSafetensors|FuzzShardIndex|FuzzONNX|FuzzBundle|FuzzIDX [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac

swift build -c release --scratch-path .build-fuzz --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
binary="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/$target"

corpus="fuzz-corpus/$target"
artifacts="fuzz-artifacts/$target"
mkdir -p "$corpus" "$artifacts"

# Small valid files give the fuzzer every branch of a correct header to mutate from.
seed_safetensors() {
    python3 - "$corpus" <<'EOF'
import json, struct, sys, os
out = sys.argv[1]
sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
         "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}
def write(name, tensors, meta=None, pad=True):
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    for tname, dtype, shape in tensors:
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[tname] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + n]}
        data += bytes((i * 37) & 0xFF for i in range(n))
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
write("empty", [])
write("meta-only", [], {"format": "pt", "note": "a \"quoted\" \u00fc \\ value"})
for dtype in sizes:
    write("scalar-" + dtype, [("x", dtype, [])])
write("zero-size", [("z", "F32", [0, 3]), ("a", "F16", [2, 2])])
write("several", [("w", "F32", [2, 3]), ("b", "BF16", [3]), ("i", "I64", [1, 1, 2])], {"format": "np"})
write("unpadded", [("x", "U8", [5])], pad=False)
EOF
}

# Index files naming the shards Sources/FuzzShardIndex sets up (valid, nested, conflicting,
# missing, corrupt, a directory, outside the folder), so every check starts reachable.
seed_shard_index() {
    python3 - "$corpus" <<'EOF'
import json, os, sys
out = sys.argv[1]
a, b = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
seeds = {
    "valid": {"metadata": {"total_size": 52}, "weight_map": {"a": a, "b": a, "c": b}},
    "no-metadata": {"weight_map": {"a": a, "b": a}},
    "nested": {"weight_map": {"e": "sub/nested.safetensors"}},
    "empty-map": {"weight_map": {}},
    "meta-conflict": {"weight_map": {"a": a, "b": a, "c": b, "d": "other.safetensors"}},
    "wrong-shard": {"weight_map": {"a": "dup.safetensors", "b": a}},
    "duplicate": {"weight_map": {"a": a, "b": a, "x": "dup.safetensors"}},
    "missing-tensor": {"weight_map": {"a": a, "b": a, "z": b}},
    "missing-shard": {"weight_map": {"a": "model-00003-of-00003.safetensors"}},
    "corrupt-shard": {"weight_map": {"x": "bad.safetensors"}},
    "empty-shard": {"weight_map": {"x": "empty.safetensors"}},
    "directory": {"weight_map": {"x": "dir.safetensors"}},
    "outside": {"weight_map": {"ESCAPED": "../escape.safetensors"}},
    "absolute": {"weight_map": {"ESCAPED": "/etc/passwd"}},
    "metadata-not-object": {"metadata": [], "weight_map": {"a": a}},
    "value-not-string": {"weight_map": {"a": 1}},
}
for name, index in seeds.items():
    with open(os.path.join(out, "seed-" + name), "w") as f:
        json.dump(index, f)
EOF
}

# Tiny IDX images and labels, each also gzipped (the reader inflates gzip input itself).
seed_idx() {
    python3 - "$corpus" <<'EOF'
import gzip, os, struct, sys
out = sys.argv[1]
def idx(magic, dims):
    n = 1
    for d in dims:
        n *= d
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes((i * 29) & 0xFF for i in range(n))
seeds = {"images": idx(0x803, [2, 3, 4]), "images-1x1": idx(0x803, [1, 1, 1]), "labels": idx(0x801, [5]),
         "labels-1": idx(0x801, [1])}
for name, data in list(seeds.items()):
    seeds[name + ".gz"] = gzip.compress(data, mtime=0)
for name, data in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)
EOF
}

if [ -z "$(ls -A "$corpus")" ]; then
    [ "$format" = safetensors ] && seed_safetensors
    [ "$format" = shard-index ] && seed_shard_index
    [ "$format" = idx ] && seed_idx
    if [ -d "Fixtures/$format" ]; then
        find "Fixtures/$format" -type f -size -256k ! -name '*.md' ! -name '*.dict' -exec cp {} "$corpus/" \;
    fi
fi

dict=()
[ -f "Fixtures/$format/fuzz.dict" ] && dict=(-dict="Fixtures/$format/fuzz.dict")
if [ "$format" = shard-index ]; then
    # Index keys, the set-up shard names and path pieces; a generated file, not a fixture.
    printf '%s\n' '"\"weight_map\""' '"\"metadata\""' '"\"total_size\""' '"model-00001-of-00002.safetensors"' \
        '"model-00002-of-00002.safetensors"' '"other.safetensors"' '"dup.safetensors"' '"sub/nested.safetensors"' '"bad.safetensors"' \
        '"empty.safetensors"' '"dir.safetensors"' '"escape.safetensors"' '"../"' '"./"' '"//"' '"\\u0000"' '"\\/"' \
        > .build-fuzz/shard-index.dict
    dict=(-dict=.build-fuzz/shard-index.dict)
fi

exec "$binary" "$corpus" -max_total_time="$seconds" -artifact_prefix="$artifacts/" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 "${dict[@]}" "$@"
