#!/bin/bash
# The edit commands (rename, rm, cast, average, merge, rewrite --in-place) on
# real fixtures, and their errors: exit status, the message, and no output
# (nor temporary file) left behind.  Values are compared through
# `tfckpt verify --hash` (sha256 of each tensor's values).
set -u
BIN=${TFCKPT_BIN:?run through ctest}
FX=${TFCKPT_FIXTURES:?run through ctest}
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt_cli_edit_XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

COMP=$FX/tf2_checkpoint_manager_compensator
T2T=$FX/tf1_sharded_t2t_transformer/model.ckpt-1

hashes() { "$BIN" verify --hash "$1" 2>/dev/null | sort -k2; }
names() { "$BIN" verify --hash "$1" 2>/dev/null | awk '{print $2}'; }
count() { names "$1" | wc -l; }
# expect_fail STATUS FRAGMENT CMD...: exit status and message fragment
expect_fail() {
  local want=$1 frag=$2
  shift 2
  local out st
  out=$("$@" 2>&1)
  st=$?
  if [ "$st" != "$want" ]; then fail "$* exited $st, want $want ($out)"; return; fi
  case "$out" in *"$frag"*) ok "$* -> $want: $frag" ;; *) fail "$*: message lacks '$frag': $out" ;; esac
}
no_leftovers() { # no file with the prefix, no temporary file in the directory
  if ls "$1".* >/dev/null 2>&1; then fail "files left behind: $(ls "$1".*)"; fi
  if ls "$(dirname "$1")" 2>/dev/null | grep -q tempstate; then fail "temporary files left in $(dirname "$1")"; fi
}

# ---- rename ---------------------------------------------------------------
"$BIN" rename "$COMP/ckpt-10" "$T/ren" --rule 'compensator/=>model/' \
  --regex '/_kernel/=>/kernel/' --quiet || fail "rename failed"
[ "$(count "$T/ren")" = 22 ] || fail "rename: $(count "$T/ren") tensors, want 22"
names "$T/ren" | grep -qx 'model/fc1/kernel/.ATTRIBUTES/VARIABLE_VALUE' || fail "rename: model/fc1/kernel missing"
names "$T/ren" | grep -q '^compensator/' && fail "rename: old names remain"
names "$T/ren" | grep -qx 'compensator_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE' ||
  fail "rename: a literal prefix rule must not touch compensator_optimizer/"
# same values under the mapped names
# (the object graph is rewritten to name the new keys, so it is compared below)
diff <(hashes "$COMP/ckpt-10" | grep -v _CHECKPOINTABLE_OBJECT_GRAPH |
       sed -e 's#  compensator/#  model/#' -e 's#/_kernel/#/kernel/#' | sort -k2) \
  <(hashes "$T/ren" | grep -v _CHECKPOINTABLE_OBJECT_GRAPH) >/dev/null &&
  ok "rename keeps every value" || fail "rename changed values"
"$BIN" tree --objects "$T/ren" | grep -q ' model/fc1/kernel/.ATTRIBUTES/VARIABLE_VALUE$' &&
  ok "rename: the object graph names the renamed key" || fail "rename: object graph not renamed"
"$BIN" tree --objects "$T/ren" | grep -q ' compensator/[^ ]*/.ATTRIBUTES/' &&
  fail "rename: the object graph still names an old key"
