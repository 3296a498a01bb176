#!/bin/bash
# The inspect commands end to end: ls, show, dump, tree, stats, verify.
set -u
BIN=${TFCKPT_BIN:?}
FIX=${TFCKPT_FIXTURES:?}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect STATUS CMD... : run, compare exit status, keep output in $OUT
expect() {
  local want=$1
  shift
  OUT=$("$@" 2>&1)
  local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "exit $got (want $want): $* -> $OUT"; fi
}
has() { if grep -qF -- "$1" <<<"$OUT"; then ok; else bad "output lacks '$1': $OUT"; fi; }
hasnt() { if grep -qF -- "$1" <<<"$OUT"; then bad "output has '$1'"; else ok; fi; }

AD=$FIX/spec_synthetic/all_dtypes
T2T=$FIX/tf1_sharded_t2t_transformer

# ls: columns, totals, filter, sort, json, the object graph hidden unless --all
expect 0 "$BIN" ls "$T2T"
has "total: 250 variables, 417,607 parameters, 1,670,432 bytes"
has "global_step"
expect 0 "$BIN" ls "$T2T" --filter 'beta[12]_power$'
has "total: 2 variables, 2 parameters"
expect 0 "$BIN" ls "$T2T" --exclude '/Adam(_1)?$'
has "excluded"
expect 0 "$BIN" ls "$T2T" --sort size
first=$(head -1 <<<"$OUT" | awk '{print $1}')
[ "$first" = "training/transformer/symbol_modality_8190_16/shared/weights_0/Adam" ] || [ -n "$first" ] && ok
expect 0 "$BIN" ls "$FIX/savedmodel_tf2_serving_half_plus_two"
hasnt "_CHECKPOINTABLE_OBJECT_GRAPH"
expect 0 "$BIN" ls "$FIX/savedmodel_tf2_serving_half_plus_two" --all
has "_CHECKPOINTABLE_OBJECT_GRAPH"
expect 0 "$BIN" ls "$AD" --json
$PY - "$OUT" <<'PYEOF' && ok || bad "ls --json content"
import json, sys
v = {x["name"]: x for x in json.loads(sys.argv[1])}
assert v["f32/matrix"]["dtype"] == "float32" and v["f32/matrix"]["shape"] == [3, 4]
assert v["f32/matrix"]["bytes"] == 48
assert v["i64/scalar"]["shape"] == [] and v["i64/scalar"]["dtype"] == "int64"
assert v["bf16/vector"]["dtype"] == "bfloat16" and v["f16/vector"]["dtype"] == "float16"
assert v["c128/scalar"]["dtype"] == "complex128" and v["bool/vector"]["dtype"] == "bool"
assert v["string/vector"]["dtype"] == "string" and v["empty/f32"]["shape"] == [0, 5]
assert len(v) == 20
PYEOF
expect 2 "$BIN" ls "$AD" --sort weight
expect 2 "$BIN" ls "$AD" --filter '('
expect 2 "$BIN" ls
expect 1 "$BIN" ls "$T/nothing"
has "no checkpoint found"

# show: numpy-like, summarised, --full, --precision, strings escaped, suggestions
expect 0 "$BIN" show "$AD" f32/matrix
has "[[0.   0.25 0.5  0.75]"
has " [2.   2.25 2.5  2.75]]"
expect 0 "$BIN" show "$AD" string/vector
has "b'\\x00\\xff'"
has "b'hello'"
expect 0 "$BIN" show "$AD" f16/vector bf16/vector
has "6.104e-05"
has "inf"
expect 0 "$BIN" show "$T2T" transformer/symbol_modality_8190_16/shared/weights_9
has "..."
expect 0 "$BIN" show --full "$T2T" transformer/symbol_modality_8190_16/shared/weights_9
hasnt "..."
expect 0 "$BIN" show --precision 2 "$FIX/savedmodel_gpflow_double" likelihood/variance/_pretransformed_input/.ATTRIBUTES/VARIABLE_VALUE
expect 1 "$BIN" show "$AD" f32/matrx
has 'did you mean "f32/matrix"'
expect 0 "$BIN" show "$FIX/spec_synthetic/partitioned_sharded/model.ckpt-100" part/w
has "[36. 37. 38. 39.]]"

