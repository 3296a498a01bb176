#!/bin/bash
# Export throughput: a 1 GiB float32 checkpoint (16 variables of 64 MiB) to a
# .npy directory, .npz (stored) and .safetensors, with numpy.save of the same
# arrays (already in memory) and a plain cp of the data file as baselines,
# all in one run.  TMPDIR=/dev/shm takes the disk out of the measurement.
#
#   bench/export_bench.sh [BUILD_DIR] [MIB]      (default: build 1024)
#
# Every output is fsynced before `tfckpt export` returns (atomic rename), so
# the numbers include getting the bytes to the disk cache's writeback path;
# the numpy baseline gets an fsync too.  Runs are repeated 3 times; the best
# is reported (the first run also warms the page cache for the input).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
MIB=${2:-1024}
BIN=$BUILD/tfckpt
[ -x "$BIN" ] || { echo "build tfckpt first ($BIN)" >&2; exit 1; }
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-bench-export-XXXXXX")
trap 'rm -rf "$T"' EXIT

$PY - "$T" "$MIB" <<'PYEOF'
import sys, numpy as np
d, mib = sys.argv[1], int(sys.argv[2])
n = 16
per = mib * (1 << 20) // 4 // n
rng = np.random.default_rng(0)
np.savez(d + "/src.npz", **{"layer_%02d/kernel" % i: rng.standard_normal(per, dtype=np.float32)
                            .reshape(-1, 1024) for i in range(n)})
PYEOF
"$BIN" import "$T/src.npz" -o "$T/model.ckpt" -q
rm "$T/src.npz"
BYTES=$(stat -c %s "$T/model.ckpt.data-00000-of-00001")
cat "$T/model.ckpt.data-00000-of-00001" > /dev/null

now() { date +%s.%N; }
best() { # best of 3: prints seconds
  local b=""
  for _ in 1 2 3; do
    rm -rf "$T/out" "$T/out.npz" "$T/out.safetensors"
    local s e; s=$(now); "$@" > /dev/null; e=$(now)
    b=$(echo "$s $e $b" | awk '{t=$2-$1; if ($3=="" || t<$3) print t; else print $3}')
  done
  echo "$b"
}
report() { echo "$1 $2" | awk -v b="$BYTES" -v name="$3" '{printf "%-34s %7.3f s  %6.2f GB/s\n", name, $1, b/$1/1e9}'; }

t_cp=$(best cp "$T/model.ckpt.data-00000-of-00001" "$T/out.npz")
t_npy=$(best "$BIN" export "$T/model.ckpt" --format npy -o "$T/out")
t_npz=$(best "$BIN" export "$T/model.ckpt" -o "$T/out.npz")
t_st=$(best "$BIN" export "$T/model.ckpt" -o "$T/out.safetensors")
# numpy baseline: load the exported arrays into memory once, then np.save them
"$BIN" export "$T/model.ckpt" -o "$T/base.npz" -q
t_np=$($PY - "$T" <<'PYEOF'
import os, sys, time, numpy as np
d = sys.argv[1]
z = np.load(d + "/base.npz")
arrs = {k: z[k] for k in z.files}
best = None
for _ in range(3):
    os.makedirs(d + "/np", exist_ok=True)
    t = time.perf_counter()
    for i, (k, a) in enumerate(arrs.items()):
        with open("%s/np/%d.npy" % (d, i), "wb") as f:
            np.save(f, a)
            f.flush()
            os.fsync(f.fileno())
    t = time.perf_counter() - t
    best = t if best is None or t < best else best
    for f in os.listdir(d + "/np"):
        os.remove(d + "/np/" + f)
print(best)
PYEOF
)
echo "export of $BYTES bytes (16 float32 variables), best of 3, fsync included:"
report "$t_npy" x "tfckpt export --format npy"
report "$t_npz" x "tfckpt export --format npz"
report "$t_st" x "tfckpt export --format safetensors"
report "$t_np" x "numpy.save from memory (baseline)"
report "$t_cp" x "cp of the data file (raw copy)"
