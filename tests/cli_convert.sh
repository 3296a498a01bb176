#!/bin/bash
# export / import / diff / set through the tfckpt binary: round trips,
# exit statuses, and bad input with clear errors and nothing left behind.
set -u
BIN=${TFCKPT_BIN:-tfckpt}
FIX=${TFCKPT_FIXTURES:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/tfckpt_cli_convert.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect STATUS FRAGMENT cmd...: exit status and a stderr/stdout fragment
expect() {
  local want=$1 frag=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  [ "$rc" = "$want" ] || fail "exit $rc (want $want): $*: $out"
  case "$out" in *"$frag"*) ;; *) fail "no \"$frag\" in output of $*: $out" ;; esac
}
# only_files DIR NAMES...: DIR holds exactly these entries (no temporaries)
only_files() {
  local dir=$1; shift
  local got; got=$(ls -A "$dir" | sort | tr '\n' ' ')
  local want; want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "$dir holds [$got], want [$want]"
}

GP=$FIX/savedmodel_gpflow_double
T2T=$FIX/tf1_sharded_t2t_transformer
ALL=$FIX/spec_synthetic/all_dtypes
IT=$FIX/tf2_checkpoint_manager_iterator_variant

# --- round trips: checkpoint -> npz / safetensors -> checkpoint, identical
mkdir "$T/rt"
expect 0 "exported 13 variables" "$BIN" export "$GP" -o "$T/rt/g.npz"
expect 0 "imported 13 tensors" "$BIN" import "$T/rt/g.npz" -o "$T/rt/g"
expect 0 "identical: 13 compared (13 identical" "$BIN" diff "$GP" "$T/rt/g"
expect 0 "exported 250 variables" "$BIN" export "$T2T" -o "$T/rt/t.safetensors"
expect 0 "imported 250 tensors" "$BIN" import "$T/rt/t.safetensors" -o "$T/rt/t"
expect 0 "identical: 250 compared" "$BIN" diff "$T2T" "$T/rt/t"
expect 0 "exported" "$BIN" export "$T2T" -o "$T/rt/tz.npz" --compress=1 --zip64
expect 0 "imported 250" "$BIN" import "$T/rt/tz.npz" -o "$T/rt/tz"
expect 0 "identical: 250 compared" "$BIN" diff "$T/rt/t" "$T/rt/tz"
# all dtypes: bfloat16 survives safetensors unchanged; strings and complex are listed
expect 0 "skipped 5 unsupported" "$BIN" export "$ALL" -o "$T/rt/a.safetensors" --skip-unsupported
expect 0 "imported 15" "$BIN" import "$T/rt/a.safetensors" -o "$T/rt/a"
expect 1 "only in A: string/vector  string [4]" "$BIN" diff "$ALL" "$T/rt/a"
expect 1 "15 compared (15 identical, 0 different)" "$BIN" diff "$ALL" "$T/rt/a"
only_files "$T/rt" g.npz g.index g.data-00000-of-00001 t.safetensors t.index \
  t.data-00000-of-00001 tz.npz tz.index tz.data-00000-of-00001 a.safetensors a.index \
  a.data-00000-of-00001

# --- diff: exit statuses and JSON
expect 0 "identical: 15 compared" "$BIN" diff "$IT/ckpt-38" "$IT/ckpt-38" --all
expect 1 "values differ: step/.ATTRIBUTES/VARIABLE_VALUE  1 of 1 elements, max abs diff 10" \
  "$BIN" diff "$IT/ckpt-38" "$IT/ckpt-39"
