#!/bin/bash
# `tfckpt dump` text throughput vs numpy.savetxt on the same float32 values,
# same run.  The values are one float32 variable of shape [N/1000, 1000]
# (dump writes one line per row of the last dimension, like savetxt).
#
#   bench/dump_vs_savetxt.sh [BUILD_DIR] [MILLION_VALUES]   (default: build 4)
#
# numpy.savetxt is timed with its default fmt '%.18e' and with '%.9g' (the
# shortest fixed format that round-trips float32, comparable to dump's
# shortest round-trip output); both ratios are printed.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
MVALS=${2:-4}
BIN=$BUILD/tfckpt
[ -x "$BIN" ] || { echo "build tfckpt first ($BIN)" >&2; exit 1; }
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-bench-dump-XXXXXX")
trap 'rm -rf "$T"' EXIT

$PY -c "
import numpy as np
n = int($MVALS * 1e6) // 1000 * 1000
a = np.random.default_rng(0).standard_normal(n, dtype=np.float32).reshape(-1, 1000)
np.save('$T/w.npy', a)"
"$BIN" import "$T/w.npy" -o "$T/model.ckpt" --name w -q

best_dump=""
for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$BIN" dump "$T/model.ckpt" -o "$T/dump.txt"
  e=$(date +%s.%N)
  best_dump=$(echo "$s $e $best_dump" | awk '{t=$2-$1; if ($3=="" || t<$3) print t; else print $3}')
done
DUMP_BYTES=$(stat -c %s "$T/dump.txt")

$PY - "$T" "$best_dump" "$DUMP_BYTES" <<'PYEOF'
import os, sys, time
import numpy as np
d, t_dump, dump_bytes = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
a = np.load(d + "/w.npy")
n = a.size
# dump's values read back exactly
with open(d + "/dump.txt") as f:
    lines = [l for l in f if l and not l.startswith("#") and not l.startswith("tensor ")]
back = np.array([float(x) for l in lines for x in l.split()], dtype=np.float32)
assert back.size == n and back.tobytes() == a.ravel().tobytes(), "dump values differ"
res = {}
for fmt in ("%.18e", "%.9g"):
    best = None
    for _ in range(2):
        t = time.perf_counter()
        np.savetxt(d + "/np.txt", a, fmt=fmt)
        t = time.perf_counter() - t
        best = t if best is None or t < best else best
    res[fmt] = (best, os.path.getsize(d + "/np.txt"))
print("%d float32 values, best run each:" % n)
print("  %-28s %7.3f s  %6.1f M values/s  %7.1f MB/s text" % ("tfckpt dump", t_dump, n / t_dump / 1e6, dump_bytes / t_dump / 1e6))
for fmt, (t, b) in res.items():
    print("  %-28s %7.3f s  %6.1f M values/s  %7.1f MB/s text" % ("numpy.savetxt fmt=" + fmt, t, n / t / 1e6, b / t / 1e6))
print("dump vs numpy.savetxt: %.1fx (default fmt %%.18e), %.1fx (fmt %%.9g); target >= 10x"
      % (res["%.18e"][0] / t_dump, res["%.9g"][0] / t_dump))
PYEOF
