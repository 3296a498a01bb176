#!/bin/bash
# The TensorFlow interop suite (docs/interop.md): `make interop`.
#   tests/interop/run.sh [BUILD_DIR]      (default build/)
# TensorFlow 2.21 runs in .venv-interop (scripts/interop-env.sh creates it);
# tfckpt's module and CLI run under /usr/bin/python3.  The two sides exchange
# checkpoints and JSON records through one temporary directory, removed at the
# end (TFCKPT_INTEROP_KEEP=1 keeps it).  Prints "N passed, M failed" last and
# exits 1 on any failure; if TensorFlow cannot be set up, that is a failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)" || { echo "interop: no build directory"; echo "0 passed, 1 failed"; exit 1; }
export TFCKPT_BIN="$build/tfckpt" TFCKPT_BUILD="$build"
SYS_PY="${TFCKPT_INTEROP_SYS_PYTHON:-/usr/bin/python3}"
export TF_CPP_MIN_LOG_LEVEL=2 KERAS_BACKEND=tensorflow PYTHONDONTWRITEBYTECODE=1

passed=0 failed=0
fail_setup() { echo "FAIL [setup] $1"; echo "interop: 0 passed, 1 failed"; echo "0 passed, 1 failed"; exit 1; }
[[ -x "$TFCKPT_BIN" ]] || fail_setup "$TFCKPT_BIN not built (make build)"
ls "$build"/python/tfckpt*.so >/dev/null 2>&1 || fail_setup "the Python module is not built in $build/python"
TF_PY="$("$root/scripts/interop-env.sh" --print)" || fail_setup "scripts/interop-env.sh could not install TensorFlow (see above)"
"$TF_PY" -c 'import tensorflow' 2>/dev/null || fail_setup "TensorFlow does not import in $TF_PY"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-interop.XXXXXX")"
[[ "${TFCKPT_INTEROP_KEEP:-0}" == 1 ]] || trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
: > "$log"
t0=$SECONDS

# run NAME PYTHON SCRIPT: runs one step, shows its PASS/FAIL lines, counts them;
# a step that crashes (non-zero exit) counts as one more failure.
run() {
  local name="$1" py="$2" script="$3"; shift 3
  local s=$SECONDS out="$tmp/$name.out"
  "$py" "$here/$script" "$tmp" "$@" > "$out" 2> "$tmp/$name.err"
  local rc=$?
  grep -E '^(PASS|FAIL) ' "$out" || true
  grep -E '^[a-z_]+: [0-9]+ checkpoints' "$out" | tee -a "$log" || true
  local p f
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
  if (( rc != 0 )); then
    echo "FAIL [$name] $script exited with status $rc; last lines of its output:"
    tail -n 25 "$tmp/$name.err" | grep -v -E '^(WARNING|I0000|W0000|E0000)' | sed 's/^/    /'
    f=$((f + 1))
  fi
  passed=$((passed + p)); failed=$((failed + f))
  echo "interop: $name: $p passed, $f failed ($((SECONDS - s)) s)" | tee -a "$log"
}

run gen_tf       "$TF_PY"  gen_tf.py
run check_read   "$SYS_PY" check_read.py
run write_tfckpt "$SYS_PY" write_tfckpt.py
run verify_tf    "$TF_PY"  verify_tf.py

echo "interop: TensorFlow $("$TF_PY" -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null), $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
(( failed == 0 ))
