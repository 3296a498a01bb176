#!/bin/bash
# tfckpt data: exit codes, messages, summary, --json, --batches, --on-error.
set -u
BIN=${TFCKPT_BIN:?TFCKPT_BIN must point to the tfckpt binary}
PY=/usr/bin/python3
SKL=/usr/lib/python3/dist-packages/sklearn/datasets/data
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-cli-data-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect CODE CMD...: runs CMD, stdout -> $T/out, stderr -> $T/err
expect() {
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  [ "$got" = "$want" ] || fail "exit $got (want $want): $* -- $(head -c 300 "$T/err")"
}

expect 0 "$BIN" data --help
grep -q -- '--on-error' "$T/out" || fail "--help lists options"
expect 2 "$BIN" data
grep -q '^tfckpt data: no input files' "$T/err" || fail "no files message"
expect 2 "$BIN" data x.csv --bogus
grep -q "^tfckpt data: unknown option --bogus (see tfckpt data --help)" "$T/err" || fail "unknown option message"
expect 2 "$BIN" data x.csv --threads
expect 2 "$BIN" data x.csv --batch-size abc
expect 1 "$BIN" data "$T/missing.csv"
grep -q "^tfckpt data: $T/missing.csv: No such file or directory" "$T/err" || fail "missing file message: $(cat "$T/err")"

# a stray huge LibSVM index must not size every batch: refused unless --width says so
printf '1 3:20 444444443:4\n' >"$T/huge.svm"
expect 1 "$BIN" data "$T/huge.svm"
grep -q "feature index 444444443 implies 444444443 columns" "$T/err" || fail "huge LibSVM index: $(cat "$T/err")"

printf 'a,b,c\n1,2,3\n4,5,6\n7,x,9\n10,11\n12,13,14\n' >"$T/bad.csv"
expect 1 "$BIN" data "$T/bad.csv"
[ "$(cat "$T/err")" = "tfckpt data: $T/bad.csv:4:2: cannot parse \"x\" as a number" ] ||
  fail "malformed row message: $(cat "$T/err")"
expect 0 "$BIN" data "$T/bad.csv" --on-error skip --json
$PY - "$T/out" <<'PYEOF' || fail "skip counts"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] == 3 and d["skipped"] == 2, d
assert [c["name"] for c in d["columns"]] == ["a", "b", "c"]
assert d["columns"][0]["mean"] == (1 + 4 + 12) / 3
assert all(c["type"] == "int" for c in d["columns"])
PYEOF

printf 'x,y\n1,\n,2.5\n3,4\n' >"$T/na.csv"
expect 1 "$BIN" data "$T/na.csv" --batches 1
grep -q "na.csv:2:2: missing value" "$T/err" || fail "missing value message"
expect 0 "$BIN" data "$T/na.csv" --na-value y=-1 --na-value x=0 --json
$PY - "$T/out" <<'PYEOF' || fail "na-value"
import json, sys
d = json.load(open(sys.argv[1]))
x, y = d["columns"]
assert x["missing"] == 1 and y["missing"] == 1, d
assert x["mean"] == 2 and y["mean"] == 3.25 and y["type"] == "float", d
PYEOF

if [ -r "$SKL/iris.csv" ]; then
  expect 0 "$BIN" data "$SKL/iris.csv"
  grep -q '^rows: *150$' "$T/out" || fail "iris rows"
  grep -q 'int32, 3 classes (setosa, versicolor, virginica)' "$T/out" || fail "iris classes"
  expect 0 "$BIN" data "$SKL/iris.csv" --batches 2 --batch-size 4
  [ "$(grep -c '^batch ' "$T/out")" = 2 ] || fail "two batches printed"
  grep -q '^batch 0 (epoch 0, iteration in epoch 0): 4 rows$' "$T/out" || fail "batch header"
  grep -q '^  \[5.1, 3.5, 1.4, 0.2\] -> 0$' "$T/out" || fail "first row printed"
  # same seed, same batches; different seed, different batches
  "$BIN" data "$SKL/iris.csv" --batches 3 --shuffle 50 --seed 7 --threads 1 >"$T/s1"
  "$BIN" data "$SKL/iris.csv" --batches 3 --shuffle 50 --seed 7 --threads 2 --chunk-size 100 >"$T/s2"
  "$BIN" data "$SKL/iris.csv" --batches 3 --shuffle 50 --seed 8 >"$T/s3"
  cmp -s "$T/s1" "$T/s2" || fail "seed reproducibility across threads/chunks"
  cmp -s "$T/s1" "$T/s3" && fail "different seeds give different batches"
  # hold-out split: the two sides partition the rows; --start-epoch 1 is epoch 1
  for side in "" --holdout-only; do
    expect 0 "$BIN" data "$SKL/iris.csv" --json --batches 1 --batch-size 200 --holdout 0.3 --holdout-seed 4 $side
    cp "$T/out" "$T/h$side"
  done
  expect 0 "$BIN" data "$SKL/iris.csv" --json --batches 1 --batch-size 200
  $PY - "$T/h" "$T/h--holdout-only" "$T/out" <<'PYEOF' || fail "hold-out partition"
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
a, b, c = (d["batches"][0]["features"] for d in (a, b, c))
assert 20 < len(b) < 70 and len(a) + len(b) == 150, (len(a), len(b))
assert sorted(a + b) == sorted(c)
PYEOF
  "$BIN" data "$SKL/iris.csv" --batches 10 --shuffle 50 --seed 7 --epochs 2 --batch-size 50 >"$T/e01"
  "$BIN" data "$SKL/iris.csv" --batches 10 --shuffle 50 --seed 7 --start-epoch 1 --batch-size 50 >"$T/e1"
  [ "$(grep '^  \[' "$T/e01" | sed -n '151,300p')" = "$(grep '^  \[' "$T/e1")" ] \
    || fail "--start-epoch 1 gives epoch 1"
  grep -q '^batch 0 (epoch 1, iteration in epoch 0)' "$T/e1" || fail "--start-epoch numbering"
  expect 2 "$BIN" data "$SKL/iris.csv" --holdout 1
  expect 0 "$BIN" data "$SKL/iris.csv" --json --batches 200 --batch-size 32 --epochs 2 --shuffle 150 --seed 1
  $PY - "$T/out" "$SKL/iris.csv" <<'PYEOF' || fail "iris json + batches"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] == 150 and d["width"] == 4 and d["num_classes"] == 3
