#!/bin/bash
# The CLI under valgrind on every fixture: ls, verify, show (first variable)
# and dump must end without a memory error or leak (definite, indirect or
# possible), whether they succeed or fail (index_only_missing_data_td3 and
# inception_resnet_v1 exercise the error paths).  Skips with a message when
# valgrind is missing or the binary is built with ASan (the sanitizer run
# covers those builds).  TFCKPT_QUICK=1: a few fixtures only.
set -u
BIN=${TFCKPT_BIN:?}
FIX=${TFCKPT_FIXTURES:?}
if ! command -v valgrind >/dev/null; then
  echo "cli_valgrind: SKIP: valgrind not installed (apt-get install valgrind)"
  exit 0
fi
if grep -qa __asan_init "$BIN"; then
  echo "cli_valgrind: SKIP: $BIN is built with AddressSanitizer"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# valgrind < 3.20 cannot read clang 14's DWARF 5 debug info
valgrind -q --log-file="$T/probe.log" "$BIN" --help >/dev/null 2>&1
if grep -q "debuginfo reader\|unhandled dwarf2" "$T/probe.log"; then
  echo "cli_valgrind: SKIP: valgrind cannot read $BIN's debug info (clang: build with -gdwarf-4)"
  exit 0
fi

cases=()
for d in "$FIX"/*/ "$FIX"/spec_synthetic/*/; do
  d=${d%/}
  case $(basename "$d") in spec_synthetic) continue ;; esac
  cases+=("$d")
done
# V1 files are opened by file name
cases+=("$FIX/v1_serving_session_bundle_half_plus_two/export-00000-of-00001")
if [ "${TFCKPT_QUICK:-0}" != 0 ]; then
  cases=("$FIX/spec_synthetic/all_dtypes" "$FIX/spec_synthetic/partitioned_sharded"
         "$FIX/spec_synthetic/v1_slices" "$FIX/tf2_checkpoint_manager_iterator_variant"
         "$FIX/index_only_missing_data_td3")
fi

VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=no)
pass=0
fail=0
runs=0
run() { # run LABEL ARGS...: valgrind the CLI, exit 0 or 1 and no report
  local label=$1
  shift
  runs=$((runs + 1))
  "${VG[@]}" --log-file="$T/vg.log" "$BIN" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
    fail=$((fail + 1))
    echo "FAIL (exit $rc): tfckpt $* [$label]" >&2
    head -40 "$T/vg.log" "$T/err" >&2
  elif [ -s "$T/vg.log" ]; then
    fail=$((fail + 1))
    echo "FAIL (valgrind report): tfckpt $* [$label]" >&2
    head -40 "$T/vg.log" >&2
  else
    pass=$((pass + 1))
  fi
}

start=$(date +%s)
for c in "${cases[@]}"; do
  label=${c#"$FIX"/}
  run "$label" ls "$c"
  run "$label" verify "$c"
  first=$("$BIN" ls "$c" 2>/dev/null | awk 'NR==1 {print $1}')
  if [ -n "$first" ]; then run "$label" show "$c" "$first"; fi
  run "$label" dump "$c" -o "$T/dump.txt"
done
echo "cli_valgrind: ${#cases[@]} fixtures, $runs runs, $pass clean, $fail failed, $(( $(date +%s) - start ))s"
[ $fail -eq 0 ]
