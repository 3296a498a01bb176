#!/bin/bash
# Debian's python3 with the tfckpt module of $TFCKPT_BUILD importable, for
# shell tests that make inputs with it.  A sanitizer build's module needs the
# sanitizer runtime preloaded (python/CMakeLists.txt records which); leaks of
# the interpreter itself are not ours to report.
pre="$TFCKPT_BUILD/python/sanitizer_preload.txt"
if [ -s "$pre" ]; then
  export LD_PRELOAD="$(cat "$pre")${LD_PRELOAD:+ $LD_PRELOAD}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
PYTHONPATH="$TFCKPT_BUILD/python${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 "$@"
