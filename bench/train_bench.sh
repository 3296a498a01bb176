#!/bin/bash
# Training throughput: tfckpt's model core (bench_train) against PyTorch on
# the CPU (bench/train_torch.py) with the same MLP, batch size, Adam and
# thread count, in the same run; then `tfckpt train` end to end from CSV
# files of two sizes, with peak RSS (flat RSS = memory does not grow with
# the file).
#
#   bench/train_bench.sh [BUILD_DIR]      (default: build)
#   QUICK=1 bench/train_bench.sh          fewer configurations
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
BENCH=$BUILD/bench/bench_train
BIN=$BUILD/tfckpt
PY=/usr/bin/python3
for f in "$BENCH" "$BIN"; do
  [ -x "$f" ] || { echo "missing $f: build the bench_train and tfckpt targets first"; exit 1; }
done
have_torch=1
$PY -c "import torch" 2>/dev/null || have_torch=0

num() { sed -n 's/.*samples\/s \([0-9]*\).*/\1/p'; }

echo "== in-memory training, samples/s (same MLP, batch, Adam, threads)"
printf "%-34s %-8s %-7s %12s %12s %7s\n" "MLP (features-hidden-classes)" batch threads tfckpt torch ratio
configs=("784 256,256 10 128" "784 256,256 10 32" "64 64,64 10 32" "784 1024,1024 10 256")
[ "${QUICK:-0}" = 1 ] && configs=("784 256,256 10 128")
for cfg in "${configs[@]}"; do
  set -- $cfg
  for th in 1 2; do
    args=(--features "$1" --hidden "$2" --classes "$3" --batch "$4" --threads "$th" --rows 8192 --epochs 2)
    a=$("$BENCH" "${args[@]}" | num)
    if [ $have_torch = 1 ]; then
      b=$($PY "$SRC/bench/train_torch.py" "${args[@]}" | num)
      r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')
    else
      b="skipped"; r="-"
    fi
    printf "%-34s %-8s %-7s %12s %12s %7s\n" "$1-$2-$3" "$4" "$th" "$a" "$b" "$r"
  done
done
[ $have_torch = 1 ] || echo "(python3-torch not installed: PyTorch columns skipped)"

echo
echo "== tfckpt train from CSV (784 features, 10 classes, 256,256, batch 128, Adam), peak RSS"
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-train-bench-XXXXXX")
trap 'rm -rf "$T"' EXIT
gen() { # rows file
  $PY - "$1" "$2" <<'EOF'
import sys, numpy as np
rows, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
teacher = rng.random((784, 10)) - 0.5
with open(path, "w") as f:
    f.write(",".join("f%d" % i for i in range(784)) + ",label\n")
    for s in range(0, rows, 10000):
        x = np.round(rng.random((min(10000, rows - s), 784)) * 2 - 1, 3)
        y = (x @ teacher).argmax(axis=1)
        np.savetxt(f, np.column_stack([x, y]), fmt=["%.3f"] * 784 + ["%d"], delimiter=",")
EOF
}
sizes=(20000 100000)
[ "${QUICK:-0}" = 1 ] && sizes=(5000 20000)
for rows in "${sizes[@]}"; do
  gen "$rows" "$T/d$rows.csv"
  mb=$(du -m "$T/d$rows.csv" | cut -f1)
  /usr/bin/time -f "%M" -o "$T/rss" "$BIN" train --data "$T/d$rows.csv" --label label --layers 256,256 \
    --batch-size 128 --epochs 1 --threads 2 --out "$T/m$rows" > "$T/log" 2>&1
  sps=$(sed -n 's/.* \([0-9]*\) samples\/s.*/\1/p' "$T/log" | tail -1)
  printf "%8d rows %6d MB: %8s samples/s (parse + train), peak RSS %6d MB\n" "$rows" "$mb" "$sps" $(( $(cat "$T/rss") / 1024 ))
  rm -f "$T/d$rows.csv"
done
