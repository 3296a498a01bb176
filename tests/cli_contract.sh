#!/bin/bash
# Rules that hold for every command (walked from `tfckpt --help`, not a
# hand-written list): results that cannot reach stdout are a failure with a
# message, for --help and for real output alike.
set -u
BIN=${TFCKPT_BIN:?}
F=${TFCKPT_FIXTURES:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-contract-XXXXXX")
trap 'rm -rf "$T"' EXIT
passes=0 fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { passes=$((passes + 1)); }

cmds=$("$BIN" --help | awk '/^commands:/{f=1; next} f && /^  [a-z]/{print $1}')
[ "$(echo "$cmds" | wc -w)" -ge 20 ] && ok || fail "tfckpt --help lists only: $cmds"

# every command's --help to a full device
for c in $cmds; do
  "$BIN" "$c" --help >/dev/full 2>"$T/err"
  st=$?
  [ $st -ne 0 ] && grep -q "tfckpt $c" "$T/err" && ok || fail "$c --help >/dev/full: exit $st, stderr: $(cat "$T/err")"
done
"$BIN" --help >/dev/full 2>/dev/null && fail "tfckpt --help >/dev/full exits 0" || ok

# real output to a full device
CK=$F/tf1_sharded_t2t_transformer
SM=$F/savedmodel_tf2_serving_half_plus_two
while IFS= read -r line; do
  [ -z "$line" ] && continue
  # shellcheck disable=SC2086
  "$BIN" $line >/dev/full 2>"$T/err"
  st=$?
  [ $st -ne 0 ] && [ -s "$T/err" ] && ok || fail "tfckpt $line >/dev/full: exit $st, stderr: $(cat "$T/err")"
done <<EOF2
ls $CK
ls --json $CK
stats $CK
stats --json $CK
tree $CK
show $CK global_step
dump $CK
verify $CK
verify --hash $CK
history $CK
graph $SM
check $CK $SM
diff $CK $CK
EOF2

echo "cli_contract: $passes passed, $fails failed"
[ "$fails" = 0 ]
