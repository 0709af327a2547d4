#!/usr/bin/env bash
# Regenerates the protobuf-c code for Schemas/bundle-manifest.proto into Sources/CWaveBundle (or into $1, which
# the staleness test uses). The generated files are committed so that builds need no protoc-c.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/Sources/CWaveBundle}"
command -v protoc-c >/dev/null || { echo "gen-bundle-proto.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root/Schemas" && protoc-c --c_out="$tmp" bundle-manifest.proto)
mkdir -p "$out/include"
sed 's|#include "bundle-manifest.pb-c.h"|#include "include/bundle-manifest.pb-c.h"|' "$tmp/bundle-manifest.pb-c.c" > "$out/bundle-manifest.pb-c.c"
cp "$tmp/bundle-manifest.pb-c.h" "$out/include/bundle-manifest.pb-c.h"
