#!/bin/bash
# Installs tfckpt's build and test dependencies from Debian, then builds.
# After it: build/tfckpt (the CLI), build/libtfckpt.{a,so}, build/python/.
#   ./setup.sh            dependencies + release build
#   ./setup.sh --bench    also the packages only the benchmarks compare with
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config clang       # C11 toolchain (gcc and clang)
  libclang-rt-14-dev                           # clang's sanitizer + libFuzzer runtimes
  libsnappy-dev                                # Snappy-compressed table blocks
  zlib1g-dev                                   # gzip CSV input, .npz files
  nettle-dev                                   # sha256 for `verify --hash`
  libisal-dev                                  # ISA-L: fastest CRC32C
  libopenblas-dev                              # GEMM for training
  python3-dev python3-numpy                    # the Python module and its tests
  python3-pandas python3-sklearn               # test data sets, data benchmarks
  liblinear-tools                              # LibSVM heart_scale test data
  valgrind                                     # leak checks of the CLI
  python3-venv                                 # .venv-interop: TensorFlow for `make interop` (scripts/interop-env.sh)
)
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(python3-torch)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
echo "setup: done; the CLI is build/tfckpt"
