#!/bin/bash
# tfckpt history: listing, latest, missing and moved checkpoints, --json,
# and the atomic --fix-paths repair.
set -u
BIN=${TFCKPT_BIN:?TFCKPT_BIN must point to the tfckpt binary}
F=${TFCKPT_FIXTURES:?TFCKPT_FIXTURES must point to the fixtures}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-cli-history-XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
expect() {
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  [ "$got" = "$want" ] || fail "exit $got (want $want): $* -- $(head -c 300 "$T/err")"
}
has() { grep -qF -- "$1" "$T/out" || fail "output lacks: $1 (got: $(head -c 600 "$T/out"))"; }
has_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks: $1 (got: $(head -c 300 "$T/err"))"; }

expect 0 "$BIN" history --help
has "--fix-paths"
expect 2 "$BIN" history
expect 2 "$BIN" history "$T" --bogus
expect 1 "$BIN" history "$T"
has_err "tfckpt history: $T: no \`checkpoint\` state file in this directory"

# TF2 CheckpointManager: steps, timestamps, latest
D="$F/tf2_checkpoint_manager_iterator_variant"
expect 0 "$BIN" history "$D"
has "$D/checkpoint: 3 checkpoints recorded, 3 on disk"
grep -qE '^ +38  2021-09-16 10:04:34 UTC  yes +ckpt-38$' "$T/out" || fail "ckpt-38 line"
grep -qE '^  \* +40  2021-09-16 10:04:35 UTC  yes +ckpt-40  \(latest\)$' "$T/out" || fail "latest line"
has "latest: $D/ckpt-40"
has "last preserved: 2021-09-16 08:05:47 UTC"
# the state file itself may be given
expect 0 "$BIN" history "$D/checkpoint"
has "3 checkpoints recorded, 3 on disk"

# TF1 Estimator: save order kept (0, 999, 1000), no timestamps
expect 0 "$BIN" history "$F/tf1_estimator_tfx_chicago_taxi"
$PY - "$T/out" <<'EOF' || fail "estimator order"
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if re.match(r"^  [ *] +\d", l)]
steps = [r[-2] if r[-1] == "(latest)" else r[-1] for r in rows]
assert steps == ["model.ckpt-0", "model.ckpt-999", "model.ckpt-1000"], steps
EOF

# deleted checkpoints and a latest that is gone
expect 0 "$BIN" history "$F/index_only_missing_data_td3"
has "3 checkpoints recorded, 1 on disk"
grep -qE ' 9  2025-09-09 23:39:29 UTC  MISSING  ckpt-9$' "$T/out" || fail "missing ckpt-9"
has "latest: $F/index_only_missing_data_td3/ckpt-1 does not exist (TensorFlow would find no checkpoint)"

expect 0 "$BIN" history --json "$D"
$PY - "$T/out" <<'EOF' || fail "history --json"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["checkpoints"]
assert [x["step"] for x in c] == [38, 39, 40]
assert [x["latest"] for x in c] == [False, False, True]
assert all(x["exists"] for x in c)
assert abs(c[2]["timestamp"] - 1631786675) < 1, c[2]["timestamp"]
EOF