out=$("$BIN" rename "$COMP/ckpt-10" "$T/dry" --regex '^compensator/(fc[12])/bias=>\1/b' --dry-run 2>/dev/null)
[ "$out" = "compensator/fc1/bias/.ATTRIBUTES/VARIABLE_VALUE -> fc1/b/.ATTRIBUTES/VARIABLE_VALUE
compensator/fc2/bias/.ATTRIBUTES/VARIABLE_VALUE -> fc2/b/.ATTRIBUTES/VARIABLE_VALUE" ] &&
  ok "rename --dry-run prints old -> new" || fail "rename --dry-run printed: $out"
no_leftovers "$T/dry"
expect_fail 1 'collision: "compensator/fc1/_kernel/.ATTRIBUTES/VARIABLE_VALUE" and "compensator/fc1/bias/.ATTRIBUTES/VARIABLE_VALUE" would both become' \
  "$BIN" rename "$COMP/ckpt-10" "$T/col" --regex '/(_kernel|bias)/=>/w/'
no_leftovers "$T/col"
expect_fail 1 'matches no variable' "$BIN" rename "$COMP/ckpt-10" "$T/none" --rule 'nothing/=>x/'
no_leftovers "$T/none"
expect_fail 2 'no "=>"' "$BIN" rename "$COMP/ckpt-10" "$T/none" --rule 'abc'

# ---- rm -------------------------------------------------------------------
"$BIN" rm "$T2T" "$T/noadam" --regex '/Adam' --quiet || fail "rm --regex failed"
[ "$(count "$T/noadam")" = 88 ] || fail "rm: $(count "$T/noadam") left, want 250 - 162 = 88"
names "$T/noadam" | grep -q Adam && fail "rm: Adam slots remain"
[ -f "$T/noadam.data-00001-of-00002" ] || fail "rm: the 2-shard layout was not kept"
diff <(hashes "$T2T" | grep -v /Adam) <(hashes "$T/noadam") >/dev/null &&
  ok "rm --regex /Adam keeps the other 88 tensors' values" || fail "rm changed values"
expect_fail 1 'no variable named "global_stp"; did you mean "global_step"' \
  "$BIN" rm "$T2T" "$T/rm2" global_stp
no_leftovers "$T/rm2"
"$BIN" rm "$T2T" "$T/rm3" global_step 'losses_avg/problem_0/extra_loss' --quiet || fail "rm by name"
[ "$(count "$T/rm3")" = 248 ] || fail "rm by name: $(count "$T/rm3") left"
# TF2 object graph: stripping optimizer slots also drops their slot references
IT=$FX/tf2_checkpoint_manager_iterator_variant/ckpt-40
"$BIN" rm "$IT" "$T/noslots" --regex 'OPTIMIZER_SLOT' --quiet || fail "rm slots (TF2)"
"$BIN" tree --objects "$IT" | grep -q 'slots of' || fail "rm slots: the fixture should have slots"
"$BIN" tree --objects "$T/noslots" | grep -q -E 'slots of|OPTIMIZER_SLOT' &&
  fail "rm slots: the object graph still names slots" || ok "rm slots: object graph without slot references"
diff <(hashes "$IT" | grep -v -E 'OPTIMIZER_SLOT|OBJECT_GRAPH') \
  <(hashes "$T/noslots" | grep -v OBJECT_GRAPH) >/dev/null &&
  ok "rm slots keeps the other values" || fail "rm slots changed values"

# ---- merge ------------------------------------------------------------------
# the Adam slots alone = T2T without every name of noadam
"$BIN" rm "$T2T" "$T/adam" $(names "$T/noadam") --quiet || fail "rm (all but Adam) failed"
[ "$(count "$T/adam")" = 162 ] || fail "adam-only has $(count "$T/adam")"
"$BIN" merge "$T/merged" "$T/noadam" "$T/adam" --quiet || fail "merge failed"
diff <(hashes "$T2T") <(hashes "$T/merged") >/dev/null &&
  ok "merge of the two halves gives back all 250 tensors" || fail "merge lost or changed tensors"
expect_fail 1 '"global_step" is in both' "$BIN" merge "$T/m2" "$T/noadam" "$T2T"
no_leftovers "$T/m2"
"$BIN" merge "$T/m3" "$T/rm3" "$T2T" --prefer first --quiet || fail "merge --prefer first"
[ "$(count "$T/m3")" = 250 ] || fail "merge --prefer: $(count "$T/m3")"

# ---- cast -------------------------------------------------------------------
"$BIN" cast "$COMP/ckpt-10" "$T/f16" --to float16 --quiet || fail "cast failed"
"$BIN" ls "$T/f16" | grep -q float32 && fail "cast: float32 variables remain"
"$BIN" ls "$T/f16" | grep 'save_counter' | grep -q int64 || fail "cast: int64 changed"
diff <(hashes "$COMP/ckpt-10" | grep -E 'save_counter|_iterations|OBJECT_GRAPH') \
  <(hashes "$T/f16" | grep -E 'save_counter|_iterations|OBJECT_GRAPH') >/dev/null &&
  ok "cast leaves int64 and string tensors untouched" || fail "cast touched non-float tensors"
"$BIN" cast "$COMP/ckpt-10" "$T/bf" --to bfloat16 --regex 'fc1/' --quiet || fail "cast --regex"
[ "$("$BIN" ls "$T/bf" | grep -c bfloat16)" = 2 ] || fail "cast --regex fc1/ should convert 2 tensors"
expect_fail 2 'unsupported target dtype "int8"' "$BIN" cast "$COMP/ckpt-10" "$T/c2" --to int8
no_leftovers "$T/c2"

# ---- average ----------------------------------------------------------------
expect_fail 1 'but not in' "$BIN" average "$T/avg_bad" "$COMP/ckpt-10" "$T2T"
no_leftovers "$T/avg_bad"
"$BIN" average "$T/avg" --last 3 "$COMP" --quiet || fail "average --last failed"
# integers and strings from the last listed checkpoint (ckpt-1)
diff <(hashes "$COMP/ckpt-1" | grep -E 'save_counter|_iterations|OBJECT_GRAPH') \
  <(hashes "$T/avg" | grep -E 'save_counter|_iterations|OBJECT_GRAPH') >/dev/null &&
  ok "average takes int64/string tensors from the last input" || fail "average integer source"

# ---- output rules, in place, bad outputs --------------------------------------
expect_fail 1 'already exists (use --force' "$BIN" rm "$T2T" "$T/noadam" --regex '/Adam'
expect_fail 1 'is the input checkpoint; use --in-place' "$BIN" rewrite "$T/noadam" "$T/noadam"
mkdir "$T/ip" && cp "$T/noadam".* "$T/ip/"
"$BIN" rm "$T/ip/noadam" --in-place global_step --quiet || fail "rm --in-place"
[ "$(count "$T/ip/noadam")" = 87 ] || fail "rm --in-place: $(count "$T/ip/noadam")"
[ "$(ls "$T/ip" | wc -l)" = 3 ] || fail "rm --in-place left extra files: $(ls "$T/ip")"
cp "$T/ip/noadam.index" "$T/ip/before.index"
"$BIN" rewrite "$T/ip/noadam" --in-place --quiet || fail "rewrite --in-place"
cmp -s "$T/ip/noadam.index" "$T/ip/before.index" && ok "rewrite --in-place is byte-identical" ||
  fail "rewrite --in-place changed the index"
touch "$T/plain"
expect_fail 1 "output directory $T/plain does not exist" "$BIN" rewrite "$T2T" "$T/plain/out"
expect_fail 1 'cannot create a file in directory /proc' "$BIN" rewrite "$T2T" /proc/out
expect_fail 1 'does not exist' "$BIN" rewrite "$T2T" "$T/no/such/dir/out"
no_leftovers "$T/no/such/dir/out"
[ "$(ls "$T" | grep -c tempstate)" = 0 ] || fail "temporary files left in $T"

# ---- V1 -> V2 -------------------------------------------------------------------
for v1 in v1_acrobot_tf0x/model.ckpt spec_synthetic/v1_slices/model.ckpt-5 \
          v1_serving_session_bundle_half_plus_two/export-00000-of-00001; do
  out="$T/from_v1_$(basename "$(dirname "$v1")")"
  "$BIN" rewrite "$TFCKPT_FIXTURES/$v1" "$out" --quiet || fail "rewrite V1 $v1"
  [ -f "$out.index" ] && [ -f "$out.data-00000-of-00001" ] && ok "V1 $v1 rewritten as a V2 bundle" ||
    fail "V1 rewrite of $v1 wrote no V2 files"
  "$BIN" diff "$TFCKPT_FIXTURES/$v1" "$out" >/dev/null && ok "V1 $v1 and its V2 copy are identical" ||
    fail "V1 rewrite of $v1 changed values"
  "$BIN" verify "$out" >/dev/null || fail "V2 copy of $v1 does not verify"
done

# ---- empty tensors tie with the next offset ---------------------------------------
# TensorFlow gives an empty tensor the offset of the bytes written so far, so
# b_empty (added first) and a_full share offset 0.  The Python module's
# writer adds in the mapping's order exactly as SaveV2 does (the interop
# suite checks those bytes against TensorFlow's); rewrite must keep b_empty
# first at the tie and stay byte-identical.
mkdir -p "$T/ties/o"
bash "$(dirname "$0")/pymod.sh" -c "
import numpy as np, tfckpt
tfckpt.save({'b_empty': np.zeros((0, 3), 'f'), 'a_full': np.ones(5, 'f'),
             'c_empty2': np.zeros(0, 'i'), 'd': np.ones(2)}, '$T/ties/ck')" || fail "save with empty tensors"
"$BIN" rewrite "$T/ties/ck" "$T/ties/o/ck" --quiet || fail "rewrite with empty tensors"
cmp -s "$T/ties/ck.index" "$T/ties/o/ck.index" && cmp -s "$T/ties/ck.data-00000-of-00001" "$T/ties/o/ck.data-00000-of-00001" &&
  ok "rewrite keeps empty tensors at tied offsets byte-identical" ||
  fail "rewrite of a bundle with empty tensors at tied offsets is not byte-identical"

# ---- max_to_keep deletes only inside the output directory ----------------------
# A state file copied from elsewhere may name ../other/ckpt-1 or an absolute
# path: those checkpoints are left alone with a warning; only ckpt-3, which
# is inside run/, goes.
K=$T/keep
mkdir -p "$K/run" "$K/other" "$K/abs"
src=$TFCKPT_FIXTURES/tf1_sharded_t2t_transformer
"$BIN" rewrite "$src" "$K/other/ckpt-1" --quiet && "$BIN" rewrite "$src" "$K/abs/ckpt-2" --quiet &&
  "$BIN" rewrite "$src" "$K/run/ckpt-3" --quiet || fail "preparing the max_to_keep checkpoints"
printf 'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "../other/ckpt-1"\nall_model_checkpoint_paths: "%s"\nall_model_checkpoint_paths: "ckpt-3"\n' \
  "$K/abs/ckpt-2" >"$K/run/checkpoint"
"$BIN" rewrite "$src" "$K/run/./ckpt-4" --update-state --max-to-keep 1 --quiet 2>"$T/keep.err" ||
  fail "rewrite --update-state --max-to-keep 1: $(cat "$T/keep.err")"
[ -f "$K/other/ckpt-1.index" ] && [ -f "$K/other/ckpt-1.data-00000-of-00002" ] &&
  ok "max_to_keep leaves ../other/ckpt-1 alone" || fail "max_to_keep deleted ../other/ckpt-1"
[ -f "$K/abs/ckpt-2.index" ] && ok "max_to_keep leaves an absolute path elsewhere alone" ||
  fail "max_to_keep deleted $K/abs/ckpt-2"
[ ! -e "$K/run/ckpt-3.index" ] && ok "max_to_keep deletes ckpt-3 inside the directory" ||
  fail "max_to_keep kept run/ckpt-3"
grep -q "warning: ../other/ckpt-1: not deleted by max_to_keep: outside the output directory" "$T/keep.err" &&
  ok "max_to_keep warns about ../other/ckpt-1" || fail "no warning for ../other/ckpt-1: $(cat "$T/keep.err")"
grep -q "warning: $K/abs/ckpt-2: not deleted" "$T/keep.err" && ok "max_to_keep warns about the absolute path" ||
  fail "no warning for $K/abs/ckpt-2"

# ---- outputs that are the input, however spelled ----------------------------------
I=$T/ident
mkdir -p "$I/c"
cp "$TFCKPT_FIXTURES"/tf1_sharded_t2t_transformer/model.ckpt-1.* "$I/c/"
ln -s "$I/c" "$I/link"
sum_before=$(cat "$I"/c/model.ckpt-1.* | md5sum)
for args in "dump $I/c/model.ckpt-1 -o $I/c/model.ckpt-1.index" \
            "dump $I/c/model.ckpt-1 -o $I/c/./model.ckpt-1.data-00000-of-00002" \
            "export $I/c/model.ckpt-1 -o $I/link/model.ckpt-1.data-00001-of-00002 --format npz" \
            "export $I/c/model.ckpt-1 -o $I/c/../c/model.ckpt-1.index --format safetensors" \
            "rewrite $I/c/model.ckpt-1 $I/c/./model.ckpt-1" \
            "rewrite $I/c/model.ckpt-1 $I/c/../c/model.ckpt-1 --force" \
            "rewrite $I/c/model.ckpt-1 $I/link/model.ckpt-1 --force" \
            "cast $I/c/model.ckpt-1 $I/link/model.ckpt-1.index --to float16 --force"; do
  $BIN $args >/dev/null 2>"$T/ident.err"
  st=$?
  [ $st -ne 0 ] && grep -q "input checkpoint" "$T/ident.err" && ok "refused: tfckpt $args" ||
    fail "tfckpt $args: exit $st, $(cat "$T/ident.err")"
done
[ "$(cat "$I"/c/model.ckpt-1.* | md5sum)" = "$sum_before" ] && ok "the input checkpoint is untouched" ||
  fail "a refused command changed the input checkpoint"
"$BIN" verify "$I/c/model.ckpt-1" >/dev/null || fail "input checkpoint no longer verifies"

# ---- concurrent --update-state writers serialise on the directory -----------------
C=$T/conc
mkdir -p "$C"
for i in $(seq 1 16); do
  "$BIN" rewrite "$TFCKPT_FIXTURES/tf1_sharded_t2t_transformer" "$C/ckpt-$i" --update-state --quiet &
done
wait
n=$(grep -c '^all_model_checkpoint_paths' "$C/checkpoint")
[ "$n" = 16 ] && ok "16 concurrent --update-state writers: all 16 listed" ||
  fail "16 concurrent --update-state writers: the state file lists $n"
for i in $(seq 1 16); do [ -f "$C/ckpt-$i.index" ] || fail "ckpt-$i missing"; done

if [ $fails -ne 0 ]; then echo "cli_writer_edit: $fails failure(s)" >&2; exit 1; fi
echo "cli_writer_edit: all checks passed"
