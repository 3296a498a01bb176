#!/bin/bash
# The shipped binaries and libraries (arguments) must not contain the test
# hooks: no environment variable name for them, no fault-injection symbol.
fail=0
for f in "$@"; do
  if [ "$(strings -a "$f" | grep -c TFCKPT_WRITER_KILL_AT)" != 0 ]; then
    echo "FAIL: $f mentions TFCKPT_WRITER_KILL_AT"
    fail=1
  fi
  if nm -a "$f" 2>/dev/null | grep -qE 'tfckpt__fault|fault_point|fault_from_env'; then
    echo "FAIL: $f has fault-injection symbols:"
    nm -a "$f" | grep -E 'tfckpt__fault|fault_point|fault_from_env'
    fail=1
  fi
  if nm -D "$f" 2>/dev/null | grep -qE 'tfckpt__fault|fault_point|fault_from_env'; then
    echo "FAIL: $f exports fault-injection symbols"
    fail=1
  fi
done
[ $fail = 0 ] && echo "no test hooks in: $*"
exit $fail
