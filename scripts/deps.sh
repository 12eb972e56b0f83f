#!/usr/bin/env bash
# Installs every Debian package aiaas needs to build, test and run.
# Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  # core libraries
  libtorch-dev libopenblas0-openmp libabsl-dev nlohmann-json3-dev libsimdjson-dev
  libsqlite3-dev libssl-dev libboost-dev libcurl4-openssl-dev prometheus-cpp-dev
  # ONNX: protobuf model format, checker and shape inference; the backend test data
  libonnx-dev libprotobuf-dev libonnx-testdata
  # datasets: gzip (zlib) and .npz archives (libzip)
  zlib1g-dev libzip-dev zipcmp zipmerge ziptool  # libzip-config.cmake needs the three tools
  # tests and tools
  libgtest-dev libgmock-dev libbenchmark-dev python3-torch python3-onnx python3-sklearn curl openssl clang-format
  clang-tidy
  # fuzzing (make fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # benchmarks
  python3-fastapi python3-uvicorn python3-flask wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
