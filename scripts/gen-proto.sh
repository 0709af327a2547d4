#!/usr/bin/env bash
# Regenerates the protobuf-c code for Schemas/onnx-subset.proto into Sources/CONNX (or into $1, which the
# staleness test uses). The generated files are committed so that builds need no protoc-c.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/Sources/CONNX}"
command -v protoc-c >/dev/null || { echo "gen-proto.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Run from Schemas/ so the generated file names carry no directory prefix.
(cd "$root/Schemas" && protoc-c --c_out="$tmp" onnx-subset.proto)
mkdir -p "$out/include"
# SwiftPM puts include/ on the header path, and protobuf-c's header comes through the CProtobufC module
# map's path <protobuf-c/protobuf-c.h>, which is what protoc-c already writes; only our own header moves.
sed 's|#include "onnx-subset.pb-c.h"|#include "include/onnx-subset.pb-c.h"|' "$tmp/onnx-subset.pb-c.c" > "$out/onnx-subset.pb-c.c"
cp "$tmp/onnx-subset.pb-c.h" "$out/include/onnx-subset.pb-c.h"
