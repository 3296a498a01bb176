#!/bin/bash
# One JSON string rule for every command: a tensor name with non-ASCII and
# odd characters is printed byte for byte alike by `ls --json`, `dump`,
# `stats --json` and `diff --json`, and reads back (json.loads) as the name.
set -u
BIN=${TFCKPT_BIN:?TFCKPT_BIN must point to the tfckpt binary}
BUILD=${TFCKPT_BUILD:?TFCKPT_BUILD must point to the build directory}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-cli-json-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# é, a quote, a backslash, a control character and a tab in one name
bash "$(dirname "$0")/pymod.sh" - "$T/ck" <<'PYEOF' || { echo "FAIL: cannot write the checkpoint" >&2; exit 1; }
import sys, numpy, tfckpt
tfckpt.save({'caf\u00e9/k"\\\x01\t': numpy.zeros(2, 'float32'), 'plain': numpy.ones(1, 'float32')},
            sys.argv[1])
PYEOF
# a name that is not UTF-8 at all (bytes \xff and \xc3 alone)
"$BIN" rename "$T/ck" "$T/bad" --rule $'plain=>bad\xff\xc3' >/dev/null 2>"$T/err" ||
  fail "rename: $(cat "$T/err")"

"$BIN" ls --json "$T/ck" >"$T/ls.json" || fail "ls --json"
"$BIN" dump "$T/ck" >"$T/dump.txt" || fail "dump"
"$BIN" stats --json "$T/ck" >"$T/stats.json" || fail "stats --json"
"$BIN" diff --json "$T/ck" "$T/bad" >"$T/diff.json"
[ $? -le 1 ] || fail "diff --json"
"$BIN" ls --json "$T/bad" >"$T/lsbad.json" || fail "ls --json (bad name)"
"$BIN" dump "$T/bad" >"$T/dumpbad.txt" || fail "dump (bad name)"

$PY - "$T" <<'PYEOF' || fail "escaped forms differ"
import json, sys
t = sys.argv[1]
dec = json.JSONDecoder()
name = 'caf\u00e9/k"\\\x01\t'
# the exact bytes the one writer produces for this name
want = b'"caf\xc3\xa9/k\\"\\\\\\u0001\\t"'

def raw_after(data, marker):
    """Every JSON string literal that follows `marker`, as raw bytes."""
    out, i = [], 0
    while True:
        i = data.find(marker, i)
        if i < 0:
            return out
        s = data[i + len(marker):].decode("utf-8")
        _, end = dec.raw_decode(s)
        out.append(s[:end].encode("utf-8"))
        i += len(marker)

def read(p):
    return open(p, "rb").read()

ls = raw_after(read(t + "/ls.json"), b'"name": ')
dump = raw_after(read(t + "/dump.txt"), b"\ntensor ")
stats = raw_after(read(t + "/stats.json"), b'"name": ')
assert want in ls, ls
assert want in dump, dump
assert want in stats, stats
assert [json.loads(x) for x in ls] == [json.loads(x) for x in dump] == [name, "plain"], (ls, dump)
assert json.loads(read(t + "/ls.json"))[0]["name"] == name
diff = json.loads(read(t + "/diff.json"))
assert want.decode() in read(t + "/diff.json").decode(), diff
# not UTF-8: each bad byte is U+FFFD, the same in both commands, and the
# output stays valid UTF-8 JSON
bad = b'"bad\\ufffd\\ufffd"'
assert bad in raw_after(read(t + "/lsbad.json"), b'"name": '), read(t + "/lsbad.json")
assert bad in raw_after(read(t + "/dumpbad.txt"), b"\ntensor "), read(t + "/dumpbad.txt")
assert json.loads(read(t + "/lsbad.json").decode("utf-8"))[0]["name"] == "bad\ufffd\ufffd"
PYEOF

# dump's string values stay binary-exact (one code point per byte), also for
# an element larger than the slices dump escapes it in
bash "$(dirname "$0")/pymod.sh" - "$T/sv" "$BIN" <<'PYEOF' || fail "dump string values"
import json, os, subprocess, sys, numpy, tfckpt
vals = [bytes(range(256)) * 1000 + b"xyz", b"", b'a"b\\', "caf\u00e9".encode()]
# the CLI carries its own sanitizer runtime: not the module's preload
cli_env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
tfckpt.save({"s": numpy.array(vals, dtype=object)}, sys.argv[1])
lines = subprocess.run([sys.argv[2], "dump", sys.argv[1]], check=True, env=cli_env,
                       capture_output=True).stdout.decode("utf-8").split("\n")
got = [bytes(ord(c) for c in json.loads(l)) for l in lines[4:8]]
assert got == vals, [len(g) for g in got]
assert lines[7] == '"caf\\u00c3\\u00a9"', lines[7]
PYEOF

[ "$fails" = 0 ] && echo "cli_json: all passed" || exit 1
