"""`tfckpt show` prints a tensor exactly as numpy's print() does.

For every float, integer and bool tensor of every fixture (up to 60 per
fixture), the array part of `tfckpt show CKPT NAME` must equal str() of the
numpy array read by the Python module (which is checked against the raw
bytes elsewhere): same digits, same trailing-zero trimming, same alignment,
wrapping and summarisation."""
import glob
import os
import subprocess
import sys

import numpy as np

BUILD = os.environ["TFCKPT_BUILD"]
# A sanitizer build's module needs its runtime preloaded (as py_module.py
# does); the CLI carries its own, so it runs without the preload.
_pre = os.path.join(BUILD, "python", "sanitizer_preload.txt")
_libs = open(_pre).read().strip() if os.path.exists(_pre) else ""
if _libs and "TFCKPT_PY_REEXEC" not in os.environ:
    env = dict(os.environ, LD_PRELOAD=_libs, TFCKPT_PY_REEXEC="1",
               ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
CLI_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
sys.path.insert(0, os.path.join(BUILD, "python"))
import tfckpt  # noqa: E402

BIN = os.environ["TFCKPT_BIN"]
FIX = os.environ["TFCKPT_FIXTURES"]

passed = failed = 0
for d in sorted(glob.glob(os.path.join(FIX, "*"))):
    if not os.path.isdir(d):
        continue
    try:
        r = tfckpt.load_checkpoint(d)
    except Exception:
        continue  # folders that are not checkpoints (index-only, keras, ...)
    shown = 0
    for name in sorted(r.get_variable_to_shape_map()):
        if shown >= 60:
            break
        try:
            a = np.array(r.get_tensor(name))
        except Exception:
            continue
        if a.dtype.kind not in "fiub":
            continue
        shown += 1
        out = subprocess.run([BIN, "show", d, name], capture_output=True, text=True, env=CLI_ENV)
        body = out.stdout.split("\n", 1)[1] if "\n" in out.stdout else ""
        if out.returncode == 0 and body.rstrip("\n") == str(a):
            passed += 1
        else:
            failed += 1
            if failed <= 5:
                print("FAIL: %s %s\n--- numpy\n%s\n--- tfckpt show\n%s" % (d, name, str(a)[:600], body[:600]))
print("py_show_numpy: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed < 200 else 0)