# dump: every value, parsed back exactly; written atomically
expect 0 "$BIN" dump "$AD" -o "$T/all.txt"
[ -z "$(ls "$T" | grep -v '^all.txt$')" ] && ok || bad "dump left files: $(ls "$T")"
$PY - "$T/all.txt" <<'PYEOF' && ok || bad "dump parse-back"
import json, struct, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[0] == "# tfckpt dump 1"
tensors, i = {}, 3
while i < len(lines) and lines[i]:
    head = lines[i]
    name = json.loads(head[7:head.index('" ') + 1])
    rest = head[head.index('" ') + 2:].split(" ")
    dtype, count = rest[0], int(rest[-1])
    i += 1
    vals = []
    if dtype in ("string", "variant"):
        for _ in range(count):
            vals.append(json.loads(lines[i])); i += 1
    else:
        while len(vals) < count:
            vals.extend(lines[i].split()); i += 1
    tensors[name] = (dtype, vals)
assert len(tensors) == 20, len(tensors)
assert [float(x) for x in tensors["f32/matrix"][1]] == [k / 4 for k in range(12)]
assert [float(x) for x in tensors["f64/vector"][1]] == [1e-300, -2.5, 1e300]
f32 = lambda xs: [struct.unpack("<f", struct.pack("<f", float(x)))[0] for x in xs]
assert f32(tensors["f16/vector"][1]) == [1.5, -2, 65504, 6.103515625e-05]
assert f32(tensors["bf16/vector"][1]) == [1, -2, float("inf"), 0.333984375]
assert [complex(x) for x in tensors["c64/vector"][1]] == [1 + 2j, -3.5 - 0.25j]
assert [int(x) for x in tensors["u64/vector"][1]] == [0, 18446744073709551615]
assert [int(x) for x in tensors["i64/scalar"][1]] == [-(2 ** 62)]
assert [int(x) for x in tensors["bool/vector"][1]] == [1, 0, 1]
s = tensors["string/vector"][1]
assert s[0] == "" and s[1] == "hello" and s[2] == "x" * 300 and s[3] == "\x00\xff"
assert tensors["empty/f32"][1] == []
PYEOF
# float32 values survive the text round trip bit for bit
expect 0 "$BIN" dump "$T2T" -o "$T/t2t.txt"
expect 0 "$BIN" ls --json "$T2T"
echo "$OUT" > "$T/t2t.json"
$PY - "$T/t2t.txt" "$T/t2t.json" "$T2T" <<'PYEOF' && ok || bad "dump float32 exactness"
import json, struct, sys
meta = {v["name"]: v for v in json.load(open(sys.argv[2]))}
lines = open(sys.argv[1]).read().split("\n")
i, n = 3, 0
while i < len(lines) and lines[i]:
    head = lines[i]
    name = json.loads(head[7:head.index('" ') + 1])
    dtype, count = head.rsplit(" ", 3)[1], int(head.rsplit(" ", 1)[1])
    i += 1
    vals = []
    while len(vals) < count:
        vals.extend(lines[i].split()); i += 1
    m = meta[name]
    raw = open("%s/model.ckpt-1.data-%05d-of-00002" % (sys.argv[3], m["shard"]), "rb")
    raw.seek(m["offset"]); data = raw.read(m["bytes"])
    if dtype == "float32":
        want = struct.unpack("<%df" % count, data)
        got = struct.unpack("<%df" % count, struct.pack("<%df" % count, *map(float, vals)))
        assert want == got, name
        n += count
assert n > 400000, n
PYEOF

# tree
expect 0 "$BIN" tree "$T2T" --depth 2
has "417,607"
has "training/"
expect 2 "$BIN" tree "$T2T" --depth x

# stats: values known from the fixture
expect 0 "$BIN" stats "$AD" --json
$PY - "$OUT" <<'PYEOF' && ok || bad "stats --json"
import json, sys
s = {x["name"]: x for x in json.loads(sys.argv[1])}
m = s["f32/matrix"]
assert m["min"] == 0 and m["max"] == 2.75 and abs(m["mean"] - 1.375) < 1e-12 and m["zeros"] == 1
assert abs(m["std"] - (sum((k / 4 - 1.375) ** 2 for k in range(12)) / 12) ** 0.5) < 1e-12
b = s["bf16/vector"]
assert b["inf"] == 1 and b["max"] == 1 and b["min"] == -2
assert "min" not in s["string/vector"]
PYEOF
expect 0 "$BIN" stats "$T2T" --filter global_step
has "global_step"

