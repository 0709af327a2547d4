#!/usr/bin/env bash
# Installs Open MPI from Debian (openmpi-bin, libopenmpi-dev: mpirun and libmpi.so.40) when it is
# missing. wave itself needs no MPI to build or run; under mpirun it loads libmpi.so.40 itself
# (Sources/WaveMPI). The MPI tests (Tests/WaveCLITests/MPITests.swift) and the scaling benchmark
# (scripts/bench-mpi.sh) call this first. Prints mpirun's path on success.
set -euo pipefail
if ! command -v mpirun >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libmpi\.so\.40 '; then
  echo "setup-mpi: installing openmpi-bin libopenmpi-dev" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
  }
fi
command -v mpirun
