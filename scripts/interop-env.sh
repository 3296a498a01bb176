#!/bin/bash
# Create (or check) .venv-interop/: the Python environment with TensorFlow that
# the interop suite (tests/interop/, `make interop`) runs TensorFlow in.
# TensorFlow is a test dependency only: nothing in the library, CLI or module
# uses it.
#
#   scripts/interop-env.sh           create or update; quick no-op when current
#   scripts/interop-env.sh --print   print the venv's python path (after ensuring it)
#
# Pinned versions: scripts/interop-requirements.txt (binary wheels only).
# Idempotent: a stamp file records the sha256 of the requirements and the
# interpreter; when it matches, nothing runs (well under 2 s).  Any failure is
# fatal (exit 1 with pip's message): the suite never runs without TensorFlow.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${TFCKPT_INTEROP_VENV:-$root/.venv-interop}"
req="$root/scripts/interop-requirements.txt"
base_python="${TFCKPT_INTEROP_BASE_PYTHON:-/usr/bin/python3}"
stamp="$venv/.tfckpt-interop-stamp"

want="$(sha256sum "$req" | cut -d' ' -f1) $("$base_python" -c 'import sys; print(sys.version.split()[0])')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  [[ "${1:-}" == "--print" ]] && echo "$venv/bin/python"
  exit 0
fi

echo "interop-env: creating $venv (tensorflow-cpu and its pinned dependencies)" >&2
rm -f "$stamp"
if [[ ! -x "$venv/bin/python" ]]; then
  "$base_python" -m venv "$venv" >&2 || {
    echo "interop-env: FATAL: cannot create a venv with $base_python (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --only-binary=:all: \
       -r "$req" >&2; then
  echo "interop-env: FATAL: pip could not install the pinned TensorFlow environment (see above)" >&2
  exit 1
fi
# Prove it imports and is the pinned version before stamping.
if ! "$venv/bin/python" - >&2 <<'PY'
import re, sys
import tensorflow as tf, keras, numpy, tf_keras
assert tf.__version__ == "2.21.0", tf.__version__
print("interop-env: tensorflow", tf.__version__, "keras", keras.__version__,
      "tf_keras", tf_keras.__version__, "numpy", numpy.__version__)
PY
then
  echo "interop-env: FATAL: TensorFlow installed but does not import" >&2
  exit 1
fi
echo "$want" > "$stamp"
[[ "${1:-}" == "--print" ]] && echo "$venv/bin/python"
exit 0
