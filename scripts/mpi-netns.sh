#!/usr/bin/env bash
# Runs COMMAND as two MPI ranks in two network namespaces of this machine, joined by a veth pair,
# so that every message between the ranks crosses Open MPI's TCP transport (no shared memory):
# rank 0 in wave-a-TAG at 10.231.77.1, rank 1 in wave-b-TAG at 10.231.77.2 (a /24 of the project's
# own; WAVE_NETNS_NET changes it). mpirun runs in the first namespace and starts the ranks through
# a stand-in for ssh that enters the namespace named as the host. Prints, on stderr, the bytes the
# veth pair carried from rank 0's side and to it. Needs root, iproute2 and Open MPI.
#   scripts/mpi-netns.sh .build/debug/wave condense ...
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
tag="${WAVE_NETNS_TAG:-$$}"
net="${WAVE_NETNS_NET:-10.231.77}"
A="wave-a-$tag" B="wave-b-$tag" VA="wva$tag" VB="wvb$tag"
agent=$(mktemp "${TMPDIR:-/tmp}/wave-netns-agent.XXXXXX")
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -f "$agent"; }
trap cleanup EXIT
# Open MPI's rsh launcher calls "AGENT HOST COMMAND...": here HOST names a namespace.
printf '#!/bin/sh\nhost=$1; shift\nexec ip netns exec "$host" sh -c "$*"\n' > "$agent"
chmod 700 "$agent"
ip netns add "$A"; ip netns add "$B"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$A"; ip link set "$VB" netns "$B"
ip -n "$A" addr add "$net.1/24" dev "$VA"; ip -n "$B" addr add "$net.2/24" dev "$VB"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$VA" up; ip -n "$B" link set "$VB" up
counter() { ip netns exec "$A" cat "/sys/class/net/$VA/statistics/$1"; }
tx0=$(counter tx_bytes); rx0=$(counter rx_bytes)
export_cache=(); [ -n "${WAVE_CACHE:-}" ] && export_cache=(-x WAVE_CACHE)
rc=0
ip netns exec "$A" mpirun --allow-run-as-root --oversubscribe -np 2 --host "$A:1,$B:1" \
  --mca plm_rsh_agent "$agent" --mca btl tcp,self \
  --mca btl_tcp_if_include "$net.0/24" --mca oob_tcp_if_include "$net.0/24" "${export_cache[@]}" "$@" || rc=$?
echo "netns: veth $VA ($A, $net.1) sent $(( $(counter tx_bytes) - tx0 )) bytes, received $(( $(counter rx_bytes) - rx0 )) bytes" >&2
exit $rc