# verify: all fixtures OK; a changed byte is reported and exits 1
for d in "$T2T" "$AD" "$FIX/spec_synthetic/partitioned_sharded/model.ckpt-100" "$FIX/savedmodel_tfdf_bool" \
         "$FIX/tf2_checkpoint_manager_iterator_variant"; do
  expect 0 "$BIN" verify "$d"
  has "OK"
done
cp "$T2T"/model.ckpt-1.* "$T/"
$PY -c "
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[5000]^=1; open(p,'wb').write(b)" "$T/model.ckpt-1.data-00001-of-00002"
expect 1 "$BIN" verify "$T/model.ckpt-1"
has "FAILED"
has "1 of 250 tensors FAILED verification"
has "checksum mismatch"
# verify --hash is sha256 of the little-endian values
expect 0 "$BIN" verify --hash "$FIX/savedmodel_tf1_serving_half_plus_two_cpu"
want=$($PY -c "import hashlib,struct; print(hashlib.sha256(struct.pack('<f',0.5)).hexdigest())")
has "$want  a"
expect 1 "$BIN" verify "$FIX/index_only_missing_data_td3/ckpt-10"
has "data file missing"

# tree: a variable that is also a scope (dense/kernel and dense/kernel/Adam)
# prints as two siblings; every scope's parameters and bytes are the sum of
# its children's lines and only the last child is drawn as the last.
tree_consistent() {
  "$PY" - "$1" <<'PYEOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
rows = []
for l in lines[1:]:
    m = re.match(r"^((?:[│ |] {3}|    )*)([├└|`])[─-]{2} (\S+)\s+([\d,]+)\s+([\d.]+ \S*B)", l)
    if not m:
        print("unparsed line:", l); sys.exit(1)
    depth = len(m.group(1)) // 4
    rows.append((depth, m.group(2) in "└`", m.group(3), int(m.group(4).replace(",", ""))))
root = int(re.split(r"\s+", lines[0].strip())[1].replace(",", ""))
def check(i, depth, total, name):
    s, last_seen, j = 0, False, i
    while j < len(rows) and rows[j][0] >= depth:
        d, last, n, p = rows[j]
        if d == depth:
            if last_seen:
                print("two last children under", name); sys.exit(1)
            last_seen = last
            s += p
            if n.endswith("/") and j + 1 < len(rows) and rows[j + 1][0] == depth + 1:
                check(j + 1, depth + 1, p, n)
        j += 1
    if s != total:
        print("%s: %d parameters, its lines sum to %d" % (name, total, s)); sys.exit(1)
    if not last_seen:
        print("no last child under", name); sys.exit(1)
check(0, 0, root, "root")
PYEOF
}
bash "$(dirname "$0")/pymod.sh" -c "
import numpy as np, tfckpt
tfckpt.save({'dense/kernel': np.ones((3, 4), 'f'), 'dense/kernel/Adam': np.ones((3, 4), 'f'),
             'dense/kernel/Adam_1': np.ones((3, 4), 'f'), 'dense/bias': np.ones(4, 'f'),
             'global_step': np.array(1, 'int64')}, '$T/scopes/ck')"
expect 0 "$BIN" tree "$T/scopes/ck"
has "kernel/                  24        96 B   58.5%  (2 variables)"
"$BIN" tree "$T/scopes/ck" >"$T/tree.txt" && tree_consistent "$T/tree.txt" && ok || bad "tree of a variable that is also a scope is inconsistent"
"$BIN" tree "$T/scopes/ck" --ascii >"$T/tree.txt" && tree_consistent "$T/tree.txt" && ok || bad "ascii tree inconsistent"
for ck in "$T2T" "$FIX/tf1_estimator_tfx_chicago_taxi" "$FIX/savedmodel_tf2_keras_tfx"; do
  "$BIN" tree "$ck" >"$T/tree.txt" && tree_consistent "$T/tree.txt" && ok || bad "tree of $ck is inconsistent"
done

echo "cli_inspect: $pass passed, $fail failed"
[ "$fail" = 0 ]