# a moved training directory: stale absolute path, repaired atomically
M="$T/moved"
cp -r "$F/v1_serving_bad_half_plus_two" "$M"
chmod -R u+w "$M"
expect 0 "$BIN" history "$M"
has "1 checkpoint recorded, 0 on disk"
has "moved    /tmp/bad_half_plus_two/00000123/export"
has "(found as $M/export; tfckpt history --fix-paths repairs this)"
expect 0 "$BIN" history --json "$M"
$PY - "$T/out" "$M" <<'EOF' || fail "moved --json"
import json, sys
c = json.load(open(sys.argv[1]))["checkpoints"][0]
assert not c["exists"] and c["found_in_dir"] == sys.argv[2] + "/export" and c["step"] is None
EOF
expect 0 "$BIN" history --fix-paths "$M"
has "/tmp/bad_half_plus_two/00000123/export -> export"
has "rewrote 2 paths in $M/checkpoint"
[ "$(cat "$M/checkpoint")" = 'model_checkpoint_path: "export"
all_model_checkpoint_paths: "export"' ] || fail "rewritten state file: $(cat "$M/checkpoint")"
ls "$M" | grep -q tempstate && fail "temporary file left behind"
expect 0 "$BIN" history "$M"
has "1 checkpoint recorded, 1 on disk"
expect 0 "$BIN" history --fix-paths "$M"
has "nothing to fix in $M/checkpoint (no stale absolute paths)"
expect 0 "$BIN" ls "$M"
has "Variable_1"

# absolute paths that still resolve, or that nothing can fix, are left alone
A="$T/abs"
mkdir "$A"
printf 'model_checkpoint_path: "%s/ckpt-40"\nall_model_checkpoint_paths: "/nowhere/ckpt-7"\nall_model_checkpoint_paths: "%s/ckpt-40"\n' "$D" "$D" >"$A/checkpoint"
cp "$A/checkpoint" "$T/abs.before"
expect 0 "$BIN" history --fix-paths "$A"
has "left as is (not found in $A either): /nowhere/ckpt-7"
has "nothing to fix in $A/checkpoint"
cmp -s "$A/checkpoint" "$T/abs.before" || fail "state file changed although nothing was fixed"
expect 0 "$BIN" history "$A"
has "2 checkpoints recorded, 1 on disk"

# a state file that cannot be replaced: error, original untouched
R="$T/ro"
cp -r "$F/v1_serving_bad_half_plus_two" "$R"
chmod u+w "$R/checkpoint"
cp "$R/checkpoint" "$T/ro.before"
chmod a-w "$R"
if [ ! -w "$R" ]; then
  expect 1 "$BIN" history --fix-paths "$R"
  has_err "tfckpt history: "
  cmp -s "$R/checkpoint" "$T/ro.before" || fail "state file changed on a failed write"
fi
chmod u+w "$R"

# a malformed state file
printf 'model_checkpoint_path: "unterminated\n' >"$T/bad_checkpoint"
expect 1 "$BIN" history "$T/bad_checkpoint"
has_err "tfckpt history: $T/bad_checkpoint"

# timestamps no time_t can hold (1e30, nan, -inf): printed as written, no
# undefined conversion (the sanitizer build runs this too), JSON stays valid
H=$T/badts
mkdir -p "$H"
cp "$F"/tf1_sharded_t2t_transformer/model.ckpt-1.* "$H/"
printf 'model_checkpoint_path: "model.ckpt-1"\nall_model_checkpoint_paths: "model.ckpt-1"\nall_model_checkpoint_paths: "x"\nall_model_checkpoint_paths: "y"\nall_model_checkpoint_timestamps: 1e30\nall_model_checkpoint_timestamps: nan\nall_model_checkpoint_timestamps: -inf\n' >"$H/checkpoint"
expect 0 "$BIN" history "$H"
grep -q "1e+30 (not a valid time)" "$T/out" || fail "history: 1e30 timestamp not shown as written"
grep -q "nan (not a valid time)" "$T/out" || fail "history: nan timestamp not shown as written"
"$BIN" history "$H" --json | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); assert [c['timestamp'] for c in d['checkpoints']] == [1e30, None, None], d" ||
  fail "history --json with invalid timestamps"

# a path with an embedded NUL ("\000") is an error, not silently cut short
printf 'model_checkpoint_path: "model.ckpt-1\\000x"\n' >"$H/checkpoint"
expect 1 "$BIN" history "$H"
has_err "checkpoint:1: a checkpoint path contains a NUL byte"
expect 1 "$BIN" ls "$H"
has_err "a checkpoint path contains a NUL byte"

if [ "$fails" -ne 0 ]; then
  echo "cli_history: $fails failures"
  exit 1
fi
echo "cli_history: ok"