b = d["batches"]
assert [x["rows"] for x in b] == [32, 32, 32, 32, 22] * 2, [x["rows"] for x in b]
assert [x["epoch"] for x in b] == [0] * 5 + [1] * 5
assert [x["iteration"] for x in b] == list(range(10))
e0 = sorted(tuple(r) + (l,) for x in b[:5] for r, l in zip(x["features"], x["labels"]))
e1 = sorted(tuple(r) + (l,) for x in b[5:] for r, l in zip(x["features"], x["labels"]))
assert e0 == e1
import numpy as np
e0 = sorted(tuple(float(np.float32(v)) for v in r[:4]) + (r[4],) for r in e0)
ref = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
want = sorted(tuple(float(np.float32(v)) for v in r[:4]) + (int(r[4]),) for r in ref)
assert e0 == want
PYEOF
else
  echo "SKIP iris checks: python3-sklearn not installed"
fi

HEART=/usr/share/doc/liblinear-tools/examples/heart_scale
if [ -r "$HEART" ]; then
  expect 0 "$BIN" data "$HEART" --json
  $PY - "$T/out" <<'PYEOF' || fail "heart_scale json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "libsvm" and d["rows"] == 270 and d["width"] == 13, d
assert d["columns"][-1]["name"] == "label" and d["columns"][-1]["min"] == -1
PYEOF
else
  echo "SKIP heart_scale: liblinear-tools not installed"
fi

# a CSV whose header and records are each longer than the 1 MiB schema sample
/usr/bin/python3 -c "
n = 200000
with open('$T/wide.csv', 'w') as f:
    f.write(','.join('c%d' % i for i in range(n)) + ',label\\n')
    for r in range(5):
        f.write(','.join('%d.5' % (i % 7) for i in range(n)) + ',%d\\n' % (r % 2))"
out=$("$BIN" data "$T/wide.csv" 2>&1)
grep -q "rows:   5" <<<"$out" && grep -q "width:  200001 features" <<<"$out" ||
  fail "records longer than the schema sample: $out"

# a UTF-8 byte-order mark is not part of the first column's name
printf '\xef\xbb\xbfa,b,label\n1,2,0\n3,4,1\n' >"$T/bom.csv"
out=$("$BIN" data "$T/bom.csv" --label label --json 2>&1)
/usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); n=[c['name'] for c in d['columns']]; assert n==['a','b','label'], n" "$out" ||
  fail "BOM: column names $out"
printf '\xef\xbb\xbf1 2 0\n3 4 1\n' >"$T/bom.txt"
"$BIN" data "$T/bom.txt" >/dev/null 2>&1 || fail "BOM before a headerless first value"
# ';'-separated .csv files are detected
printf 'a;b;label\n1.5;2;0\n3;4;1\n' >"$T/semi.csv"
out=$("$BIN" data "$T/semi.csv" 2>&1)
grep -q "width:  3 features" <<<"$out" && grep -q "rows:   2" <<<"$out" || fail "';' in a .csv: $out"
# the summary counts missing values without --na-value; batches still need one
printf 'a,b,label\n1,,0\n3,4,1\nNA,5,1\n' >"$T/miss.csv"
out=$("$BIN" data "$T/miss.csv" --json 2>&1)
/usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); m=[c['missing'] for c in d['columns']]; assert m==[1,1,0], m" "$out" ||
  fail "missing counts: $out"
"$BIN" data "$T/miss.csv" --batches 1 >/dev/null 2>&1 && fail "--batches without --na-value filled a missing value"

if [ "$fails" -ne 0 ]; then
  echo "cli_data: $fails failure(s)" >&2
  exit 1
fi
echo "cli_data: all checks passed"
