#!/bin/bash
# tfckpt vs TensorFlow 2.21 in one run; see bench/tf_compare.py and README "Performance".
#   bench/tf_compare.sh [BUILD_DIR]    (BENCH_VARS, BENCH_MIB, BENCH_DIR to change the sizes/location)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
tf_py="$("$root/scripts/interop-env.sh" --print)"
exec /usr/bin/python3 "$root/bench/tf_compare.py" "$build" "$tf_py"