expect 2 "no checkpoint found" "$BIN" diff "$IT/ckpt-38" "$T/nothing"
expect 2 "usage" "$BIN" diff "$IT/ckpt-38"
"$BIN" diff "$IT/ckpt-38" "$IT/ckpt-39" --json > "$T/d.json"; rc=$?
[ $rc = 1 ] || fail "diff --json exit $rc"
$PY - "$T/d.json" <<'PYEOF' || fail "diff --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False, d
t = {x["name"]: x for x in d["tensors"]}
s = t["step/.ATTRIBUTES/VARIABLE_VALUE"]
assert s["identical"] is False and s["max_abs_diff"] == 10 and s["differing_elements"] == 1, s
assert t["optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE"]["identical"] is True
assert d["summary"] == {"only_in_a": 0, "only_in_b": 0, "changed": 0, "compared": 14,
                        "identical": 5, "different": 9}, d["summary"]
PYEOF
# dtype/shape changes and only-in lists
$PY -c "import numpy as np; np.save('$T/w64.npy', np.zeros((10, 4))); np.save('$T/new.npy', np.array([[1, 2], [3, 4]], dtype=np.int16))"
PS=$FIX/spec_synthetic/partitioned_sharded/model.ckpt-100
mkdir "$T/set"
expect 0 "replaced part/w in $T/set/w (was float32 [10, 4], now float64 [10, 4])" \
  "$BIN" set "$PS" "$T/set/w" part/w "$T/w64.npy"
expect 1 "dtype changed: part/w  float32 [10, 4] -> float64 [10, 4]" "$BIN" diff "$PS" "$T/set/w"
expect 0 "added extra/new in $T/set/n" "$BIN" set "$PS" "$T/set/n" extra/new "$T/new.npy"
expect 1 "only in B: extra/new  int16 [2, 2]" "$BIN" diff "$PS" "$T/set/n"
expect 1 "3 compared (3 identical, 0 different), 0 dtype/shape changed, 1 only in A" "$BIN" diff "$T/set/n" "$PS"
"$BIN" ls "$T/set/n" --json | $PY -c "
import json, sys
v = {x['name']: x for x in json.load(sys.stdin)}
assert v['part/w']['slices'] == 3, v['part/w']    # partitioning kept
assert v['b']['shard'] == 1, v['b']               # shard kept
" || fail "set keeps slices and shards"

# --- set --in-place: atomic rewrite of a V2 checkpoint
cp "$GP"/variables/variables.* "$T/set/"
K='kernel/kernels/0/kernels/0/variance/_pretransformed_input/.ATTRIBUTES/VARIABLE_VALUE'
$PY -c "import numpy as np; np.save('$T/k.npy', np.float64(2.5))"
expect 0 "replaced $K in $T/set/variables" "$BIN" set --in-place "$T/set/variables" "$K" "$T/k.npy"
expect 1 "values differ: $K  1 of 1 elements, max abs diff 1.95867515" "$BIN" diff "$GP" "$T/set/variables"
expect 1 "12 identical, 1 different" "$BIN" diff "$GP" "$T/set/variables"
expect 2 "expected IN OUT NAME FILE.npy" "$BIN" set "$T/set/variables" "$K" "$T/k.npy"
expect 1 "already exists" "$BIN" set "$PS" "$T/set/n" extra/new "$T/new.npy"
expect 1 "--in-place needs a V2 checkpoint" "$BIN" set --in-place "$FIX/v1_acrobot_tf0x" x "$T/k.npy"
only_files "$T/set" w.index w.data-00000-of-00002 w.data-00001-of-00002 n.index \
  n.data-00000-of-00002 n.data-00001-of-00002 variables.index variables.data-00000-of-00001

# --- export errors: nothing left behind
mkdir "$T/out"
expect 1 "string/vector: string variable: numpy files cannot hold variable-length byte strings" \
  "$BIN" export "$ALL" -o "$T/out/a.npz"
expect 1 "bf16/vector: bfloat16 variable: bfloat16 has no numpy dtype (use --bf16-as float32)" \
  "$BIN" export "$ALL" -o "$T/out/a.npz"
expect 1 "c64/vector: complex64 variable: safetensors has no complex dtype" \
  "$BIN" export "$ALL" -o "$T/out/a.safetensors"
