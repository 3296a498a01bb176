#!/bin/bash
# Builds the libFuzzer harnesses (fuzz/) and runs each for SECONDS (default 30).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets run one after another, one process each (the machine is shared).
# Env: BUILD (default build-fuzz), FIXTURES (default ../shared/fixtures),
#      CC (default clang), JOBS_BUILD (compile jobs, default 2).
# Seeds: generated from the fixtures by scripts/fuzz_seeds.py, plus the crash
# inputs kept in tests/regress/<target>/.  The corpus grows in
# $BUILD/fuzz/corpus/<target> across runs.  A crash, leak, timeout (>10 s per
# input) or an input needing > 2 GiB fails the run; the input is left in
# $BUILD/fuzz/artifacts/<target>/ (copy it to tests/regress/<target>/ with
# a short name once fixed).  Prints one summary line per target.
set -u
cd "$(dirname "$0")/.."
SRC=$PWD
SECS=${1:-30}
shift || true
BUILD=${BUILD:-$SRC/build-fuzz}
FIXTURES=${FIXTURES:-$SRC/../shared/fixtures}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(table bundle reader v1 v1_file objgraph metagraph state data arrays json)

if ! command -v "${CC:-clang}" >/dev/null; then
  echo "fuzz.sh: clang not found (apt-get install clang)" >&2
  exit 2
fi
CC=${CC:-clang} cmake -S "$SRC" -B "$BUILD" -DTFCKPT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
cmake --build "$BUILD" -j"${JOBS_BUILD:-2}" --target fuzzers >/dev/null || {
  cmake --build "$BUILD" --target fuzzers 2>&1 | tail -30; exit 2; }

SEEDS=$BUILD/fuzz/seeds
rm -rf "$SEEDS"
/usr/bin/python3 "$SRC/scripts/fuzz_seeds.py" "$FIXTURES" "$SEEDS" >/dev/null || exit 2

max_len() {
  case $1 in
    metagraph) echo 262144 ;;
    reader|table|v1_file|arrays) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

fail=0
printf '%-10s %8s %10s %8s %6s %s\n' target seconds execs exec/s cov result
passed=0
failed=0
for t in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no harness $bin" >&2; fail=1; failed=$((failed + 1)); continue; }
  corpus=$BUILD/fuzz/corpus/$t
  art=$BUILD/fuzz/artifacts/$t
  mkdir -p "$corpus" "$art" "$SEEDS/$t"
  dirs=("$corpus" "$SEEDS/$t")
  [ -d "$SRC/tests/regress/$t" ] && dirs+=("$SRC/tests/regress/$t")
  log=$BUILD/fuzz/$t.log
  start=$(date +%s)
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$art/" \
      "${dirs[@]}" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ $rc -eq 0 ]; then res=ok; passed=$((passed + 1)); else res="FAIL (rc $rc, see $log)"; fail=1; failed=$((failed + 1)); fi
  printf '%-10s %8s %10s %8s %6s %s\n' "$t" "$secs" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$res"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8 | sed 's/^/    /'
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $fail
