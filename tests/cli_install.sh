#!/bin/bash
# The library as users get it: `make install` (DESTDIR) puts headers,
# libraries and tfckpt.pc in place; examples/read_checkpoint.c builds against
# the installed tree with `pkg-config --cflags --libs tfckpt`, shared and
# static, and runs.  Also checks the shared library's boundary: it exports
# exactly the functions include/tfckpt declares, and a reader-only program
# needs neither OpenBLAS nor any other optional part at run time.
set -u
SRC=${TFCKPT_SRC:?}
BUILD=${TFCKPT_BUILD:?}
F=${TFCKPT_FIXTURES:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0 passes=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { passes=$((passes + 1)); }
check() { if eval "$1"; then ok; else fail "$2"; fi; }

DEST=$T/dest
PREFIX=/opt/tfckpt-test
if ! DESTDIR=$DEST cmake --install "$BUILD" --prefix "$PREFIX" >"$T/install.log" 2>&1; then
  cat "$T/install.log" >&2
  fail "cmake --install failed"
  echo "cli_install: $passes passed, $fails failed"
  exit 1
fi
ROOT=$DEST$PREFIX
check '[ -f "$ROOT/include/tfckpt/reader.h" ] && [ -f "$ROOT/include/tfckpt/internal/error.h" ]' "headers installed"
PCDIR=$(dirname "$(find "$ROOT" -name tfckpt.pc | head -1)")
check '[ -f "$PCDIR/tfckpt.pc" ]' "tfckpt.pc installed"
LIBDIR=$(dirname "$(find "$ROOT" -name 'libtfckpt.so' | head -1)")
check '[ -f "$LIBDIR/libtfckpt.a" ] && [ -f "$LIBDIR/libtfckpt.so" ]' "libtfckpt.a and .so installed"
check '[ -f "$ROOT/share/doc/tfckpt/LICENSE" ]' "LICENSE installed"

# pkg-config against the relocated tree: point prefix at DESTDIR's copy.
pc() { PKG_CONFIG_PATH=$PCDIR pkg-config --define-variable=prefix="$ROOT" "$@" tfckpt; }
check 'pc --exists' "pkg-config finds tfckpt"
check '[ "$(pc --modversion)" = "$(sed -n "s/.*TFCKPT_VERSION_STRING \"\(.*\)\"/\1/p" "$SRC/include/tfckpt/tfckpt.h")" ]' "pkg-config version matches tfckpt.h"

# every installed public header compiles on its own, as C11 and as C++
for h in "$ROOT"/include/tfckpt/*.h; do
  inc="#include <tfckpt/$(basename "$h")>"
  echo "$inc" | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$ROOT/include" -x c - 2>"$T/h.err" &&
    ok || fail "$h alone as C: $(cat "$T/h.err")"
  if command -v c++ >/dev/null; then
    echo "$inc" | c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$ROOT/include" -x c++ - 2>"$T/h.err" &&
      ok || fail "$h as C++: $(cat "$T/h.err")"
  fi
done

EX=$SRC/examples/read_checkpoint.c
# A sanitizer build's libraries need the sanitizer runtime a plain cc link
# does not add: the link tests are for real builds.
if [ -n "${TFCKPT_SANITIZED:-}" ]; then EX=; fi

FIX=$F/tf1_sharded_t2t_transformer
# shared
if [ -z "$EX" ]; then ok
elif cc -std=c11 -Wall -Werror "$EX" -o "$T/ex_shared" $(pc --cflags --libs) 2>"$T/cc.err"; then
  ok
  out=$(LD_LIBRARY_PATH=$LIBDIR "$T/ex_shared" "$FIX" training/beta1_power 2>&1)
  check 'grep -q "training/beta1_power: 0.81" <<<"$out"' "shared example output: $out"
  check '! LD_LIBRARY_PATH=$LIBDIR ldd "$T/ex_shared" | grep -qi -e blas -e hdf5 -e curl -e nettle' \
    "a reader-only program needs no optional library: $(LD_LIBRARY_PATH=$LIBDIR ldd "$T/ex_shared" | tr '\n' ' ')"
else
  fail "shared build: $(cat "$T/cc.err")"
fi
# static: the archive, then the private libraries pkg-config lists for it
static_libs=$(pc --static --libs | sed 's/-ltfckpt\b/-l:libtfckpt.a/')
if [ -z "$EX" ]; then ok
elif cc -std=c11 -Wall -Werror "$EX" -o "$T/ex_static" $(pc --cflags) $static_libs 2>"$T/cc.err"; then
  ok
  out=$("$T/ex_static" "$FIX" training/beta1_power 2>&1)
  check 'grep -q "training/beta1_power: 0.81" <<<"$out"' "static example output: $out"
  check '! ldd "$T/ex_static" | grep -q libtfckpt' "static example does not load libtfckpt.so"
else
  fail "static build: $(cat "$T/cc.err")"
fi

# The export list: every defined dynamic symbol is a function declared with
# TFCKPT_API in include/tfckpt (public or internal section), and every
# declared function is exported by libtfckpt or libtfckpt_nn.
declared=$(cat "$SRC"/include/tfckpt/*.h "$SRC"/include/tfckpt/internal/*.h |
  tr '\n' ' ' | grep -oE 'TFCKPT_API [^(;]*\(' | grep -oE '[a-z_0-9]+ *\($' | tr -d ' (' | grep -v '^__' | sort -u)
exported() { nm -D --defined-only "$1" | awk '$2 ~ /^[TtWw]$/ {print $3}' | sort -u; }
core=$(exported "$BUILD/libtfckpt.so")
nn=""
[ -f "$BUILD/libtfckpt_nn.so" ] && nn=$(exported "$BUILD/libtfckpt_nn.so")
extra=$(comm -23 <(printf '%s\n' $core $nn | sort -u) <(printf '%s\n' $declared))
check '[ -z "$extra" ]' "exported but not declared in include/tfckpt: $extra"
if [ -n "$nn" ]; then
  missing=$(comm -13 <(printf '%s\n' $core $nn | sort -u) <(printf '%s\n' $declared))
  check '[ -z "$missing" ]' "declared but not exported: $missing"
fi
check '! readelf -d "$BUILD/libtfckpt.so" | grep NEEDED | grep -qi -e blas -e nettle -e hdf5 -e curl' \
  "libtfckpt.so depends on an optional library: $(readelf -d "$BUILD/libtfckpt.so" | grep NEEDED | tr '\n' ' ')"
check '[ "$(echo "$core" | wc -l)" -gt 100 ]' "libtfckpt.so exports the reader API"

echo "cli_install: $passes passed, $fails failed"
[ "$fails" = 0 ]