expect 1 "cannot create output" "$BIN" export "$GP" -o "$T/out/missing/g.npz"
touch "$T/out/file"
expect 1 "Not a directory" "$BIN" export "$GP" -o "$T/out/file/g.safetensors"
expect 1 "cannot create output directory" "$BIN" export "$GP" --format npy -o "$T/out/file/d"
mkdir "$T/out/full"; touch "$T/out/full/x"
expect 1 "already exists (the .npy directory must be new or empty)" \
  "$BIN" export "$GP" --format npy -o "$T/out/full"
expect 2 "--format takes npz, npy or safetensors" "$BIN" export "$GP" --format h5 -o "$T/out/x"
expect 2 "--bf16-as takes float32" "$BIN" export "$GP" --bf16-as float16 -o "$T/out/x.npz"
expect 0 "exported 13" "$BIN" export "$GP" --format npy -o "$T/out/dir"
[ -f "$T/out/dir/kernel/kernels/0/kernels/1/lengthscales/_pretransformed_input/.ATTRIBUTES/VARIABLE_VALUE.npy" ] ||
  fail "npy dir: scopes as folders"
MM=$FIX/spec_synthetic/many_multiblock/model.ckpt
expect 1 "a path component of 600000 bytes is too long for a file name" \
  "$BIN" export "$MM" --format npy -o "$T/out/mm"
expect 0 "exported 3001 variables" "$BIN" export "$MM" -o "$T/out/mm.safetensors"
expect 0 "imported 3001 tensors" "$BIN" import "$T/out/mm.safetensors" -o "$T/out/mm"
expect 0 "identical: 3001 compared" "$BIN" diff "$MM" "$T/out/mm"
rm "$T/out/mm.safetensors" "$T/out/mm.index" "$T/out/mm.data-00000-of-00001"
only_files "$T/out" file full dir

# --- import errors: malformed files, nothing written
mkdir "$T/in"
head -c 100 "$T/rt/g.npz" > "$T/in/trunc.npz"
expect 1 "no zip end-of-central-directory record" "$BIN" import "$T/in/trunc.npz" -o "$T/in/c"
printf '\xff\xff\xff\xff\x00\x00\x00\x00{"a":1}' > "$T/in/huge.safetensors"
expect 1 "exceeds the 100000000-byte limit" "$BIN" import "$T/in/huge.safetensors" -o "$T/in/c"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}' > "$T/in/c64.safetensors"
expect 1 "c64.safetensors: safetensors header: unterminated string at byte 24" "$BIN" import "$T/in/c64.safetensors" -o "$T/in/c"
$PY - "$T/in" <<'PYEOF'
import json, struct, sys
d = sys.argv[1]
h = json.dumps({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}).encode()
open(d + "/c64.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + bytes(8))
h = json.dumps({"a": {"dtype": "F32", "shape": [1 << 40, 1 << 30], "data_offsets": [0, 8]}}).encode()
open(d + "/big.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + bytes(8))
hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1024), }\n"
open(d + "/big.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + bytes(16))
PYEOF
expect 1 "unknown dtype \"C64\"" "$BIN" import "$T/in/c64.safetensors" -o "$T/in/c"
expect 1 "shape and dtype need more than 2^64 bytes" "$BIN" import "$T/in/big.safetensors" -o "$T/in/c"
expect 1 "declares 9007199254740992 bytes of values but the file holds 16" \
  "$BIN" import "$T/in/big.npy" -o "$T/in/c"
expect 1 "not a .npy, .npz or .safetensors file" "$BIN" import "$GP/fingerprint.pb" -o "$T/in/c"
expect 1 "already exists (--force replaces" "$BIN" import "$T/rt/g.npz" -o "$T/rt/g"
expect 2 "--name only applies" "$BIN" import "$T/rt/g.npz" -o "$T/in/c" --name x
only_files "$T/in" trunc.npz huge.safetensors c64.safetensors big.safetensors big.npy

if [ $fails -ne 0 ]; then echo "$fails failure(s)" >&2; exit 1; fi
echo "cli_convert: all checks passed"
