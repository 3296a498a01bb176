#!/bin/bash
# Data pipeline benchmark: tfckpt (1 and 2 threads) vs pandas.read_csv (C
# engine) and numpy.loadtxt on the same generated numeric CSV, all in one run.
#
#   bench/data_bench.sh [BUILD_DIR] [SIZES_MB...]   (default: build 100 400)
#
# The largest size is the main comparison; smaller ones show how peak RSS
# grows (or not) with the file.  numpy runs only on the largest file.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 400)
BENCH=$BUILD/bench/bench_data
[ -x "$BENCH" ] || { echo "build bench_data first ($BENCH)" >&2; exit 1; }
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-bench-data-XXXXXX")
trap 'rm -rf "$T"' EXIT
RES=$T/results.jsonl
: >"$RES"
MAIN=${SIZES[-1]}
for mb in "${SIZES[@]}"; do
  f=$T/data-$mb.csv
  "$BENCH" gen "$f" "$mb" 16
  cat "$f" >/dev/null # warm the page cache so every tool reads from memory
  for t in 1 2; do "$BENCH" run "$f" "$t" >>"$RES"; done
  if [ "$mb" = "$MAIN" ]; then
    $PY "$SRC/bench/data_baseline.py" "$f" pandas numpy >>"$RES"
  else
    $PY "$SRC/bench/data_baseline.py" "$f" pandas >>"$RES"
  fi
  rm -f "$f"
done
$PY - "$RES" "$MAIN" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ver = next((r["versions"] for r in rows if "versions" in r), {})
rows = [r for r in rows if "tool" in r]
main = float(sys.argv[2])
print(f"{'tool':<10} {'threads':>7} {'file MB':>8} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12}")
for r in rows:
    print(f"{r['tool']:<10} {r['threads']:>7} {r['mb']:>8.0f} {r['seconds']:>8.2f} "
          f"{r['mb_per_s']:>8.1f} {r['peak_rss_mb']:>12.1f}")
big = [r for r in rows if abs(r["mb"] - main) < 1]
pd = next(r for r in big if r["tool"] == "pandas")
for r in big:
    if r["tool"] == "tfckpt":
        print(f"tfckpt {r['threads']} thread(s) / pandas.read_csv: {r['mb_per_s'] / pd['mb_per_s']:.1f}x")
print("versions:", ", ".join(f"{k} {v}" for k, v in ver.items()))
PYEOF
